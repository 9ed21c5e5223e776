// Sandbox fallback that runs commands directly on the host: no shell, cwd inside the workspace, minimal env,
// never root, resource limits through prlimit. It cannot hide the filesystem or cut the network; it is for
// hosts without bubblewrap, under a strict policy.
import { findConfineHelpers, pickSandboxUser, prlimitArgs, type ConfineHelpers } from "./confinement.ts";
import { runProcess } from "./run-process.ts";
import { assertExecOptions, buildSandboxEnv, rewriteMountedArgs, type ExecOptions, type ExecResult, type Sandbox } from "./sandbox.ts";

export interface HostSandboxOptions {
  /** PATH for the spawned process (and for looking up argv[0]); default SANDBOX_PATH. */
  path?: string;
  /** prlimit to apply limits with; default: looked up in the system dirs on first use. */
  helpers?: ConfineHelpers;
  /** The gateway's uid; default process.getuid(). Root (0) makes commands run as another user. */
  gatewayUid?: number;
}

/**
 * Creates the host Sandbox.
 * Contract: as Sandbox, but `network: false` is not enforced and the process can read whatever its user can;
 * only the environment is cleared (no inherited secrets in env vars). A root gateway runs commands as the
 * workspace's owner or nobody (pickSandboxUser); `exec.limits` apply when prlimit exists.
 */
export function createHostSandbox(opts: HostSandboxOptions = {}): Sandbox {
  let helpers: Promise<ConfineHelpers> | undefined;
  return {
    name: "host",
    async exec(exec: ExecOptions): Promise<ExecResult> {
      assertExecOptions(exec);
      helpers ??= opts.helpers ? Promise.resolve(opts.helpers) : findConfineHelpers();
      const { prlimit } = await helpers;
      const user = await pickSandboxUser(exec.workspace, opts.gatewayUid ?? process.getuid?.());
      // Without a user switch the command shares the gateway's user: no process limit (see prlimitArgs).
      const limits = exec.limits && prlimit ? prlimitArgs(prlimit, exec.limits, { nproc: user !== undefined }) : [];
      const [file, ...args] = [...limits, ...rewriteMountedArgs(exec.argv, exec.readOnlyMounts)] as [string, ...string[]];
      const result = await runProcess({
        file,
        args,
        cwd: exec.cwd,
        env: buildSandboxEnv({ workspace: exec.workspace, path: opts.path, extra: exec.env }),
        timeoutMs: exec.timeoutMs,
        outputCapBytes: exec.outputCapBytes,
        signal: exec.signal,
        stdin: exec.stdin,
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
      });
      return user ? { ...result, runAs: user } : result;
    },
  };
}
