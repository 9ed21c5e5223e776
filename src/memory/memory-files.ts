// Where memory lives on disk: MEMORY.md and memory/**.md in the agent workspace, plus each `memory.extra_paths`
// folder (Markdown, recursive). Every file is opened through tools/workspace-fs.ts, so no symlink leads out of its root.
import { createHash } from "node:crypto";
import { lstat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { ToolError } from "../core/errors.ts";
import { isInside, openWorkspaceFile, walkWorkspaceTree } from "../tools/workspace-fs.ts";

export const MEMORY_FILE = "MEMORY.md";
export const MEMORY_DIR = "memory";
/** Entries one listing visits at most per root (bounds a runaway extra path such as a home folder). */
const MAX_ENTRIES_PER_ROOT = 20_000;
const MARKDOWN = /\.(md|markdown)$/i;
const SKIP_DIRS = new Set([".git", "node_modules", ".obsidian", ".trash"]);

/** The folders memory is read from: the workspace (MEMORY.md, memory/) and the extra folders (absolute, real paths). */
export interface MemoryRoots {
  workspace: string;
  extra: readonly string[];
}

/** A memory file on disk. `path` is how the index and the tools name it: workspace-relative, or absolute for extras. */
export interface MemoryFileStat {
  path: string;
  root: string;
  rel: string;
  size: number;
  mtimeMs: number;
}

async function statEntry(open: () => Promise<{ handle: { close(): Promise<void> }; stat: { size: number; mtimeMs: number } } | undefined>) {
  const file = await open().catch(() => undefined);
  if (!file) return undefined;
  await file.handle.close();
  return { size: file.stat.size, mtimeMs: Math.floor(file.stat.mtimeMs) };
}

/** Files per batch of concurrent lstat calls. */
const STAT_BATCH = 64;

/**
 * Markdown files under `dir` of `root`. Folders are walked through handles (no symlink followed); files are only
 * lstat-ed here (size, mtime — never followed either); their content is read later through openWorkspaceFile.
 */
async function* markdownUnder(root: string, dir: string, signal: AbortSignal): AsyncGenerator<{ rel: string; size: number; mtimeMs: number }> {
  const stat = async (rel: string) => {
    const info = await lstat(join(root, rel)).catch(() => undefined);
    return info?.isFile() ? { rel, size: info.size, mtimeMs: Math.floor(info.mtimeMs) } : undefined;
  };
  let batch: string[] = [];
  const flush = async () => {
    const stats = await Promise.all(batch.map(stat));
    batch = [];
    return stats.filter((s) => s !== undefined);
  };
  try {
    const tree = walkWorkspaceTree(root, dir, { signal, maxEntries: MAX_ENTRIES_PER_ROOT, skipDir: (name) => SKIP_DIRS.has(name) || name.startsWith(".") });
    for await (const entry of tree) {
      if (entry.kind !== "file" || !MARKDOWN.test(entry.rel)) continue;
      batch.push(entry.rel);
      if (batch.length >= STAT_BATCH) yield* await flush();
    }
    yield* await flush();
  } catch (err) {
    if (err instanceof ToolError && err.code === "not_found") return; // the folder does not exist (yet)
    throw err;
  }
}

/** Lists the memory files under the roots, in a stable order. Missing roots and unreadable entries are skipped. */
export async function listMemoryFiles(roots: MemoryRoots, signal: AbortSignal = new AbortController().signal): Promise<MemoryFileStat[]> {
  const files: MemoryFileStat[] = [];
  const top = await statEntry(() => openWorkspaceFile(roots.workspace, MEMORY_FILE));
  if (top) files.push({ path: MEMORY_FILE, root: roots.workspace, rel: MEMORY_FILE, ...top });
  for await (const f of markdownUnder(roots.workspace, MEMORY_DIR, signal)) files.push({ path: f.rel, root: roots.workspace, ...f });
  for (const root of roots.extra) {
    for await (const f of markdownUnder(root, ".", signal)) files.push({ path: `${root}/${f.rel}`, root, ...f });
  }
  return files;
}

/**
 * Which root and relative path a memory path names. Contract: only MEMORY.md, memory/… and paths under an extra root;
 * anything else (another workspace file, `..`, elsewhere on disk) is a ToolError `path_escape`.
 */
export function locateMemoryPath(roots: MemoryRoots, path: string): { root: string; rel: string } {
  const refuse = () => new ToolError("path_escape", `${path}: not a memory file; use MEMORY.md, memory/… or a path memory_search returned`);
  if (isAbsolute(path)) {
    const root = roots.extra.find((r) => isInside(r, path) && path !== r);
    if (!root) throw refuse();
    return { root, rel: relative(root, path).split(sep).join("/") };
  }
  const clean = path.replace(/^\.\//, "");
  if (clean.split("/").includes("..")) throw refuse();
  if (clean === MEMORY_FILE || clean.startsWith(`${MEMORY_DIR}/`)) return { root: roots.workspace, rel: clean };
  throw refuse();
}

/** Reads one memory file (regular file, no symlink out of its root), refusing files over `maxBytes`. */
export async function readMemoryFile(root: string, rel: string, maxBytes: number): Promise<{ text: string; size: number; mtimeMs: number }> {
  const file = await openWorkspaceFile(root, rel);
  try {
    if (file.stat.size > maxBytes) throw new ToolError("too_large", `${rel} is ${file.stat.size} bytes; memory files over ${maxBytes} bytes are not indexed`);
    return { text: (await file.handle.readFile()).toString("utf8"), size: file.stat.size, mtimeMs: Math.floor(file.stat.mtimeMs) };
  } finally {
    await file.handle.close();
  }
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
