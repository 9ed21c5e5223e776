// `npm run bench` (last part): one table of the newest results against bench/budget.json, each figure with its
// budget, whether it is met, and its ratio to the same bench's previous result file. Prints only; never fails.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

interface BudgetFigure {
  bench: string;
  figure: string;
  label: string;
  max?: number;
  min?: number;
}

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const RESULTS = join(BENCH_DIR, "results");
const budget = JSON.parse(readFileSync(join(BENCH_DIR, "budget.json"), "utf8")) as { figures: BudgetFigure[] };

/** The newest and the previous result of a bench (file names sort by time). */
function resultsOf(bench: string): { latest?: Record<string, unknown>; previous?: Record<string, unknown>; file?: string } {
  const files = readdirSync(RESULTS)
    .filter((f) => f.startsWith(`${bench}-`) && f.endsWith(".json"))
    .sort();
  const read = (f: string | undefined): Record<string, unknown> | undefined => (f ? (JSON.parse(readFileSync(join(RESULTS, f), "utf8")) as Record<string, unknown>) : undefined);
  return { latest: read(files.at(-1)), previous: read(files.at(-2)), file: files.at(-1) };
}

function valueAt(result: Record<string, unknown> | undefined, path: string): number | undefined {
  let node: unknown = result;
  for (const key of path.split(".")) node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  return typeof node === "number" ? node : undefined;
}

const benches = new Map([...new Set(budget.figures.map((f) => f.bench))].map((b) => [b, resultsOf(b)]));
const rows = budget.figures.map((f) => {
  const { latest, previous } = benches.get(f.bench)!;
  const value = valueAt(latest, f.figure);
  const before = valueAt(previous, f.figure);
  const limit = f.max !== undefined ? `≤ ${f.max}` : f.min !== undefined ? `≥ ${f.min}` : "";
  const met = value === undefined || limit === "" ? "" : (f.max === undefined || value <= f.max) && (f.min === undefined || value >= f.min) ? "met" : "NOT MET";
  const ratio = value !== undefined && before !== undefined && before !== 0 ? `×${(value / before).toFixed(2)}` : "";
  return [f.label, value === undefined ? "—" : String(value), limit, met, ratio];
});

const header = ["figure", "value", "budget", "", "vs previous"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => (i === 1 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
const met = rows.filter((r) => r[3] === "met").length;
const budgeted = rows.filter((r) => r[2] !== "").length;
const missing = rows.filter((r) => r[2] !== "" && r[1] === "—").length;
process.stdout.write(`\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${rows.map(line).join("\n")}\n\n`);
process.stdout.write(`${met} of ${budgeted} budgets met${missing > 0 ? ` (${missing} without a result)` : ""}; budgets in bench/budget.json. Results:\n`);
for (const [bench, { file, latest }] of benches) process.stdout.write(`  ${bench}: ${file ? `bench/results/${file} (${String(latest?.["at"])})` : "no result yet"}\n`);
