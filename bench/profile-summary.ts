// Summarises a .cpuprofile: self time by package (or src/ folder) and the top functions by self time.
import { readFileSync } from "node:fs";

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const profile = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const group = (url: string): string => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const src = /\/(src|dist)\/([^/]+)/.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  if (url.startsWith("node:")) return url;
  return url === "" ? "(native/gc/idle)" : url.replace(/^.*\//, "");
};
const groups = new Map<string, number>();
const fns = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  const g = n.callFrame.url ? group(n.callFrame.url) : n.callFrame.functionName;
  groups.set(g, (groups.get(g) ?? 0) + t);
  const f = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.replace(/^.*\/(node_modules|src|dist)\//, "$1/")}:${n.callFrame.lineNumber + 1}`;
  fns.set(f, (fns.get(f) ?? 0) + t);
}
const pct = (t: number): string => `${((100 * t) / total).toFixed(1)}%`;
console.log("self time by group");
for (const [g, t] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(pct(t).padStart(7), g);
console.log("\ntop functions");
for (const [f, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 40))) console.log(pct(t).padStart(7), f);
