// Confines user-supplied paths to the agent workspace: lexical escapes (`..`, absolute paths) and symlink
// escapes (any existing ancestor whose real path leaves the workspace) become ToolError("path_escape").
import { lstat, readlink, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ToolError } from "../core/errors.ts";

/** Symlink hops followed through dangling links before giving up (same order as the kernel's ELOOP limit). */
const MAX_LINK_HOPS = 40;

/** True when `child` is `parent` or lies below it (both absolute and normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Resolves `userPath` (relative to the workspace, or absolute inside it) to a real absolute path.
 * For a path that does not exist yet, the deepest existing ancestor is realpath'd and the rest appended,
 * so a symlinked parent pointing outside is caught before anything is created through it.
 * Throws ToolError `path_escape` for anything outside, `not_found` when `mustExist` and it is missing.
 */
export async function resolveInWorkspace(workspace: string, userPath: string, opts: { mustExist?: boolean } = {}): Promise<string> {
  if (userPath.includes("\0")) throw new ToolError("invalid_args", "path contains a NUL byte");
  const root = await realpath(workspace);
  const wanted = resolve(workspace, userPath || ".");
  // An absolute path may be spelled through the workspace's unresolved name (e.g. /tmp → /private/tmp).
  const lexical = isInside(root, wanted) ? wanted : isInside(resolve(workspace), wanted) ? join(root, relative(resolve(workspace), wanted)) : undefined;
  if (lexical === undefined) throw escapeError(userPath);

  const real = await realpathAllowMissing(lexical);
  if (!isInside(root, real.path)) throw escapeError(userPath);
  if (opts.mustExist && !real.exists) throw new ToolError("not_found", `${userPath}: no such file or directory in the workspace`);
  return real.path;
}

/** Path relative to the workspace root for display ("." for the root itself). */
export function toWorkspaceRelative(root: string, absPath: string): string {
  return relative(root, absPath) || ".";
}

function escapeError(userPath: string): ToolError {
  return new ToolError("path_escape", `${userPath}: refused, paths must stay inside the workspace (no absolute paths elsewhere, no .., no symlinks out)`);
}

/** realpath() that tolerates missing tails and follows dangling symlinks to where they would land. */
async function realpathAllowMissing(start: string): Promise<{ path: string; exists: boolean }> {
  let current = start;
  let tail: string[] = [];
  for (let hops = 0; hops <= MAX_LINK_HOPS; ) {
    try {
      const real = await realpath(current);
      return { path: tail.length ? join(real, ...tail) : real, exists: tail.length === 0 };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw err;
    }
    const stat = await lstat(current).catch(() => undefined);
    if (stat?.isSymbolicLink()) {
      // A dangling link: writing through it would create its target, so judge the target instead.
      current = resolve(dirname(current), await readlink(current));
      hops++;
      continue;
    }
    const parent = dirname(current);
    if (parent === current) return { path: join(current, ...tail), exists: false };
    tail = [basename(current), ...tail];
    current = parent;
  }
  throw new ToolError("path_escape", `${start}: too many levels of symbolic links`);
}
