// The one way to open files in an agent workspace from a model- or user-supplied path: each component is opened
// from the directory handle before it, never following a symlink the kernel would resolve again later, so a
// directory swapped for a symlink mid-call cannot route a read or write outside. Not a policy engine: callers say what is protected.
import { randomBytes } from "node:crypto";
import { constants, existsSync, type Dirent, type Stats } from "node:fs";
import { lstat, mkdir, open, readdir, readlink, realpath, rename, unlink, type FileHandle } from "node:fs/promises";
import { isAbsolute, join, posix, relative, sep } from "node:path";
import { ToolError } from "../core/errors.ts";

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = constants;
/** Symlink hops followed inside the workspace before giving up (same order as the kernel's ELOOP limit). */
const MAX_LINK_HOPS = 40;
/**
 * On Linux, `/proc/self/fd/<dirfd>/<name>` resolves `<dirfd>` to the directory the descriptor holds, whatever its
 * path now points to: opening it with O_NOFOLLOW is `openat(dirfd, name, O_NOFOLLOW)`. Elsewhere (macOS) components
 * are opened by path string with O_NOFOLLOW: symlinks are still refused, but a rename racing the walk is not.
 */
const PROC_FD = process.platform === "linux" && existsSync("/proc/self/fd");

/** An open directory of the walk: its handle, a path for display and the fallback, and its components under the root. */
interface Dir {
  handle: FileHandle;
  path: string;
  parts: string[];
}

/** Decides, for the components of a path under the root, whether changing it is allowed; throws a ToolError if not. */
export type WriteGuard = (parts: readonly string[]) => void;

/** The path of `name` inside `dir` that the kernel resolves from the directory handle, not the path string. */
function at(dir: Dir, name: string): string {
  return PROC_FD ? `/proc/self/fd/${dir.handle.fd}/${name}` : join(dir.path, name);
}

function escapeError(userPath: string): ToolError {
  return new ToolError("path_escape", `${userPath}: refused, paths must stay inside the workspace (no absolute paths elsewhere, no .., no symlinks out)`);
}

/** True when `child` is `parent` or lies below it (both absolute and normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** Workspace-relative display form of path components ("." for the root). */
export function toRel(parts: readonly string[]): string {
  return parts.length === 0 ? "." : parts.join("/");
}

interface Root {
  /** Real path of the workspace. */
  real: string;
  /** The workspace as configured (may go through a symlink, e.g. /tmp → /private/tmp). */
  given: string;
  /** What the caller asked for, for messages. */
  userPath: string;
}

/** Components of `target` (absolute, or relative to `base` components) under the root; throws path_escape outside it. */
function toParts(root: Root, base: readonly string[], target: string): string[] {
  if (target.includes("\0")) throw new ToolError("invalid_args", "path contains a NUL byte");
  let rel: string;
  if (isAbsolute(target)) {
    const abs = posix.normalize(target.split(sep).join("/"));
    const from = isInside(root.real, abs) ? root.real : isInside(root.given, abs) ? root.given : undefined;
    if (from === undefined) throw escapeError(root.userPath);
    rel = relative(from, abs);
  } else rel = posix.join(...base, target.split(sep).join("/"));
  const parts: string[] = [];
  for (const part of rel.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) throw escapeError(root.userPath);
      parts.pop();
    } else parts.push(part);
  }
  return parts;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function openRoot(root: Root): Promise<Dir> {
  return { handle: await open(root.real, O_RDONLY | O_DIRECTORY), path: root.real, parts: [] };
}

/** What a step found at a name: an open directory, a symlink to follow, or nothing. */
type Step = { kind: "dir"; dir: Dir } | { kind: "link"; target: string } | { kind: "missing" } | { kind: "not_dir"; stat: Stats };

