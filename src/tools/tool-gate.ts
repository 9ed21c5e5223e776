// The tool gate: the only way the agent runs a tool. It filters specs by policy, re-checks policy on every
// call, turns every failure into a tool result, and writes exactly one audit record per call. No approvals yet.
import type { AuditDecision, AuditRecord } from "../core/domain.ts";
import { ToolError, type ToolErrorCode } from "../core/errors.ts";
import { redactArgs } from "./redact-args.ts";
import type { Tool, ToolCall, ToolContext, ToolParameters } from "./tool.ts";
import { clipText } from "./tool-kit.ts";
import { decideTool, type ToolRules } from "./tool-policy.ts";

/** What the model is shown for one tool. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: ToolParameters;
}

export interface ToolGateResult {
  /** What the model reads as the tool result. */
  text: string;
  isError: boolean;
  /** `deny` when policy (tool rules, exec policy, path or address guard) refused the call. */
  decision: "allow" | "deny";
}

/** `extraTools`: the run's own tools beyond the built-in set (skill and memory tools); default the skills' tools. */
export type ToolGateContext = ToolContext & { rules: ToolRules; extraTools?: readonly Tool[] };

export interface ToolGate {
  /** Specs of the tools `rules` allow, then of the allowed `extra` tools of this run (skill tools); the model never
   * sees a denied tool. */
  specs(rules: ToolRules, extra?: readonly Tool[]): ToolSpec[];
  /**
   * Checks policy, runs the tool, audits.
   * Contract: never throws or rejects; every call yields exactly one `tool.call` audit record.
   */
  execute(call: ToolCall, ctx: ToolGateContext): Promise<ToolGateResult>;
}

export interface ToolGateOptions {
  tools: Tool[];
  audit: (record: AuditRecord) => Promise<void>;
  /** Clock, epoch ms. */
  now?: () => number;
  /** Told when writing an audit record fails; the call's result is returned regardless. */
  onAuditError?: (err: unknown) => void;
}

/** Refusals by a security guard inside a tool: audited as `deny` like a tool-rule refusal. */
const DENY_CODES: ReadonlySet<ToolErrorCode> = new Set(["denied", "path_escape", "blocked_address", "protected_path", "limit"]);
/** Safety net over each tool's own output cap. */
const MAX_RESULT_CHARS = 100_000;

type Outcome = ToolGateResult & { reason: string | undefined; detail: Record<string, unknown> };

/** Tool arguments arrive as an object; some providers send a JSON string or nothing. */
function toArgsObject(args: unknown): Record<string, unknown> {
  if (args === undefined || args === null || args === "") return {};
  let value = args;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ToolError("invalid_args", "arguments must be a JSON object");
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ToolError("invalid_args", "arguments must be a JSON object");
  return value as Record<string, unknown>;
}

