// The taint tracker of one run: which untrusted content it holds (trust labels, persisted as they arrive) and which
// tool calls that guards (policy.taint.guarded) — the taint half of the SafetyView the gate consults. Pure but for the
// `persist` callback; a clean run answers every call with "not guarded" at once.
import { isAbsolute, posix, relative, sep } from "node:path";
import type { TaintSource } from "../core/domain.ts";
import type { TaintPolicy } from "../core/safety-config.ts";
import { mergeTaint } from "../core/taint-sources.ts";
import type { GuardedCall, SafetyView } from "./tool.ts";

export interface TaintTrackerOptions {
  /** What the run holds when it starts: its input's, its session's and (sub-agents) its parent's sources. */
  initial: readonly TaintSource[];
  policy: () => TaintPolicy;
  /** Stores the whole list after it grew (run and session); calls are serialized, the last one holds everything. */
  persist: (sources: TaintSource[]) => Promise<void>;
  now: () => number;
  /** Hosts named in trusted input (the owner's messages): web_fetch to them is no exfiltration risk. */
  trustedHosts?: ReadonlySet<string>;
  /** MCP tools their server lists in `safe_tools` (read-only ones the user vouches for): never guarded. */
  isSafeTool?: (name: string) => boolean;
  /** The run's workspace, to tell whether an absolute write path lies in `inbox/`. */
  workspace?: string;
  /** Told when `persist` fails; the sources stay known to this run. */
  onPersistError?: (err: unknown) => void;
}

export type TaintTracker = Pick<SafetyView, "taintReason" | "taintSources" | "noteUntrusted"> & {
  /** Resolves when every source noted so far is persisted (or its write failed). */
  settled(): Promise<void>;
};

/** True when `entry` (a tool name, `group:<g>`, `*`, or a pattern with `*` such as `mcp__github__*`) matches the call. */
export function matchesToolEntry(entry: string, call: Pick<GuardedCall, "name" | "group">): boolean {
  if (entry === "*" || entry === call.name || entry === `group:${call.group}`) return true;
  if (!entry.includes("*")) return false;
  const pattern = entry.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${pattern}$`).test(call.name);
}

/** Normalised host: lower case, no trailing dot, no `www.`. */
export function normalizeHost(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, "").replace(/^\[|\]$/g, "");
  return h.startsWith("www.") ? h.slice(4) : h;
}

// Names that look like domains but are file names in the user's words (`notes.md`, `report.pdf`).
const FILE_SUFFIXES = new Set(["md", "txt", "json", "yaml", "yml", "ts", "js", "py", "sh", "pdf", "png", "jpg", "jpeg", "gif", "csv", "log", "html", "htm", "toml", "xml", "zip", "tar", "gz"]);
const URL_HOST = /\bhttps?:\/\/(\[[0-9a-f:.]+\]|[^\s/:?#<>"'`)\]]+)/gi;
const BARE_DOMAIN = /(?<![\w@.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,24}))(?![\w-])/gi;

/** Hosts named in `text`: those of http(s) URLs, and bare domain names (not file names). */
export function hostsIn(text: string): Set<string> {
  const hosts = new Set<string>();
  for (const m of text.matchAll(URL_HOST)) hosts.add(normalizeHost(m[1]!));
  for (const m of text.matchAll(BARE_DOMAIN)) {
    if (!FILE_SUFFIXES.has(m[2]!.toLowerCase())) hosts.add(normalizeHost(m[1]!));
  }
  return hosts;
}

/** The host a web_fetch call targets, or undefined when its url is not an absolute http(s) URL. */
function fetchHost(args: Record<string, unknown>): string | undefined {
  if (typeof args.url !== "string") return undefined;
  try {
    const url = new URL(args.url);
    return url.protocol === "http:" || url.protocol === "https:" ? normalizeHost(url.hostname) : undefined;
  } catch {
    return undefined;
  }
}

/** True when a write/edit path names a file under the workspace's `inbox/` (relative, or absolute inside `workspace`). */
function isInboxPath(path: unknown, workspace: string | undefined): boolean {
  if (typeof path !== "string" || path.includes("\0")) return false;
  let rel = path.split(sep).join("/");
  if (isAbsolute(path)) {
    if (!workspace) return false;
    rel = relative(workspace, path).split(sep).join("/");
  }
  const normal = posix.normalize(rel);
  return normal.startsWith("inbox/") && normal.length > "inbox/".length;
}

function describeSources(sources: readonly TaintSource[]): string {
  const first = sources[0]!.label;
  return sources.length === 1 ? first : `${first} and ${sources.length - 1} more`;
}

/** Creates the tracker. Contract: `taintReason` is synchronous and undefined for every call of an untainted run. */
export function createTaintTracker(opts: TaintTrackerOptions): TaintTracker {
  let sources = mergeTaint(opts.initial);
  let writing: Promise<void> = Promise.resolve();
  const trusted = opts.trustedHosts ?? new Set<string>();

  const guarded = (call: GuardedCall): boolean => {
    if (!opts.policy().guarded.some((entry) => matchesToolEntry(entry, call))) return false;
    if (call.group === "mcp" && opts.isSafeTool?.(call.name)) return false;
    if ((call.name === "write" || call.name === "edit") && isInboxPath(call.args.path, opts.workspace)) return false;
    return true;
  };

  return {
    taintReason(call) {
      if (sources.length === 0 || !guarded(call)) return undefined;
      const from = describeSources(sources);
      if (call.name === "web_fetch") {
        const host = fetchHost(call.args);
        if (host !== undefined && trusted.has(host)) return undefined;
        return `possible exfiltration to ${host ?? "an unreadable URL"}: the run holds untrusted content from ${from}`;
      }
      return `the run holds untrusted content (${from})`;
    },
    taintSources: () => sources,
    noteUntrusted(source) {
      const next = mergeTaint(sources, [{ ...source, at: source.at || opts.now() }]);
      if (next.length === sources.length && next.every((s, i) => s === sources[i])) return;
      sources = next;
      const snapshot = next;
      writing = writing.then(() => opts.persist(snapshot)).catch((err: unknown) => opts.onPersistError?.(err));
    },
    settled: () => writing,
  };
}
