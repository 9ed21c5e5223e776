// Sandbox backed by bubblewrap (bwrap): fresh namespaces, read-only system dirs and the needed parts of /etc, the
// workspace as the only writable mount, a private /tmp, no network unless asked, never root, resource limits.
// Building the bwrap command line is a pure function.
import { lstat, readlink } from "node:fs/promises";
import { dirname } from "node:path";
import { findConfineHelpers, pickSandboxUser, prlimitArgs, setprivArgs, type ConfineHelpers, type SandboxUser } from "./confinement.ts";
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
  /** prlimit/setpriv to use; default: looked up in the system dirs on first use. */
  helpers?: ConfineHelpers;
  /** The gateway's uid; default process.getuid(). Root (0) makes commands run as another user. */
  gatewayUid?: number;
}

/**
 * How one top-level system dir appears inside the sandbox. We bind system dirs selectively rather than
 * `--ro-bind / /`: a read-only root would still let a command *read* the user's home (~/.pincer with model
 * keys and channel tokens, ssh keys, other projects). Programs need only /usr, /etc and the merged-/usr
 * links; on merged-/usr distros /bin, /lib… are symlinks and are recreated as symlinks.
 */
export type SystemMount = ({ kind: "ro-bind"; path: string } | { kind: "symlink"; path: string; target: string }) & {
  /** Mounted only when the command may use the network (name resolution files). */
  networkOnly?: boolean;
};

const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/**
 * The parts of /etc programs need: users and groups by name, the dynamic linker, TLS roots (never
 * /etc/ssl/private), alternatives links, time zone, locale and MIME data, system git config. Not the rest of
 * /etc: /etc/shadow, sudoers, ssh host keys and service configs stay invisible.
 */
const ETC_FILES = [
  "passwd", "group", "nsswitch.conf", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "ssl/certs", "ssl/openssl.cnf",
  "ca-certificates", "ca-certificates.conf", "pki/tls/certs", "pki/tls/cert.pem", "pki/tls/openssl.cnf", "pki/ca-trust",
  "crypto-policies", "alternatives", "localtime", "timezone", "locale.alias", "mime.types", "magic", "magic.mime",
  "gitconfig", "os-release", "protocols", "services", "shells", "terminfo", "mtab",
].map((name) => `/etc/${name}`);
/** Name resolution: mounted only when policy.exec.network allows the network. */
const NETWORK_ETC_FILES = ["resolv.conf", "hosts", "host.conf", "gai.conf", "networks"].map((name) => `/etc/${name}`);
/** When /etc/resolv.conf is a symlink into /run (systemd-resolved), name resolution needs this dir. */
const RESOLVER_DIRS = ["/run/systemd/resolve"];

/** Inspects the host once: which system dirs and /etc files exist and which are symlinks. */
export async function inspectSystemMounts(dirs: string[] = [...SYSTEM_DIRS, ...ETC_FILES], networkOnly: string[] = NETWORK_ETC_FILES): Promise<SystemMount[]> {
  const mounts: SystemMount[] = [];
  for (const path of [...dirs, ...networkOnly]) {
    const stat = await lstat(path).catch(() => undefined);
    if (!stat) continue;
    const flag = networkOnly.includes(path) ? { networkOnly: true } : {};
    if (stat.isSymbolicLink()) mounts.push({ kind: "symlink", path, target: await readlink(path), ...flag });
    else if (stat.isDirectory() || stat.isFile()) mounts.push({ kind: "ro-bind", path, ...flag });
  }
  return mounts;
}

/** What confines the command beyond the system mounts: protected paths, its user, and the wrappers. */
export interface BwrapConfinement {
  /** bwrap arguments mounting the workspace's protected paths read-only over it (protected-paths.ts). */
  protectedBinds?: string[];
  /** Set when the gateway is root: the host user the command becomes. */
  user?: SandboxUser;
  helpers?: ConfineHelpers;
}

/**
 * Pure: namespaces and identity. Not root: one user namespace, as the gateway's own unprivileged user. Root with
 * setpriv: bwrap sets up as root without a user namespace and setpriv becomes `user` on the host (so files,
 * signals, peer credentials and RLIMIT_NPROC all see that user). Root without setpriv: uid 65534 inside a user
 * namespace, no capabilities, /proc read-only — but still root to the host kernel (see docs/sandbox.md).
 */
function identityArgs(network: boolean, c: BwrapConfinement): string[] {
  const netArgs = (all: boolean): string[] => (network ? (all ? ["--share-net"] : []) : all ? [] : ["--unshare-net"]);
  if (!c.user) return ["--unshare-all", ...netArgs(true)];
  if (c.helpers?.setpriv) return ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try", ...netArgs(false)];
  return ["--unshare-all", ...netArgs(true), "--unshare-user", "--uid", String(c.user.uid), "--gid", String(c.user.gid), "--cap-drop", "ALL", "--remount-ro", "/proc"];
}

