// The exec tool: one command, split without a shell, checked against policy.exec, run in the Sandbox.
// Splitting and policy checks are pure (exec-command.ts); this file only wires them to the sandbox.
import { z } from "zod";
import type { Policy } from "../../core/config-schema.ts";
import { ToolError } from "../../core/errors.ts";
import type { ResourceLimits } from "../../sandbox/confinement.ts";
import type { ExecResult, Sandbox } from "../../sandbox/sandbox.ts";
import { SKILLS_MOUNT } from "../skill-paths.ts";
import type { SkillView, Tool, ToolResult } from "../tool.ts";
import { parseArgs } from "../tool-kit.ts";
import { locateWorkspaceDir } from "../workspace-fs.ts";
import { checkExecPolicy, splitCommand } from "./exec-command.ts";
import { applyExecGrants } from "./exec-grants.ts";

const execArgs = z.object({ command: z.string().min(1), cwd: z.string().optional() });

/** Renders a sandbox result for the model: exit status first, then non-empty streams, then notes. */
export function formatExecResult(r: ExecResult, opts: { timeoutMs: number; outputCapBytes: number }): string {
  const status = r.exitCode !== null ? `exit code ${r.exitCode}` : `killed by ${r.signal ?? "signal"}`;
  const parts = [status];
  if (r.stdout) parts.push(`stdout:\n${r.stdout.replace(/\n$/, "")}`);
  if (r.stderr) parts.push(`stderr:\n${r.stderr.replace(/\n$/, "")}`);
  if (!r.stdout && !r.stderr) parts.push("(no output)");
  if (r.timedOut) parts.push(`[timed out after ${opts.timeoutMs} ms; process killed]`);
  if (r.truncated) parts.push(`[output truncated at ${opts.outputCapBytes} bytes]`);
  if (r.exitCode !== 0 && r.runAs?.rootOwnedWorkspace) {
    parts.push("[ran as nobody (uid 65534): the gateway runs as root, and commands never do; the workspace belongs to root, so they can only read what is world-readable there. 'pincer doctor' shows the fix]");
  }
  return parts.join("\n");
}

const MIB = 1024 * 1024;

/** Each skill of the run, read-only at `/skills/<name>` (the paths the prompt and the file tools use). */
function skillMounts(skills: SkillView): Array<{ source: string; target: string }> {
  return [...skills.dirs].map(([name, dir]) => ({ source: dir, target: `${SKILLS_MOUNT}/${name}` }));
}

/** policy.exec.limits (MiB, as users write them) → the sandbox's ResourceLimits (bytes). */
export function toResourceLimits(l: Policy["exec"]["limits"]): ResourceLimits {
  return { memoryBytes: l.memory_mb * MIB, processes: l.processes, fileSizeBytes: l.file_size_mb * MIB, cpuSeconds: l.cpu_seconds, openFiles: l.open_files };
}

/**
 * Creates the exec tool bound to a sandbox.
 * Contract: a command refused by policy.exec throws ToolError("denied") whose message carries the reason
 * (e.g. `blocked binary: rm`); a non-zero exit or timeout is a result with isError, never a throw. `host`: where
 * commands of an elevated session run (ctx.elevated); default `sandbox`.
 */
export function createExecTool(sandbox: Sandbox, opts: { host?: Sandbox } = {}): Tool {
  return {
    name: "exec",
    group: "runtime",
    description: "Run one command in the workspace. No shell: no pipes, redirects or $VARS.",
    parameters: { type: "object", properties: { command: { type: "string" }, cwd: { type: "string" } }, required: ["command"] },
    async execute(args, ctx): Promise<ToolResult> {
      const a = parseArgs("exec", execArgs, args);
      const argv = splitCommand(a.command);
      const grants = applyExecGrants(argv, ctx.policy.exec, ctx.skills);
      const policy = grants.exec;
      const decision = checkExecPolicy(argv, policy, { approved: ctx.approved });
      if (!decision.allowed) throw new ToolError("denied", `exec refused: ${decision.reason}`);
      const env = policy.skill_env && grants.owner ? ctx.skills?.grantedEnv?.(grants.owner) ?? {} : {};

      const cwd = await locateWorkspaceDir(ctx.workspace, a.cwd ?? ".");
      // Elevated mode (the gate sets ctx.elevated): the command runs on the host, without the sandbox's mounts.
      const runner = ctx.elevated ? (opts.host ?? sandbox) : sandbox;
      const r = await runner.exec({
        argv,
        cwd,
        workspace: ctx.workspace,
        timeoutMs: policy.timeout_ms,
        outputCapBytes: policy.output_cap_bytes,
        network: policy.network,
        signal: ctx.signal,
        protectedPaths: ctx.policy.fs.protected,
        limits: toResourceLimits(policy.limits),
        ...(ctx.skills ? { readOnlyMounts: skillMounts(ctx.skills) } : {}),
        ...(Object.keys(env).length > 0 ? { env } : {}),
      });
      // Names only: the values of granted env vars never reach an audit record.
      const skillDetail = {
        ...(grants.binGrantedBy ? { skillGrant: grants.binGrantedBy } : {}),
        ...(Object.keys(env).length > 0 ? { skill: grants.owner, skillEnv: Object.keys(env) } : {}),
      };
      return {
        text: formatExecResult(r, { timeoutMs: policy.timeout_ms, outputCapBytes: policy.output_cap_bytes }),
        isError: r.exitCode !== 0 || r.timedOut,
        detail: { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, truncated: r.truncated, sandbox: runner.name, execMs: r.durationMs, ...(r.runAs ? { uid: r.runAs.uid } : {}), ...skillDetail },
      };
    },
  };
}
