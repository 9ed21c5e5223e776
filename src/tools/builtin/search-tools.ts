// Search tools confined to the workspace: glob (fs.promises.glob) and grep (JS regex over text files).
// Results are real-path checked, so a symlink inside the workspace never leaks a path from outside.
import { glob, readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative } from "node:path";
import { z } from "zod";
import { ToolError } from "../../core/errors.ts";
import type { Tool } from "../tool.ts";
import { looksBinary, parseArgs } from "../tool-kit.ts";
import { isInside, resolveInWorkspace } from "../workspace-path.ts";

const MAX_GLOB_RESULTS = 500;
const MAX_GREP_MATCHES = 200;
const MAX_GREP_FILES = 5_000; // files scanned per call
const MAX_GREP_FILE_BYTES = 1024 * 1024;
const MAX_LINE_CHARS = 300; // a matching line is shown up to this length
/** Skipped unless the pattern names them: they are big and rarely what the model wants. */
const SKIP_DIRS = new Set([".git", "node_modules"]);

function checkPattern(field: string, pattern: string): void {
  const segments = pattern.split(/[/\\]/);
  if (isAbsolute(pattern) || segments.includes("..")) {
    throw new ToolError("path_escape", `${field} ${pattern}: refused, patterns are relative to the workspace and must not contain ..`);
  }
}

function skipFilter(pattern: string): (name: string) => boolean {
  const named = [...SKIP_DIRS].filter((d) => pattern.includes(d));
  return (name) => {
    const base = name.split(/[/\\]/).at(-1) ?? name;
    return SKIP_DIRS.has(base) && !named.includes(base);
  };
}

/** Yields workspace-relative paths of matches whose real path is inside the workspace. */
async function* globInside(root: string, cwd: string, pattern: string, filesOnly: boolean): AsyncGenerator<string> {
  const skip = skipFilter(pattern);
  for await (const entry of glob(pattern, { cwd, withFileTypes: true, exclude: (d) => skip(d.name) })) {
    if (filesOnly && !entry.isFile()) continue;
    const abs = join(entry.parentPath, entry.name);
    const real = await realpath(abs).catch(() => undefined);
    if (real && isInside(root, real)) yield relative(root, abs) || ".";
  }
}

const globArgs = z.object({ pattern: z.string().min(1) });

export const globTool: Tool = {
  name: "glob",
  group: "fs",
  description: "Find files by glob pattern, e.g. **/*.ts.",
  parameters: { type: "object", properties: { pattern: { type: "string" } }, required: ["pattern"] },
  async execute(args, ctx) {
    const a = parseArgs("glob", globArgs, args);
    checkPattern("pattern", a.pattern);
    const root = await realpath(ctx.workspace);
    const found: string[] = [];
    for await (const rel of globInside(root, root, a.pattern, false)) {
      found.push(rel);
      if (found.length > MAX_GLOB_RESULTS || ctx.signal.aborted) break;
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

export const grepTool: Tool = {
  name: "grep",
  group: "fs",
  description: "Search file contents by regex; returns file:line: text.",
  parameters: {
    type: "object",
    properties: { pattern: { type: "string" }, path: { type: "string" }, glob: { type: "string" }, ignore_case: { type: "boolean" } },
    required: ["pattern"],
  },
  async execute(args, ctx) {
    const a = parseArgs("grep", grepArgs, args);
    let regex: RegExp;
    try {
      regex = new RegExp(a.pattern, a.ignore_case ? "i" : "");
    } catch (err) {
      throw new ToolError("invalid_args", `grep: argument "pattern": ${(err as Error).message}`);
    }
    if (a.glob) checkPattern("glob", a.glob);
    const root = await realpath(ctx.workspace);
    const start = await resolveInWorkspace(root, a.path, { mustExist: true });
    const files: string[] = [];
    if ((await stat(start)).isFile()) files.push(relative(root, start));
    else {
      for await (const rel of globInside(root, start, a.glob ?? "**/*", true)) {
        files.push(rel);
        if (files.length >= MAX_GREP_FILES) break;
      }
    }

    const out: string[] = [];
    let more = false;
    for (const rel of files.sort()) {
      if (ctx.signal.aborted || more) break;
      const abs = join(root, rel);
      if ((await stat(abs)).size > MAX_GREP_FILE_BYTES) continue;
      const buf = await readFile(abs);
      if (looksBinary(buf)) continue;
      const lines = buf.toString("utf8").split("\n");
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] ?? "";
        if (!regex.test(line)) continue;
        if (out.length >= MAX_GREP_MATCHES) {
          more = true;
          break;
        }
        out.push(`${rel}:${i + 1}: ${line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line}`);
      }
    }
    if (out.length === 0) return { text: "no matches", detail: { files: files.length, matches: 0 } };
    const note = more ? `\n[over ${MAX_GREP_MATCHES} matches; narrow the pattern or path]` : "";
    return { text: out.join("\n") + note, detail: { files: files.length, matches: out.length } };
  },
};

export const searchTools: Tool[] = [globTool, grepTool];