async function stepInto(dir: Dir, name: string): Promise<Step> {
  try {
    const handle = await open(at(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    return { kind: "dir", dir: { handle, path: join(dir.path, name), parts: [...dir.parts, name] } };
  } catch (err) {
    const code = errCode(err);
    if (code === "ENOENT") return { kind: "missing" };
    if (code !== "ENOTDIR" && code !== "ELOOP") throw err;
  }
  const info = await lstat(at(dir, name)).catch(() => undefined); // lstat never follows the last component
  if (!info) return { kind: "missing" };
  if (info.isSymbolicLink()) return { kind: "link", target: await readlink(at(dir, name)) };
  return { kind: "not_dir", stat: info };
}

/**
 * A root gateway gives what it creates in the workspace to the owner of the directory it is created in (or of the
 * file it replaces), so sandboxed commands — which never run as root, but as the workspace's owner — can change
 * files the tools wrote. A gateway that is not root creates files as itself, like any program.
 */
async function inheritOwner(parent: Dir, handle: FileHandle, replaced?: Stats): Promise<void> {
  if (process.geteuid?.() !== 0) return;
  const owner = replaced ?? (await parent.handle.stat());
  if (owner.uid !== 0 || owner.gid !== 0) await handle.chown(owner.uid, owner.gid);
}

/** What the final step of a walk made of the last name: a result, or a symlink the walk follows from the root. */
type Final<T> = { done: T } | { link: string };

interface WalkOptions<T> {
  /** Create missing intermediate directories (for writes) with this mode (before the umask). */
  create?: number;
  /** Called with the components of every path the walk is about to use, before anything is created. */
  guard?: WriteGuard;
  /** The last step, at the open parent directory; `name` is undefined for the root itself. */
  final: (parent: Dir, name: string | undefined) => Promise<Final<T>>;
}

/**
 * Walks `userPath` from the workspace root one component at a time. A symlink is read through its directory
 * handle, its target resolved lexically against where the walk stands, refused if it leaves the root, and the
 * walk restarts from the root on the new components (at most MAX_LINK_HOPS times).
 */
async function walk<T>(workspace: string, userPath: string, opts: WalkOptions<T>): Promise<T> {
  const root: Root = { real: await realpath(workspace), given: workspace, userPath };
  let parts = toParts(root, [], userPath);
  for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
    opts.guard?.(parts);
    let dir = await openRoot(root);
    try {
      let link: string[] | undefined;
      for (let i = 0; i < parts.length - 1 && !link; i++) {
        const name = parts[i]!;
        let step = await stepInto(dir, name);
        if (step.kind === "missing" && opts.create !== undefined) {
          await mkdir(at(dir, name), opts.create).catch((err: unknown) => {
            if (errCode(err) !== "EEXIST") throw err;
          });
          step = await stepInto(dir, name);
          if (step.kind === "dir") await inheritOwner(dir, step.dir.handle);
        }
        if (step.kind === "missing") throw new ToolError("not_found", `${userPath}: no such file or directory in the workspace`);
        if (step.kind === "not_dir") throw new ToolError("invalid_args", `${userPath}: ${toRel(parts.slice(0, i + 1))} is not a directory`);
        if (step.kind === "link") link = [...toParts(root, parts.slice(0, i), step.target), ...parts.slice(i + 1)];
        else {
          await dir.handle.close();
          dir = step.dir;
        }
      }
      if (!link) {
        const result = await opts.final(dir, parts.at(-1));
        if ("done" in result) return result.done;
        link = toParts(root, parts.slice(0, -1), result.link);
      }
      parts = link;
    } finally {
      await dir.handle.close();
    }
  }
  throw new ToolError("path_escape", `${userPath}: too many levels of symbolic links`);
}

/** An open regular file of the workspace. The caller closes `handle`. */
export interface OpenedFile {
  handle: FileHandle;
  stat: Stats;
  /** Workspace-relative path after following symlinks inside the workspace. */
  rel: string;
  /**
   * A path that reaches this open file for code that only takes paths (e.g. a channel SDK uploading it): on Linux
   * `/proc/self/fd/<fd>`, valid while `handle` is open and immune to renames; elsewhere the path as walked.
   */
  path: string;
}

async function openFileAt(dir: Dir, name: string, userPath: string): Promise<Final<OpenedFile>> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO planted in the workspace must not hang the open.
    handle = await open(at(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = errCode(err);
    if (code === "ENOENT") throw new ToolError("not_found", `${userPath}: no such file or directory in the workspace`);
    if (code === "ELOOP") return { link: await readlink(at(dir, name)) };
    throw err;
  }
  const stat = await handle.stat();
  if (stat.isFile()) return { done: { handle, stat, rel: toRel([...dir.parts, name]), path: PROC_FD ? `/proc/self/fd/${handle.fd}` : join(dir.path, name) } };
  await handle.close();
  if (stat.isDirectory()) throw new ToolError("invalid_args", `${userPath} is a directory; use ls`);
  throw new ToolError("invalid_args", `${userPath} is not a regular file`);
}

/**
 * Opens a regular file of the workspace for reading.
 * Contract: the file opened is inside the workspace at the moment it is opened; ToolError `path_escape`,
 * `not_found` or `invalid_args` (directory, FIFO, device) otherwise.
 */
export function openWorkspaceFile(workspace: string, userPath: string): Promise<OpenedFile> {
  return walk(workspace, userPath, {
    final: async (dir, name) => {
      if (name === undefined) throw new ToolError("invalid_args", `${userPath} is a directory; use ls`);
      return openFileAt(dir, name, userPath);
    },
  });
}

/** Reads a whole regular file of the workspace, refusing files over `maxBytes` with ToolError `too_large`. */
export async function readWorkspaceFile(workspace: string, userPath: string, maxBytes: number): Promise<{ bytes: Buffer; rel: string }> {
  const file = await openWorkspaceFile(workspace, userPath);
  try {
    if (file.stat.size > maxBytes) throw new ToolError("too_large", `${userPath} is ${file.stat.size} bytes; files over ${maxBytes} bytes are not read`);
    return { bytes: await file.handle.readFile(), rel: file.rel };
  } finally {
    await file.handle.close();
  }
}

/**
 * Replaces (or creates) a file of the workspace with `data`, creating parent directories.
 * The bytes go to a new temp file beside it (O_CREAT|O_EXCL|O_NOFOLLOW) that is renamed over the name: readers
 * never see half a file, and a hard link never carries the write to another name. A symlink inside the workspace
 * is written through to its target. `guard` sees every path the write is about to use.
 */
export async function writeWorkspaceFile(workspace: string, userPath: string, data: string | Uint8Array, opts: { guard?: WriteGuard; mode?: number; dirMode?: number } = {}): Promise<{ rel: string }> {
  return walk<{ rel: string }>(workspace, userPath, {
    create: opts.dirMode ?? 0o777,
    guard: opts.guard,
    final: async (dir, name) => {
      if (name === undefined) throw new ToolError("invalid_args", `${userPath} is a directory`);
      const existing = await lstat(at(dir, name)).catch(() => undefined);
      if (existing?.isSymbolicLink()) return { link: await readlink(at(dir, name)) };
      if (existing?.isDirectory()) throw new ToolError("invalid_args", `${userPath} is a directory`);
      const tmp = `.${name.slice(0, 100)}.${randomBytes(6).toString("hex")}.tmp`;
      const handle = await open(at(dir, tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, opts.mode ?? 0o666);
      try {
        if (existing?.isFile()) await handle.chmod(existing.mode & 0o777);
        await inheritOwner(dir, handle, existing?.isFile() ? existing : undefined);
        await handle.writeFile(data);
        await handle.close();
        await rename(at(dir, tmp), at(dir, name)); // rename never follows a symlink at either name
      } catch (err) {
        await handle.close().catch(() => undefined);
        await unlink(at(dir, tmp)).catch(() => undefined);
        throw err;
      }
      return { done: { rel: toRel([...dir.parts, name]) } };
    },
  });
}

/** A directory of the workspace (its entries, unsorted, types not followed) or the stat of a file that stands there. */
export type Listing = { kind: "dir"; rel: string; entries: Dirent[] } | { kind: "file"; rel: string; stat: Stats };

async function openDirFinal(dir: Dir, name: string | undefined): Promise<Final<Dir | { file: Stats; rel: string }>> {
  if (name === undefined) {
    // The walk closes its own handle; hand out a second one on the root.
    return { done: { handle: await open(at(dir, "."), O_RDONLY | O_DIRECTORY), path: dir.path, parts: [] } };
  }
  const step = await stepInto(dir, name);
  if (step.kind === "dir") return { done: step.dir };
  if (step.kind === "link") return { link: step.target };
  if (step.kind === "not_dir") return { done: { file: step.stat, rel: toRel([...dir.parts, name]) } };
  throw new ToolError("not_found", `${toRel([...dir.parts, name])}: no such file or directory in the workspace`);
}

/** Lists a directory of the workspace through its handle, so the names are those of the directory that was checked. */
export async function listWorkspaceDir(workspace: string, userPath: string): Promise<Listing> {
  const found = await walk(workspace, userPath, { final: openDirFinal });
  if ("file" in found) return { kind: "file", rel: found.rel, stat: found.file };
  try {
    return { kind: "dir", rel: toRel(found.parts), entries: await readdir(PROC_FD ? `/proc/self/fd/${found.handle.fd}` : found.path, { withFileTypes: true }) };
  } finally {
    await found.handle.close();
  }
}

/**
 * The absolute path of a directory of the workspace, after following symlinks inside it (for a sandbox's cwd,
 * which the sandbox confines itself). ToolError `invalid_args` when it is a file.
 */
export async function locateWorkspaceDir(workspace: string, userPath: string): Promise<string> {
  const found = await walk(workspace, userPath, { final: openDirFinal });
  if ("file" in found) throw new ToolError("invalid_args", `${userPath} is not a directory`);
  await found.handle.close();
  return found.path;
}

/**
 * One entry met by walkWorkspaceTree. `open` opens a regular file through the directory handle it was listed from;
 * call it before asking the walk for the next entry.
 */
export interface TreeEntry {
  /** Relative to the workspace root. */
  rel: string;
  /** Relative to the directory the walk started at (the file's name when it started at a file). */
  under: string;
  kind: "file" | "dir" | "other";
  open: () => Promise<OpenedFile | undefined>;
}

export interface TreeOptions {
  signal: AbortSignal;
  /** Entries visited before the walk stops (bounds the work of one call). */
  maxEntries: number;
  /** Directory names not descended into. */
  skipDir?: (name: string) => boolean;
  }

const MAX_TREE_DEPTH = 64;

/**
 * Walks a directory tree of the workspace depth-first, in name order, through directory handles. Symlinks are
 * neither followed nor reported. Stops early when the signal aborts or `maxEntries` is reached; `truncated` says so.
 */
export async function* walkWorkspaceTree(workspace: string, userPath: string, opts: TreeOptions): AsyncGenerator<TreeEntry, { truncated: boolean }> {
  const found = await walk(workspace, userPath, { final: openDirFinal });
  if ("file" in found) {
    const rel = found.rel;
    if (found.file.isFile()) yield { rel, under: rel.split("/").at(-1)!, kind: "file", open: () => openWorkspaceFile(workspace, rel) };
    return { truncated: false };
  }
  const start = found.parts.length;
  let visited = 0;
  async function* visit(dir: Dir, depth: number): AsyncGenerator<TreeEntry, boolean> {
    const entries = await readdir(PROC_FD ? `/proc/self/fd/${dir.handle.fd}` : dir.path, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const e of entries) {
      if (opts.signal.aborted || ++visited > opts.maxEntries) return false;
      if (e.isSymbolicLink()) continue;
      const parts = [...dir.parts, e.name];
      const rel = toRel(parts);
      const under = parts.slice(start).join("/");
      if (e.isDirectory()) {
        yield { rel, under, kind: "dir", open: async () => undefined };
        if (depth < MAX_TREE_DEPTH && !opts.skipDir?.(e.name)) subdirs.push(e.name);
        continue;
      }
      const kind = e.isFile() ? "file" : "other";
      yield { rel, under, kind, open: () => (kind === "file" ? openFileAt(dir, e.name, rel).then((r) => ("done" in r ? r.done : undefined)) : Promise.resolve(undefined)) };
    }
    for (const name of subdirs) {
      const step = await stepInto(dir, name); // re-opened with O_NOFOLLOW: swapped for a symlink since → skipped
      if (step.kind !== "dir") continue;
      try {
        if (!(yield* visit(step.dir, depth + 1))) return false;
      } finally {
        await step.dir.handle.close();
      }
    }
    return true;
  }
  try {
    return { truncated: !(yield* visit(found, 0)) };
  } finally {
    await found.handle.close();
  }
}
