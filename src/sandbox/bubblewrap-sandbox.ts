// Sandbox backed by bubblewrap (bwrap): fresh namespaces, read-only system dirs, the workspace as the only
// writable mount, a private /tmp, no network unless asked. Building the bwrap command line is a pure function.
import { lstat, readlink } from "node:fs/promises";
import { buildProtectedBinds } from "./protected-paths.ts";
import { runProcess } from "./run-process.ts";
import { assertExecOptions, buildSandboxEnv, type ExecOptions, type ExecResult, type Sandbox } from "./sandbox.ts";

export interface BubblewrapSandboxOptions {
  /** Path of the bwrap binary (from detectBubblewrap). */
  bwrapPath: string;
  /** PATH inside the sandbox; default SANDBOX_PATH. */
  path?: string;
  /** Extra host dirs to expose read-only at the same path (e.g. `/opt` for toolchains installed there). */
  extraReadOnly?: string[];
}

/**
 * How one top-level system dir appears inside the sandbox. We bind system dirs selectively rather than
 * `--ro-bind / /`: a read-only root would still let a command *read* the user's home (~/.pincer with model
 * keys and channel tokens, ssh keys, other projects). Programs need only /usr, /etc and the merged-/usr
 * links; on merged-/usr distros /bin, /lib… are symlinks and are recreated as symlinks.
 */
export type SystemMount = { kind: "ro-bind"; path: string } | { kind: "symlink"; path: string; target: string };

const SYSTEM_DIRS = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/** When /etc/resolv.conf is a symlink into /run (systemd-resolved), name resolution needs this dir. */
const RESOLVER_DIRS = ["/run/systemd/resolve"];

/** Inspects the host once: which system dirs exist and which are symlinks. */
export async function inspectSystemMounts(dirs: string[] = SYSTEM_DIRS): Promise<SystemMount[]> {
  const mounts: SystemMount[] = [];
  for (const path of dirs) {
    const stat = await lstat(path).catch(() => undefined);
    if (!stat) continue;
    if (stat.isSymbolicLink()) mounts.push({ kind: "symlink", path, target: await readlink(path) });
    else if (stat.isDirectory()) mounts.push({ kind: "ro-bind", path });
  }
  return mounts;
}

/** Pure: the bwrap arguments (everything after `bwrap`) that run `opts.argv` confined as described above. */
export function buildBwrapArgs(opts: ExecOptions, mounts: SystemMount[], env: Record<string, string>, protectedBinds: string[] = []): string[] {
  const args: string[] = [];
  const underTmp = (path: string): boolean => path === "/tmp" || path.startsWith("/tmp/");
  const pushMount = (m: SystemMount): void => {
    if (m.kind === "symlink") args.push("--symlink", m.target, m.path);
    else args.push("--ro-bind", m.path, m.path);
  };
  for (const m of mounts) if (!underTmp(m.path)) pushMount(m);
  args.push("--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp");
  // Mounts below /tmp go after the fresh tmpfs, which would otherwise hide them.
  for (const m of mounts) if (underTmp(m.path)) pushMount(m);
  // After the tmpfs, so a workspace under /tmp is mounted over the fresh /tmp rather than hidden by it.
  args.push("--bind", opts.workspace, opts.workspace, ...protectedBinds);
  args.push("--unshare-all");
  if (opts.network) {
    args.push("--share-net");
    for (const dir of RESOLVER_DIRS) args.push("--ro-bind-try", dir, dir);
  }
  args.push("--die-with-parent", "--new-session", "--clearenv");
  for (const [key, value] of Object.entries(env)) args.push("--setenv", key, value);
  args.push("--chdir", opts.cwd, "--", ...opts.argv);
  return args;
}

/**
 * Creates a Sandbox that runs every command under bwrap.
 * Contract: as Sandbox; the process sees the workspace read-write but its protected paths (protected-paths.ts) read-only, system dirs read-only, nothing else of
 * the host filesystem, its own PID/IPC/UTS namespaces and, unless `network`, no network interfaces but lo.
 */
export function createBubblewrapSandbox(opts: BubblewrapSandboxOptions): Sandbox {
  let mounts: Promise<SystemMount[]> | undefined; // per instance, inspected on first use
  return {
    name: "bubblewrap",
    async exec(exec: ExecOptions): Promise<ExecResult> {
      assertExecOptions(exec);
      mounts ??= inspectSystemMounts([...SYSTEM_DIRS, ...(opts.extraReadOnly ?? [])]);
      const env = buildSandboxEnv({ workspace: exec.workspace, path: opts.path, extra: exec.env });
      return runProcess({
        file: opts.bwrapPath,
        args: buildBwrapArgs(exec, await mounts, env, exec.unprotected ? [] : await buildProtectedBinds(exec.workspace, exec.protectedPaths ?? [])),
        cwd: exec.workspace,
        env: { PATH: env.PATH ?? "" }, // bwrap's own env; the sandboxed process gets `env` via --setenv
        timeoutMs: exec.timeoutMs,
        outputCapBytes: exec.outputCapBytes,
        signal: exec.signal,
        stdin: exec.stdin,
      });
    },
  };
}