/** Creates the gate over a fixed tool set. Throws on duplicate tool names (a wiring bug). */
export function createToolGate(opts: ToolGateOptions): ToolGate {
  const now = opts.now ?? Date.now;
  const byName = new Map<string, Tool>();
  for (const tool of opts.tools) {
    if (byName.has(tool.name)) throw new Error(`tool gate: duplicate tool name "${tool.name}"`);
    byName.set(tool.name, tool);
  }
  const allowedTools = (rules: ToolRules, extra: readonly Tool[] = []) =>
    [...opts.tools, ...extra.filter((t) => !byName.has(t.name))].filter((t) => decideTool(t.name, t.group, rules).allowed);

  async function record(call: ToolCall, ctx: ToolGateContext, started: number, outcome: Outcome): Promise<void> {
    try {
      await opts.audit({
        at: started,
        kind: "tool.call",
        decision: outcome.decision satisfies AuditDecision,
        runId: ctx.runId,
        sessionKey: ctx.sessionKey,
        tool: call.name,
        reason: outcome.reason,
        // callId: lets a reloaded conversation show which of its tool calls policy denied.
        detail: { callId: call.id, args: redactArgs(call.args), ...outcome.detail, durationMs: now() - started },
      });
    } catch (err) {
      opts.onAuditError?.(err);
    }
  }

  async function run(call: ToolCall, ctx: ToolGateContext): Promise<Outcome> {
    // A run's skill tools (ctx.skills.tools) pass the same policy, audit and error handling as the built-in ones.
    const extra = ctx.extraTools ?? ctx.skills?.tools;
    const tool = byName.get(call.name) ?? extra?.find((t) => t.name === call.name);
    if (!tool) {
      const known = allowedTools(ctx.rules, extra).map((t) => t.name).join(", ") || "none";
      return { text: `unknown tool "${call.name}"; available tools: ${known}`, isError: true, decision: "deny", reason: "unknown tool", detail: {} };
    }
    const policy = decideTool(tool.name, tool.group, ctx.rules);
    if (!policy.allowed) {
      return { text: `tool "${tool.name}" is not allowed here (${policy.reason})`, isError: true, decision: "deny", reason: policy.reason, detail: {} };
    }
    try {
      const args = toArgsObject(call.args);
      const held = await holdTainted(call, tool, args, ctx);
      if (held) return held;
      const result = await tool.execute(args, ctx);
      const text = clipText(result.text, MAX_RESULT_CHARS).text;
      return { text, isError: result.isError ?? false, decision: "allow", reason: policy.reason, detail: result.detail ?? {} };
    } catch (err) {
      if (err instanceof ToolError) {
        const deny = DENY_CODES.has(err.code);
        return { text: err.message, isError: true, decision: deny ? "deny" : "allow", reason: deny ? err.message : policy.reason, detail: { error: err.code } };
      }
      const message = err instanceof Error ? err.message : String(err);
      return { text: `tool ${tool.name} failed: ${message}`, isError: true, decision: "allow", reason: policy.reason, detail: { error: "internal", message } };
    }
  }

  /** Taint: a guarded call of a run holding untrusted content runs only when an owner approves it (policy.taint.action
   * `ask`), never with `deny`. The refusal names the untrusted source. */
  async function holdTainted(call: ToolCall, tool: Tool, args: Record<string, unknown>, ctx: ToolGateContext): Promise<Outcome | undefined> {
    const safety = ctx.safety;
    const why = safety?.taintReason({ name: tool.name, group: tool.group, args });
    if (!safety || why === undefined) return undefined;
    const taint = safety.taintSources().map((s) => s.label);
    const answer = ctx.policy.taint.action === "ask"
      ? await safety.requestApproval({ callId: call.id, tool: tool.name, subject: undefined, summary: clipText(JSON.stringify(redactArgs(args)), 500).text, reason: "taint" }, ctx.signal)
      : undefined;
    if (answer?.decision === "approved") return undefined;
    const text = `tool "${tool.name}" was not run: ${why}. ${answer ? `It needs an owner's approval (${answer.decision}).` : "policy.taint.action is deny."} Carry on without it.`;
    return { text, isError: true, decision: "deny", reason: `taint: ${why}`, detail: { taint, ...(answer ? { approval: answer.decision, requestId: answer.requestId } : {}) } };
  }

  return {
    specs(rules, extra) {
      return allowedTools(rules, extra).map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
    },
    async execute(call, ctx) {
      const started = now();
      let outcome: Outcome;
      try {
        outcome = await run(call, ctx);
      } catch (err) {
        // run() only throws if a tool's own error handling misbehaves (e.g. a throwing getter); still a result.
        outcome = { text: `tool ${call.name} failed: ${String(err)}`, isError: true, decision: "allow", reason: undefined, detail: { error: "internal" } };
      }
      await record(call, ctx, started, outcome);
      return { text: outcome.text, isError: outcome.isError, decision: outcome.decision };
    },
  };
}