/** Pure: what runs inside bwrap: the argv, wrapped by prlimit (limits) and setpriv (a root gateway's user switch). */
function wrapArgv(opts: ExecOptions, c: BwrapConfinement): string[] {
  const limits = opts.limits && c.helpers?.prlimit ? prlimitArgs(c.helpers.prlimit, opts.limits) : [];
  const become = c.user && c.helpers?.setpriv ? setprivArgs(c.helpers.setpriv, c.user) : [];
  return [...limits, ...become, ...opts.argv];
}

/** Pure: the bwrap arguments (everything after `bwrap`) that run `opts.argv` confined as described above. */
export function buildBwrapArgs(opts: ExecOptions, mounts: SystemMount[], env: Record<string, string>, confine: BwrapConfinement = {}): string[] {
  const args: string[] = [];
  const underTmp = (path: string): boolean => path === "/tmp" || path.startsWith("/tmp/");
  // bwrap running as root creates missing parent dirs 0700; the unprivileged command needs to traverse them.
  const parents = new Set<string>(["/"]);
  const pushParent = (path: string): void => {
    if (!confine.user || parents.has(dirname(path))) return;
    parents.add(dirname(path));
    args.push("--perms", "0755", "--dir", dirname(path));
  };
  const pushMount = (m: SystemMount): void => {
    if (m.networkOnly && !opts.network) return;
    pushParent(m.path);
    if (m.kind === "symlink") args.push("--symlink", m.target, m.path);
    else args.push("--ro-bind", m.path, m.path);
  };
  for (const m of mounts) if (!underTmp(m.path)) pushMount(m);
  args.push("--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp");
  // Mounts below /tmp go after the fresh tmpfs, which would otherwise hide them.
  for (const m of mounts) if (underTmp(m.path)) pushMount(m);
  // After the tmpfs, so a workspace under /tmp is mounted over the fresh /tmp rather than hidden by it.
  pushParent(opts.workspace);
  args.push("--bind", opts.workspace, opts.workspace, ...(confine.protectedBinds ?? []));
  for (const mount of opts.readOnlyMounts ?? []) {
    pushParent(mount.target);
    args.push("--ro-bind", mount.source, mount.target);
  }
  args.push(...identityArgs(opts.network, confine));
  if (opts.network) {
    for (const dir of RESOLVER_DIRS) {
      pushParent(dir);
      args.push("--ro-bind-try", dir, dir);
    }
  }
  args.push("--die-with-parent", "--new-session", "--clearenv");
  for (const [key, value] of Object.entries(env)) args.push("--setenv", key, value);
  args.push("--chdir", opts.cwd, "--", ...wrapArgv(opts, confine));
  return args;
}

/**
 * Creates a Sandbox that runs every command under bwrap.
 * Contract: as Sandbox; the process sees the workspace read-write but its protected paths (protected-paths.ts)
 * read-only, system dirs read-only, nothing else of the host filesystem, its own PID/IPC/UTS namespaces and,
 * unless `network`, no network interfaces but lo.
 * It never runs as root on the host (see pickSandboxUser) and gets `exec.limits` when prlimit exists.
 */
export function createBubblewrapSandbox(opts: BubblewrapSandboxOptions): Sandbox {
  let mounts: Promise<SystemMount[]> | undefined; // per instance, inspected on first use
  let helpers: Promise<ConfineHelpers> | undefined;
  return {
    name: "bubblewrap",
    async exec(exec: ExecOptions): Promise<ExecResult> {
      assertExecOptions(exec);
      mounts ??= inspectSystemMounts([...SYSTEM_DIRS, ...ETC_FILES, ...(opts.extraReadOnly ?? [])]);
      helpers ??= opts.helpers ? Promise.resolve(opts.helpers) : findConfineHelpers();
      const user = await pickSandboxUser(exec.workspace, opts.gatewayUid ?? process.getuid?.());
      const env = buildSandboxEnv({ workspace: exec.workspace, path: opts.path, extra: exec.env });
      const result = await runProcess({
        file: opts.bwrapPath,
        args: buildBwrapArgs(exec, await mounts, env, {
          ...(user ? { user } : {}),
          helpers: await helpers,
          protectedBinds: exec.unprotected ? [] : await buildProtectedBinds(exec.workspace, exec.protectedPaths ?? []),
        }),
        cwd: exec.workspace,
        env: { PATH: env.PATH ?? "" }, // bwrap's own env; the sandboxed process gets `env` via --setenv
        timeoutMs: exec.timeoutMs,
        outputCapBytes: exec.outputCapBytes,
        signal: exec.signal,
        stdin: exec.stdin,
      });
      return user ? { ...result, runAs: user } : result;
    },
  };
}
