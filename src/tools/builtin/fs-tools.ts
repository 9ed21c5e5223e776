// File tools confined to the workspace: read, write, edit (exact-text replace) and ls.
// Every path goes through the race-free opener of workspace-fs.ts; search tools (glob, grep) live in search-tools.ts.
import { z } from "zod";
import { ToolError } from "../../core/errors.ts";
import type { Tool, ToolContext } from "../tool.ts";
import { clipText, looksBinary, parseArgs } from "../tool-kit.ts";
import { compileProtectedPaths } from "../../sandbox/protected-paths.ts";
import { isSkillPath, mapToolPath, readOnlySkillError, skillDisplayPath, withSkillErrors } from "../skill-paths.ts";
import { listWorkspaceDir, readWorkspaceFile, writeWorkspaceFile, type WriteGuard } from "../workspace-fs.ts";

const MAX_FILE_BYTES = 10 * 1024 * 1024; // read/edit refuse bigger files
const DEFAULT_READ_LINES = 2_000;
const MAX_READ_CHARS = 50_000;
const MAX_LS_ENTRIES = 1_000;

const pathParam = { type: "string" } as const;

/** Refuses changes under `.git` (any depth) and `policy.fs.protected`, checked on every path the write walks. */
function protectedGuard(ctx: ToolContext, userPath: string): WriteGuard {
  const match = compileProtectedPaths(ctx.policy.fs.protected);
  return (parts) => {
    const hit = match(parts);
    if (hit === undefined) return;
    throw new ToolError(
      "protected_path",
      `${userPath}: refused, ${hit} is protected because host tools (git, editors, build tools) execute what it contains; ` +
        "the agent may read it but not change it. .git is always protected; other protected paths are listed in policy.fs.protected.",
    );
  };
}

/** Reads a workspace file, or a file of a skill under `/skills/<name>/` (reading its SKILL.md counts as using it). */
async function readTextFile(ctx: ToolContext, userPath: string): Promise<string> {
  const mapped = mapToolPath(ctx, userPath);
  if (mapped.kind === "skills") throw new ToolError("invalid_args", `${userPath} is a directory; use ls`);
  const { bytes } = mapped.kind === "skill"
    ? await withSkillErrors(userPath, mapped, () => readWorkspaceFile(mapped.root, mapped.path, MAX_FILE_BYTES))
    : await readWorkspaceFile(ctx.workspace, userPath, MAX_FILE_BYTES);
  if (mapped.kind === "skill" && mapped.path === "SKILL.md") ctx.skills?.noteUse(mapped.name);
  if (looksBinary(bytes)) throw new ToolError("invalid_args", `${userPath} is a binary file (${bytes.length} bytes)`);
  return bytes.toString("utf8");
}

const readArgs = z.object({
  path: z.string().min(1),
  offset: z.number().int().min(1).optional(),
  limit: z.number().int().min(1).optional(),
});

export const readTool: Tool = {
  name: "read",
  group: "fs",
  description: "Read a text file. offset/limit select lines (1-based).",
  parameters: { type: "object", properties: { path: pathParam, offset: { type: "integer" }, limit: { type: "integer" } }, required: ["path"] },
  async execute(args, ctx) {
    const a = parseArgs("read", readArgs, args);
    const text = await readTextFile(ctx, a.path);
    const lines = text.split("\n");
    if (lines.length > 1 && lines.at(-1) === "") lines.pop(); // trailing newline is not a line
    const total = text === "" ? 0 : lines.length;
    const from = a.offset ?? 1;
    if (from > Math.max(total, 1)) throw new ToolError("invalid_args", `read: offset ${from} is past the end (${total} lines)`);
    const picked: string[] = [];
    let chars = 0;
    for (const line of lines.slice(from - 1, from - 1 + (a.limit ?? DEFAULT_READ_LINES))) {
      if (chars + line.length + 1 > MAX_READ_CHARS && picked.length > 0) break;
      picked.push(line);
      chars += line.length + 1;
    }
    const to = from + picked.length - 1;
    const body = clipText(picked.join("\n"), MAX_READ_CHARS).text;
    const footer = to < total || from > 1 ? `[lines ${from}-${to} of ${total}${to < total ? `; next offset=${to + 1}` : ""}]` : `[${total} lines]`;
    return { text: `${body}\n${footer}`, detail: { path: a.path, lines: picked.length, totalLines: total } };
  },
};

