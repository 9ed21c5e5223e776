// Workspace paths whose contents host tools execute (`.git` at any depth, plus `policy.fs.protected`): the one
// matcher the file tools ask before changing a path, and the bubblewrap arguments that mount them read-only for exec.
// It decides nothing about reading: protected paths stay readable.
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { compileGlob } from "../core/glob-pattern.ts";

/** Directory names protected at any depth, whatever the policy says. */
const ALWAYS_PROTECTED = ".git";
/** Bounds of the walk that looks for protected paths before each sandboxed command. */
const MAX_SCAN_ENTRIES = 20_000;
const MAX_SCAN_DEPTH = 32;
const SCAN_SKIP = new Set(["node_modules"]);

/**
 * One path component as a case-insensitive filesystem would compare it: NFKC, lower case, invisible (default
 * ignorable) code points removed, trailing dots and spaces dropped — so `.GIT`, `.g\u200cit` and `.git.` are `.git`.
 */
export function foldComponent(name: string): string {
  return name.normalize("NFKC").replace(/\p{Default_Ignorable_Code_Point}/gu, "").toLowerCase().replace(/[. ]+$/, "");
}

function foldPattern(pattern: string): string {
  return pattern.replace(/^(\.\/)+/, "").replace(/\/+$/, "").split("/").filter((s) => s !== "" && s !== ".").map(foldComponent).join("/");
}

/** Answers whether a workspace path is protected; see compileProtectedPaths. */
export type ProtectedMatcher = (parts: readonly string[]) => string | undefined;

/**
 * Compiles `policy.fs.protected` (workspace-relative paths or globs). The matcher takes the components of a path
 * under the workspace root and returns the protected prefix it lies in (e.g. `sub/.git`), or undefined.
 * Contract: never throws; a pattern that is not a valid glob is compared as a literal path.
 */
export function compileProtectedPaths(patterns: readonly string[]): ProtectedMatcher {
  const tests = patterns.map((raw) => {
    const folded = foldPattern(raw);
    try {
      const glob = compileGlob(folded);
      return (path: string) => glob.test(path);
    } catch {
      return (path: string) => path === folded;
    }
  });
  return (parts) => {
    const folded: string[] = [];
    for (const part of parts) {
      folded.push(foldComponent(part));
      if (folded.at(-1) === ALWAYS_PROTECTED) return parts.slice(0, folded.length).join("/");
      const path = folded.join("/");
      if (tests.some((test) => test(path))) return parts.slice(0, folded.length).join("/");
    }
    return undefined;
  };
}

/**
 * The protected paths that exist in the workspace (absolute), found by a bounded walk that follows no symlinks
 * and skips node_modules. A protected directory is returned whole, not descended into.
 */
export async function findProtectedPaths(workspace: string, matcher: ProtectedMatcher): Promise<string[]> {
  const found: string[] = [];
  let visited = 0;
  const visit = async (parts: string[]): Promise<void> => {
    const entries = await readdir(join(workspace, ...parts), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (++visited > MAX_SCAN_ENTRIES) return;
      if (e.isSymbolicLink()) continue;
      const child = [...parts, e.name];
      if (matcher(child) !== undefined) found.push(join(workspace, ...child));
      else if (e.isDirectory() && !SCAN_SKIP.has(e.name) && child.length < MAX_SCAN_DEPTH) await visit(child);
    }
  };
  await visit([]);
  return found;
}

/**
 * bwrap arguments, placed after the workspace's writable bind, that mount every protected path read-only over it.
 * When the workspace has no `.git`, an empty read-only one is mounted there so a command cannot create one (bwrap
 * leaves the empty mount-point directory behind; `git init` in the workspace fails inside the sandbox).
 */
export async function buildProtectedBinds(workspace: string, patterns: readonly string[]): Promise<string[]> {
  const args: string[] = [];
  for (const path of await findProtectedPaths(workspace, compileProtectedPaths(patterns))) args.push("--ro-bind", path, path);
  const rootGit = join(workspace, ALWAYS_PROTECTED);
  const rootGitStat = await lstat(rootGit).catch(() => undefined);
  if (!rootGitStat) args.push("--tmpfs", rootGit, "--remount-ro", rootGit);
  return args;
}
