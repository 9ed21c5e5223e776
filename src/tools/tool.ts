// The Tool contract every built-in (and later MCP/skill) tool implements, and the context a call runs in.
// Tools never decide policy: the ToolGate does that before `execute` is called.
import type { Policy } from "../core/config-schema.ts";
import type { ApprovalReason, Elevation, TaintSource } from "../core/domain.ts";

export type ToolGroup = "fs" | "runtime" | "web" | "agents" | "memory" | "automation" | "mcp";

/** A compact JSON Schema object (what the model sees). */
export type ToolParameters = { type: "object"; properties: Record<string, unknown>; required?: string[]; additionalProperties?: boolean };

export interface ToolContext {
  /** Absolute, real path of the agent workspace; fs tools are confined to it. */
  workspace: string;
  policy: Policy;
  signal: AbortSignal;
  runId: string | undefined;
  sessionKey: string | undefined;
  /** The skills this run may use; absent when none are eligible. */
  skills?: SkillView | undefined;
  /** Sub-agents and agent-to-agent messages for this run; absent where the runtime offers none. */
  agents?: AgentsView | undefined;
  /** Approvals, elevated mode and taint for this run; absent = no approvals possible (ask and taint then deny). */
  safety?: SafetyView | undefined;
  /** Set by the gate for this call: the session is elevated, so exec runs on the host instead of the sandbox. */
  elevated?: boolean | undefined;
  /** Set by the gate for this call: an owner approved it (or a standing rule did), so exec may run a binary outside
   * safe_bins under level `ask`. Blocked binaries stay refused. */
  approved?: boolean | undefined;
}

/** One tool call as the safety checks see it. */
export interface GuardedCall {
  name: string;
  group: ToolGroup;
  args: Record<string, unknown>;
}

/** How an approval request ended for the waiting call. */
export interface ApprovalOutcome {
  decision: "approved" | "denied" | "expired";
  /** `always`: a standing rule now allows this tool with this subject. */
  answer?: "once" | "always";
  by?: string;
  /** The request's id (audit). */
  requestId: string;
}

/**
 * The safety state of one run as the gate sees it (built in src/routing and src/app.ts, carried here so the tools layer
 * never imports them): taint (which untrusted content the run holds, and which calls that guards), elevated mode, and
 * approvals.
 */
export interface SafetyView {
  /** Why `call` is guarded because the run holds untrusted content (naming the source), or undefined when it is not. */
  taintReason(call: GuardedCall): string | undefined;
  /** The untrusted sources the run holds now, oldest first. */
  taintSources(): readonly TaintSource[];
  /** Records untrusted content a tool result just brought into the run (a fetched page, an untrusted MCP result). */
  noteUntrusted(source: TaintSource): void;
  /** The session's elevation while it is active (not expired), else undefined. */
  elevation(): Promise<Elevation | undefined>;
  /** A stored `always` rule allowing `tool` with `subject` for this run's agent. */
  standingRule(tool: string, subject: string | undefined): Promise<boolean>;
  /**
   * Asks the session's owners (and the operator) and waits: persisted, so a restart resumes the wait or finds the answer
   * (never asks twice for one call). Resolves `expired` after approvals.timeout_ms; `denied` at once when nobody can
   * approve. Rejects only when `signal` aborts.
   */
  requestApproval(req: { callId: string; tool: string; subject: string | undefined; summary: string; reason: ApprovalReason }, signal: AbortSignal): Promise<ApprovalOutcome>;
}

/** spawn_agent's arguments, validated. */
export interface SpawnArgs {
  task: string;
  agent?: string | undefined;
  model?: string | undefined;
  timeoutS?: number | undefined;
  background: boolean;
}

/** send_agent_message's arguments, validated. */
export interface AgentMessageArgs {
  to: string;
  text: string;
  wait: boolean;
}

/**
 * What the agent tools reach of the runtime, bound to one run (built in src/routing, carried here so the tools layer
 * never imports it). Contract: a refusal (limit, unknown agent, not allowed) throws ToolError naming its reason.
 */
export interface AgentsView {
  spawn(args: SpawnArgs, signal: AbortSignal): Promise<ToolResult>;
  message(args: AgentMessageArgs, signal: AbortSignal): Promise<ToolResult>;
}

/**
 * The skills of one run as the tools see them: the file tools map `/skills/<name>/…` to `dirs` (read-only), exec
 * mounts them there, and `tools` are the skill tools offered this turn. Built by src/skills, carried here so the
 * tools layer never imports it.
 */
export interface SkillView {
  /** Eligible skills (allow_unsafe ones included) by name → real path of the folder. */
  dirs: ReadonlyMap<string, string>;
  /** Tools the skills add this turn (skill_search, when the prompt index left skills out). */
  tools: readonly Tool[];
  /** Records that the agent used a skill (read its SKILL.md, or found it with skill_search). */
  noteUse(name: string): void;
  /** What the user granted each skill of the run (`pincer skills grant`): binaries joining policy.exec.safe_bins, and
   * env var names passed to that skill's commands. */
  grants?: ReadonlyMap<string, { bins: readonly string[]; env: readonly string[] }>;
  /** The values of a skill's granted env vars, from the gateway's environment (unset ones left out). Never logged. */
  grantedEnv?(name: string): Record<string, string>;
}

export interface ToolResult {
  /** What the model reads. */
  text: string;
  isError?: boolean;
  /** Extra facts for the audit record (exit code, bytes, path). Never secrets. */
  detail?: Record<string, unknown>;
}

export interface Tool {
  name: string;
  group: ToolGroup;
  /** One or two short sentences: every byte here is paid for on every turn. */
  description: string;
  parameters: ToolParameters;
  /** Validates and runs. Contract: throws ToolError for expected failures (bad args, escape, denied exec). */
  execute(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult>;
}

export interface ToolCall {
  id: string;
  name: string;
  args: unknown;
}