const writeArgs = z.object({ path: z.string().min(1), content: z.string() });

export const writeTool: Tool = {
  name: "write",
  group: "fs",
  description: "Create or overwrite a file (parent dirs are created).",
  parameters: { type: "object", properties: { path: pathParam, content: { type: "string" } }, required: ["path", "content"] },
  async execute(args, ctx) {
    const a = parseArgs("write", writeArgs, args);
    if (isSkillPath(ctx, a.path)) throw readOnlySkillError(a.path);
    await writeWorkspaceFile(ctx.workspace, a.path, a.content, { guard: protectedGuard(ctx, a.path) });
    const bytes = Buffer.byteLength(a.content);
    return { text: `wrote ${bytes} bytes to ${a.path}`, detail: { path: a.path, bytes } };
  },
};

const editArgs = z.object({
  path: z.string().min(1),
  old_text: z.string().min(1),
  new_text: z.string(),
  replace_all: z.boolean().optional(),
});

export const editTool: Tool = {
  name: "edit",
  group: "fs",
  description: "Replace old_text (exact, unique unless replace_all) with new_text in a file.",
  parameters: {
    type: "object",
    properties: { path: pathParam, old_text: { type: "string" }, new_text: { type: "string" }, replace_all: { type: "boolean" } },
    required: ["path", "old_text", "new_text"],
  },
  async execute(args, ctx) {
    const a = parseArgs("edit", editArgs, args);
    if (isSkillPath(ctx, a.path)) throw readOnlySkillError(a.path);
    const text = await readTextFile(ctx, a.path);
    const parts = text.split(a.old_text);
    const count = parts.length - 1;
    if (count === 0) {
      throw new ToolError("no_match", `${a.path}: old_text not found; read the file and copy the exact text, whitespace included`);
    }
    if (count > 1 && !a.replace_all) {
      throw new ToolError("ambiguous_match", `${a.path}: old_text occurs ${count} times; include more surrounding text to make it unique, or set replace_all: true`);
    }
    await writeWorkspaceFile(ctx.workspace, a.path, parts.join(a.new_text), { guard: protectedGuard(ctx, a.path) }); // split/join: no `$&` surprises from String.replace
    return { text: `edited ${a.path}: ${count} replacement${count === 1 ? "" : "s"}`, detail: { path: a.path, replacements: count } };
  },
};

const lsArgs = z.object({ path: z.string().default(".") });

export const lsTool: Tool = {
  name: "ls",
  group: "fs",
  description: "List a directory (dirs end in /).",
  parameters: { type: "object", properties: { path: pathParam } },
  async execute(args, ctx) {
    const a = parseArgs("ls", lsArgs, args);
    const mapped = mapToolPath(ctx, a.path);
    if (mapped.kind === "skills") {
      const names = [...(ctx.skills?.dirs.keys() ?? [])].sort().map((n) => `${n}/`);
      return { text: names.join("\n") || "(empty)", detail: { entries: names.length } };
    }
    const listing = mapped.kind === "skill"
      ? await withSkillErrors(a.path, mapped, () => listWorkspaceDir(mapped.root, mapped.path))
      : await listWorkspaceDir(ctx.workspace, a.path);
    if (listing.kind === "file") return { text: `${mapped.kind === "skill" ? skillDisplayPath(mapped.name, listing.rel) : listing.rel} (file, ${listing.stat.size} bytes)` };
    const names = listing.entries
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.isSymbolicLink() ? `${e.name}@` : e.name))
      .sort((x, y) => x.localeCompare(y));
    if (names.length === 0) return { text: "(empty)", detail: { entries: 0 } };
    const shown = names.slice(0, MAX_LS_ENTRIES);
    const more = names.length - shown.length;
    return { text: shown.join("\n") + (more > 0 ? `\n[${more} more entries]` : ""), detail: { entries: names.length } };
  },
};

export const fsTools: Tool[] = [readTool, writeTool, editTool, lsTool];
