// The Sandbox port: run one argv (never through a shell) confined to a workspace, with a time limit and an
// output cap. Policy (which binaries may run) is decided by the caller, not here.
import { isAbsolute, relative } from "node:path";
import type { ResourceLimits, SandboxUser } from "./confinement.ts";

export interface ExecOptions {
  /** Program and arguments; argv[0] is looked up on the sandbox's PATH. No shell is involved. */
  argv: string[];
  /** Absolute working directory; must be the workspace or inside it. */
  cwd: string;
  /** Absolute, real path of the workspace: the only writable place the process sees. */
  workspace: string;
  /** Extra variables laid over the sandbox's minimal environment. */
  env?: Record<string, string>;
  timeoutMs: number;
  /** Cap on collected stdout + stderr together (bytes); the rest is drained and dropped. */
  outputCapBytes: number;
  /** Whether the process may reach the network (the host sandbox cannot enforce `false`). */
  network: boolean;
  signal?: AbortSignal;
  /** Written to the process's stdin, then closed; without it stdin is /dev/null. */
  stdin?: string;
  /**
   * Workspace paths or globs (`policy.fs.protected`) the process sees read-only, besides `.git` at any depth, which
   * always is. Only a sandbox that can mount enforces this (bubblewrap; not host).
   */
  protectedPaths?: readonly string[];
  /** Leaves protected paths writable: reserved for an elevated command approved by the operator. */
  unprotected?: boolean;
  /** Resource limits for the process; applied when the host has prlimit (util-linux), otherwise none. */
  limits?: ResourceLimits;
  /**
   * Host folders the process sees read-only at `target` (skills at `/skills/<name>`). bubblewrap mounts them; the
   * host sandbox cannot, and instead rewrites arguments that start with `target/` to the host folder.
   */
  readOnlyMounts?: ReadonlyArray<{ source: string; target: string }>;
}

/** Host sandbox stand-in for mounts: each argument that is `target` or starts with `target/` points at `source`. */
export function rewriteMountedArgs(argv: readonly string[], mounts: ExecOptions["readOnlyMounts"] = []): string[] {
  return argv.map((arg) => {
    const mount = mounts.find((m) => arg === m.target || arg.startsWith(`${m.target}/`));
    return mount ? mount.source + arg.slice(mount.target.length) : arg;
  });
}

export interface ExecResult {
  /** null when the process was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Output went over outputCapBytes and was cut. */
  truncated: boolean;
  /** Killed because timeoutMs passed. */
  timedOut: boolean;
  durationMs: number;
  /** The host user the command ran as when the gateway is root (never root itself); unset otherwise. */
  runAs?: SandboxUser;
}

/** Runs commands confined to a workspace. */
export interface Sandbox {
  /** Which backend this is; `host` gives no filesystem or network isolation. */
  readonly name: "bubblewrap" | "host";
  /**
   * Runs argv and collects its output.
   * Contract: resolves for any exit status, timeout or abort (the whole process group is killed); a missing
   * program resolves with a non-zero exit. Rejects only for a programmer error (empty argv, cwd outside the workspace).
   */
  exec(opts: ExecOptions): Promise<ExecResult>;
}

/** Default PATH inside a sandbox: system dirs only, so no user bin dirs leak in. */
export const SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * Git settings for every sandboxed process. HOME is the workspace, which the agent writes: git must not take
 * aliases, a pager, hooks or an fsmonitor command from a ~/.gitconfig there, nor run a bare repository's config
 * found by walking into a folder the agent made.
 */
const GIT_ENV = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_COUNT: "1",
  GIT_CONFIG_KEY_0: "safe.bareRepository",
  GIT_CONFIG_VALUE_0: "explicit",
};

/** The minimal environment every sandboxed process starts with; HOME is the workspace. */
export function buildSandboxEnv(opts: { workspace: string; path?: string; extra?: Record<string, string> }): Record<string, string> {
  return { PATH: opts.path ?? SANDBOX_PATH, HOME: opts.workspace, LANG: "C.UTF-8", ...GIT_ENV, ...opts.extra };
}

/** Rejects options no sandbox can honour: these are caller bugs, not command failures. */
export function assertExecOptions(opts: ExecOptions): void {
  if (opts.argv.length === 0 || !opts.argv[0]) throw new Error("sandbox exec: argv must name a program");
  if (!isAbsolute(opts.workspace)) throw new Error(`sandbox exec: workspace must be absolute, got ${opts.workspace}`);
  const rel = relative(opts.workspace, opts.cwd);
  if (!isAbsolute(opts.cwd) || rel.startsWith("..") || isAbsolute(rel)) {
    throw new Error(`sandbox exec: cwd ${opts.cwd} is outside the workspace ${opts.workspace}`);
  }
}
