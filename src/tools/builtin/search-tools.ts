// Search tools confined to the workspace: glob and grep, walking the tree through directory handles (symlinks
// are not followed). Patterns run on linear-time engines (RE2 for grep, globs compiled to RE2), and every call
// is bounded in entries and bytes and stops when the run's signal aborts.
import { isAbsolute } from "node:path";
import type { RE2JS } from "re2js";
import { z } from "zod";
import { compileGlob, GlobPatternError, loadRE2, type GlobMatcher } from "../../core/glob-pattern.ts";
import { ToolError } from "../../core/errors.ts";
import { mapToolPath, skillDisplayPath, SKILLS_MOUNT } from "../skill-paths.ts";
import type { Tool, ToolContext } from "../tool.ts";
import { looksBinary, parseArgs } from "../tool-kit.ts";
import { toRel, walkWorkspaceTree, type TreeEntry } from "../workspace-fs.ts";

/** Yields to the event loop (node:timers/promises' setImmediate without loading that module at start-up). */
function nextTurn(): Promise<void> {
  return new Promise((done) => setImmediate(done));
}

const MAX_GLOB_RESULTS = 500;
const MAX_WALK_ENTRIES = 50_000; // directory entries visited per call
const MAX_GREP_MATCHES = 200;
const MAX_GREP_FILES = 5_000; // files scanned per call
const MAX_GREP_FILE_BYTES = 1024 * 1024;
const MAX_GREP_TOTAL_BYTES = 64 * 1024 * 1024; // bytes scanned per call
const YIELD_EVERY_CHARS = 256 * 1024; // let timers (the run timeout) and other requests run between chunks
const MAX_LINE_CHARS = 300; // a matching line is shown up to this length
/** Skipped unless the pattern names them: they are big and rarely what the model wants. */
const SKIP_DIRS = new Set([".git", "node_modules"]);

function checkPattern(field: string, pattern: string): void {
  const segments = pattern.split(/[/\\]/);
  if (isAbsolute(pattern) || segments.includes("..")) {
    throw new ToolError("path_escape", `${field} ${pattern}: refused, patterns are relative to the workspace and must not contain ..`);
  }
}

function compileGlobArg(tool: string, field: string, pattern: string): GlobMatcher {
  checkPattern(field, pattern);
  try {
    return compileGlob(pattern);
  } catch (err) {
    if (err instanceof GlobPatternError) throw new ToolError("invalid_args", `${tool}: argument "${field}": ${err.message}`);
    throw err;
  }
}

function skipDirFor(pattern: string): (name: string) => boolean {
  return (name) => SKIP_DIRS.has(name) && !pattern.includes(name);
}

const globArgs = z.object({ pattern: z.string().min(1) });

/** Where a search runs: the workspace, or one skill folder (`/skills/<name>/…`) whose results are shown under `/skills`. */
interface SearchRoot {
  root: string;
  /** The path or pattern relative to `root`. */
  rest: string;
  display: (rel: string) => string;
}

function searchRootOf(ctx: ToolContext, path: string): SearchRoot {
  if (!path.startsWith(`${SKILLS_MOUNT}/`)) return { root: ctx.workspace, rest: path, display: (rel) => rel };
  const mapped = mapToolPath(ctx, path);
  if (mapped.kind !== "skill") return { root: ctx.workspace, rest: path, display: (rel) => rel };
  return { root: mapped.root, rest: mapped.path, display: (rel) => skillDisplayPath(mapped.name, rel) };
}

export const globTool: Tool = {
  name: "glob",
  group: "fs",
  description: "Find files by glob pattern, e.g. **/*.ts.",
  parameters: { type: "object", properties: { pattern: { type: "string" } }, required: ["pattern"] },
  async execute(args, ctx) {
    const a = parseArgs("glob", globArgs, args);
    const where = searchRootOf(ctx, a.pattern);
    const matcher = compileGlobArg("glob", "pattern", where.rest);
    const found: string[] = [];
    const tree = walkWorkspaceTree(where.root, toRel(matcher.base), { signal: ctx.signal, maxEntries: MAX_WALK_ENTRIES, skipDir: skipDirFor(a.pattern) });
    try {
      for await (const entry of tree) {
        if (entry.kind !== "other" && matcher.test(entry.rel)) found.push(where.display(entry.rel));
        if (found.length > MAX_GLOB_RESULTS) break;
      }
    } catch (err) {
      // The pattern's fixed directories are missing, a file, or a symlink out: nothing there matches.
      if (!(err instanceof ToolError && ["not_found", "path_escape", "invalid_args"].includes(err.code))) throw err;
    }
    if (found.length === 0) return { text: "no matches", detail: { matches: 0 } };
    const more = found.length > MAX_GLOB_RESULTS;
    const shown = found.slice(0, MAX_GLOB_RESULTS).sort();
    return { text: shown.join("\n") + (more ? `\n[over ${MAX_GLOB_RESULTS} matches; narrow the pattern]` : ""), detail: { matches: shown.length } };
  },
};

