// Spawns one process in its own process group and collects capped output; shared by both sandboxes.
// Knows nothing about isolation: the caller builds the argv (e.g. a bwrap command line) and env.
import type { ExecResult } from "./sandbox.ts";

export interface RunProcessOptions {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  outputCapBytes: number;
  signal?: AbortSignal;
  stdin?: string;
  /** Host user to run as (needs a root parent); default: the parent's own user. */
  uid?: number;
  gid?: number;
}

/** After `exit`, how long to wait for the pipes to close before giving up on them (a grandchild may hold them). */
const PIPE_GRACE_MS = 1_000;

/**
 * Runs a program (no shell) and resolves with its exit status and output.
 * Contract: never rejects; a program that cannot be spawned resolves with exit code 127 (or 126) and the
 * reason on stderr; on timeout or abort the whole process group gets SIGKILL.
 */
export function runProcess(opts: RunProcessOptions): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let collected = 0; // bytes kept, stdout + stderr
    let truncated = false;
    let timedOut = false;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    // node:child_process is taken on the first command, not at start-up (it brings dgram and the IPC code with it).
    const child = process.getBuiltinModule("node:child_process").spawn(opts.file, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      shell: false,
      detached: true, // own process group, so a timeout kills grandchildren too
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
      stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });

    const killGroup = (): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL"); // the group is already gone; make sure the leader is too
      }
    };
    const onAbort = (): void => killGroup();
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);

    const finish = (exitCode: number | null, signal: string | null, extraStderr = ""): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      opts.signal?.removeEventListener("abort", onAbort);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8") + extraStderr,
        truncated,
        timedOut,
        durationMs: Math.round(performance.now() - started),
      });
    };

    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      const room = opts.outputCapBytes - collected;
      if (chunk.length <= room) {
        into.push(chunk);
        collected += chunk.length;
        return;
      }
      truncated = true;
      if (room > 0) {
        into.push(chunk.subarray(0, room));
        collected += room;
      }
      // keep draining (and dropping) so the child never blocks on a full pipe
    };
    child.stdout?.on("data", collect(stdout));
    child.stderr?.on("data", collect(stderr));

    child.on("error", (err: NodeJS.ErrnoException) => {
      const code = err.code === "EACCES" ? 126 : 127;
      finish(code, null, `${opts.file}: ${err.code === "ENOENT" ? "command not found" : err.message}\n`);
    });
    child.on("exit", (code, signal) => {
      graceTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, signal);
      }, PIPE_GRACE_MS);
    });
    child.on("close", (code, signal) => finish(code, signal));

    if (opts.signal?.aborted) killGroup();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });

    if (opts.stdin !== undefined && child.stdin) {
      child.stdin.on("error", () => {}); // EPIPE when the program exits without reading: not our failure
      child.stdin.end(opts.stdin);
    }
  });
}
