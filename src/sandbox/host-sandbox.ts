// Sandbox fallback that runs commands directly on the host: no shell, cwd inside the workspace, minimal env.
// It cannot hide the filesystem or cut the network; it is for hosts without bubblewrap, under a strict policy.
import { runProcess } from "./run-process.ts";
import { assertExecOptions, buildSandboxEnv, type ExecOptions, type ExecResult, type Sandbox } from "./sandbox.ts";

export interface HostSandboxOptions {
  /** PATH for the spawned process (and for looking up argv[0]); default SANDBOX_PATH. */
  path?: string;
}

/**
 * Creates the host Sandbox.
 * Contract: as Sandbox, but `network: false` is not enforced and the process can read whatever the gateway's
 * user can; only the environment is cleared (no inherited secrets in env vars).
 */
export function createHostSandbox(opts: HostSandboxOptions = {}): Sandbox {
  return {
    name: "host",
    async exec(exec: ExecOptions): Promise<ExecResult> {
      assertExecOptions(exec);
      const [file, ...args] = exec.argv as [string, ...string[]];
      return runProcess({
        file,
        args,
        cwd: exec.cwd,
        env: buildSandboxEnv({ workspace: exec.workspace, path: opts.path, extra: exec.env }),
        timeoutMs: exec.timeoutMs,
        outputCapBytes: exec.outputCapBytes,
        signal: exec.signal,
        stdin: exec.stdin,
      });
    },
  };
}
