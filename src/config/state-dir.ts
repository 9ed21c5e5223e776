// The state dir as the place Pincer writes: created on first use (0700) and checked writable, and the one mapping
// from a file-system failure there (permissions, read-only mount, a file where a folder belongs, a full disk) to a
// ConfigError naming the path and the fix. What lives in the state dir is each owner's business, not this file's.
import { access, constants, mkdir } from "node:fs/promises";
import { userInfo } from "node:os";
import { ConfigError } from "../core/errors.ts";

/**
 * Creates the state dir when absent (0700) and checks that this process may write it.
 * Contract: a failure the user must fix becomes a ConfigError from `toSetupError`; anything else is rethrown as is.
 */
export async function prepareStateDir(stateDir: string): Promise<void> {
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    // Root passes any mode check, but a read-only mount still answers EROFS here.
    await access(stateDir, constants.W_OK);
  } catch (err) {
    throw toSetupError(err, { dir: stateDir }) ?? err;
  }
}

export interface FsPlace {
  /** The folder: the state dir, or an agent's workspace. */
  dir: string;
  /** The file or folder the failed operation was on; default `dir`. */
  path?: string;
  /** How to name `dir` to the user; default "the state dir". */
  what?: string;
  /** The setting that moves it; default PINCER_HOME. */
  setting?: string;
}

/**
 * A failure to create, read or write `path` inside the state dir (or another folder Pincer keeps, such as a
 * workspace) as the error a user sees, or undefined when it is not a problem of that kind (a bug, a lock, …). Node
 * errno codes and SQLite's "cannot open", "read-only" and "full" results are recognised.
 */
export function toSetupError(err: unknown, where: FsPlace): ConfigError | undefined {
  const kind = failureKind(err);
  if (!kind) return undefined;
  const { dir, what = "the state dir", setting = "PINCER_HOME" } = where;
  const file = where.path ?? dir;
  const user = currentUser();
  const elsewhere = `or set ${setting} to a folder this user can write`;
  const texts: Record<FailureKind, [problem: string, fix: string]> = {
    denied: [`this user (${user}) may not write ${what} (permission denied)`, `give it the folder ('sudo chown -R ${user} ${dir}'), ${elsewhere}`],
    readonly: [`${what} is on a read-only file system`, `set ${setting} to a writable folder (in a container: mount a volume at ${dir})`],
    notDir: [`${what} cannot be created: part of ${dir} is a file, not a folder`, `move that file out of the way, ${elsewhere}`],
    isDir: [`a folder is in the way where Pincer keeps a file in ${what}`, `move ${file} aside, ${elsewhere}`],
    full: [`the disk holding ${what} is full`, `free some space, ${elsewhere}`],
  };
  const [problem, fix] = texts[kind];
  return new ConfigError({ file, problem, fix, cause: err });
}

type FailureKind = "denied" | "readonly" | "notDir" | "isDir" | "full";

const ERRNO_KINDS: Readonly<Record<string, FailureKind>> = {
  EACCES: "denied",
  EPERM: "denied",
  EROFS: "readonly",
  ENOTDIR: "notDir",
  EEXIST: "notDir", // mkdir -p over an existing file
  EISDIR: "isDir",
  ENOSPC: "full",
  EDQUOT: "full",
};

// SQLite result codes (https://www.sqlite.org/rescode.html) node:sqlite reports as `errcode`.
const SQLITE_KINDS: Readonly<Record<number, FailureKind>> = { 8: "denied", 13: "full", 14: "denied" }; // READONLY, FULL, CANTOPEN

function failureKind(err: unknown): FailureKind | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { code, errcode } = err as { code?: unknown; errcode?: unknown };
  if (code === "ERR_SQLITE_ERROR" && typeof errcode === "number") return SQLITE_KINDS[errcode & 0xff];
  return typeof code === "string" && Object.hasOwn(ERRNO_KINDS, code) ? ERRNO_KINDS[code] : undefined;
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? "?"}`;
  }
}
