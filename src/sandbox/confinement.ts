// Who a sandboxed command runs as and which resource limits it gets, shared by both sandboxes.
// Owns the choice of host user (never root) and the prlimit/setpriv wrappers; not the mounts or namespaces.
import { access, constants, stat } from "node:fs/promises";

/** Per-process resource limits (setrlimit); see policy.exec.limits. */
export interface ResourceLimits {
  /** RLIMIT_DATA: private writable memory (heap, anonymous mappings), bytes. */
  memoryBytes: number;
  /** RLIMIT_NPROC: processes (and threads) of the sandbox's host user, counted host-wide. */
  processes: number;
  /** RLIMIT_FSIZE: largest file the command may write, bytes. */
  fileSizeBytes: number;
  /** RLIMIT_CPU: CPU time per process, seconds. */
  cpuSeconds: number;
  /** RLIMIT_NOFILE: open file descriptors per process. */
  openFiles: number;
}

/** A host user and group id. */
export interface SandboxUser {
  uid: number;
  gid: number;
  /** Set when this is nobody because root owns the workspace (the command cannot write it). */
  rootOwnedWorkspace?: true;
}

/** The user a command runs as when the gateway is root and the workspace belongs to root too. */
export const NOBODY: SandboxUser = { uid: 65534, gid: 65534 };

/** util-linux helpers the sandboxes wrap commands with; absent ones are undefined. */
export interface ConfineHelpers {
  /** Applies rlimits, then executes the command. */
  prlimit?: string;
  /** Changes uid/gid, drops supplementary groups and every capability, then executes the command. */
  setpriv?: string;
}

const HELPER_DIRS = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

/** Looks for prlimit and setpriv in the system dirs (which the bubblewrap sandbox also mounts). Never rejects. */
export async function findConfineHelpers(dirs: string[] = HELPER_DIRS): Promise<ConfineHelpers> {
  const find = async (name: string): Promise<string | undefined> => {
    for (const dir of dirs) {
      const path = `${dir}/${name}`;
      if (await access(path, constants.X_OK).then(() => true, () => false)) return path;
    }
    return undefined;
  };
  const [prlimit, setpriv] = await Promise.all([find("prlimit"), find("setpriv")]);
  return { ...(prlimit ? { prlimit } : {}), ...(setpriv ? { setpriv } : {}) };
}

/**
 * The host user a command in `workspace` runs as. A gateway that is not root runs commands as itself
 * (undefined: no change). A root gateway never runs them as root: they run as the workspace's owner, or as
 * nobody (65534) when root owns the workspace — then the command can only read what is world-readable there.
 */
export async function pickSandboxUser(workspace: string, gatewayUid: number | undefined): Promise<SandboxUser | undefined> {
  if (gatewayUid !== 0) return undefined;
  const owner = await stat(workspace);
  return owner.uid === 0 ? { ...NOBODY, rootOwnedWorkspace: true } : { uid: owner.uid, gid: owner.gid === 0 ? NOBODY.gid : owner.gid };
}

/**
 * Pure: `prlimit --data=… … --` (a prefix for the command's argv). `nproc: false` leaves the process limit out,
 * for a command that shares its host user with the gateway: RLIMIT_NPROC would count the gateway's own
 * threads and every other process of that user.
 */
export function prlimitArgs(prlimitPath: string, limits: ResourceLimits, opts: { nproc?: boolean } = {}): string[] {
  const both = (n: number): string => `${n}:${n}`; // soft:hard, so the command cannot raise them again
  return [
    prlimitPath,
    `--data=${both(limits.memoryBytes)}`,
    ...(opts.nproc === false ? [] : [`--nproc=${both(limits.processes)}`]),
    `--fsize=${both(limits.fileSizeBytes)}`,
    `--cpu=${both(limits.cpuSeconds)}`,
    `--nofile=${both(limits.openFiles)}`,
    "--",
  ];
}

/** Pure: `setpriv … --` that becomes `user` with no groups, no capabilities and no way to gain privileges. */
export function setprivArgs(setprivPath: string, user: SandboxUser): string[] {
  return [
    setprivPath,
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
    "--",
  ];
}
