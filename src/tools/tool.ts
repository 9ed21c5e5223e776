// The Tool contract every built-in (and later MCP/skill) tool implements, and the context a call runs in.
// Tools never decide policy: the ToolGate does that before `execute` is called.
import type { Policy } from "../core/config-schema.ts";

export type ToolGroup = "fs" | "runtime" | "web" | "agents" | "memory" | "automation";

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