const grepArgs = z.object({
  pattern: z.string().min(1),
  path: z.string().default("."),
  glob: z.string().min(1).optional(),
  ignore_case: z.boolean().optional(),
});

function compileRegex(pattern: string, ignoreCase: boolean | undefined): RE2JS {
  try {
    const RE2 = loadRE2();
    return RE2.compile(pattern, ignoreCase ? RE2.CASE_INSENSITIVE : 0);
  } catch (err) {
    // RE2 syntax, like ripgrep's default: linear time, so no backreferences or lookaround.
    throw new ToolError("invalid_args", `grep: argument "pattern": ${(err as Error).message} (RE2 syntax: no backreferences or lookaround)`);
  }
}

interface GrepState {
  out: string[];
  files: number;
  bytes: number;
  /** Why the search stopped before the end, if it did. */
  stopped?: string;
}

/** Searches one file; returns false when the search as a whole must stop. */
async function grepFile(entry: TreeEntry, regex: RE2JS, state: GrepState, signal: AbortSignal, display: (rel: string) => string): Promise<boolean> {
  const file = await entry.open();
  if (!file) return true;
  let text: string;
  try {
    if (file.stat.size > MAX_GREP_FILE_BYTES) return true;
    if (state.bytes + file.stat.size > MAX_GREP_TOTAL_BYTES) {
      state.stopped = `searched ${state.bytes} bytes, the limit per call; narrow the path or glob`;
      return false;
    }
    const buf = await file.handle.readFile();
    state.bytes += buf.length;
    if (looksBinary(buf)) return true;
    text = buf.toString("utf8");
  } finally {
    await file.handle.close();
  }
  const lines = text.split("\n");
  let sinceYield = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    sinceYield += line.length;
    if (sinceYield > YIELD_EVERY_CHARS) {
      sinceYield = 0;
      await nextTurn();
      if (signal.aborted) return false;
    }
    if (!regex.matcher(line).find()) continue;
    if (state.out.length >= MAX_GREP_MATCHES) {
      state.stopped = `over ${MAX_GREP_MATCHES} matches; narrow the pattern or path`;
      return false;
    }
    state.out.push(`${display(entry.rel)}:${i + 1}: ${line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line}`);
  }
  return true;
}

export const grepTool: Tool = {
  name: "grep",
  group: "fs",
  description: "Search file contents by RE2 regex; returns file:line: text.",
  parameters: {
    type: "object",
    properties: { pattern: { type: "string" }, path: { type: "string" }, glob: { type: "string" }, ignore_case: { type: "boolean" } },
    required: ["pattern"],
  },
  async execute(args, ctx) {
    const a = parseArgs("grep", grepArgs, args);
    const regex = compileRegex(a.pattern, a.ignore_case);
    const filter = a.glob === undefined ? undefined : compileGlobArg("grep", "glob", a.glob);
    const state: GrepState = { out: [], files: 0, bytes: 0 };
    const where = searchRootOf(ctx, a.path);
    const tree = walkWorkspaceTree(where.root, where.rest, { signal: ctx.signal, maxEntries: MAX_WALK_ENTRIES, skipDir: skipDirFor(a.glob ?? "") });
    for await (const entry of tree) {
      if (entry.kind !== "file") continue;
      if (filter && !filter.test(entry.under)) continue;
      if (++state.files > MAX_GREP_FILES) {
        state.stopped = `searched ${MAX_GREP_FILES} files, the limit per call; narrow the path or glob`;
        break;
      }
      if (!(await grepFile(entry, regex, state, ctx.signal, where.display))) break;
    }
    if (ctx.signal.aborted) state.stopped = "the run was stopped";
    const detail = { files: state.files, matches: state.out.length, bytes: state.bytes };
    const note = state.stopped ? `\n[search stopped: ${state.stopped}]` : "";
    if (state.out.length === 0) return { text: `no matches${note}`, detail };
    return { text: state.out.join("\n") + note, detail };
  },
};

export const searchTools: Tool[] = [globTool, grepTool];
