// The tool gate: the only way the agent runs a tool. It filters specs by policy, decides every call (deny → taint →
// ask → elevated → allow, see gate-decision.ts), waits for an owner's answer when a call needs one, turns every failure
// into a tool result, and writes exactly one `tool.call` audit record per call.
import type { AuditDecision, AuditRecord } from "../core/domain.ts";
import { ToolError, type ToolErrorCode } from "../core/errors.ts";
import { decideGate, execAskOf, subjectOf, type GateDecision, type GateFacts } from "./gate-decision.ts";
import { redactArgs } from "./redact-args.ts";
import type { ApprovalOutcome, SafetyView, Tool, ToolCall, ToolContext, ToolParameters } from "./tool.ts";
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

/** `extraTools`: the run's own tools beyond the built-in set (skill and memory tools); default the skills' tools.
 * `approvalTimeoutMs`: approvals.timeout_ms, for the text an expired request gives the model. */
export type ToolGateContext = ToolContext & { rules: ToolRules; extraTools?: readonly Tool[]; approvalTimeoutMs?: number };

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

/** Decides a call, looking up the elevation and standing rules only when the decision depends on them. */
async function decide(facts: GateFacts, safety: SafetyView | undefined, subject: string | undefined): Promise<Exclude<GateDecision, { kind: "need" }>> {
  for (;;) {
    const decision = decideGate(facts);
    if (decision.kind !== "need") return decision;
    if (decision.fact === "elevation") facts.elevated = safety ? (await safety.elevation()) !== undefined : false;
    else facts.standingRule = safety ? await safety.standingRule(facts.tool!.name, subject) : false;
  }
}

/** What an approver is shown of a call: the command (exec), the URL (web_fetch), else the redacted arguments. */
export function summarizeCall(name: string, args: Record<string, unknown>): string {
  const redacted = redactArgs(args);
  const shown = redacted !== null && typeof redacted === "object" && !Array.isArray(redacted) ? (redacted as Record<string, unknown>) : {};
  const main = name === "exec" ? shown.command : name === "web_fetch" ? shown.url : undefined;
  const text = typeof main === "string" ? main : JSON.stringify(redacted);
  return clipText(text, 600).text;
}

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
    let args: Record<string, unknown> | undefined;
    try {
      args = toArgsObject(call.args);
    } catch {
      // Decided on no arguments; the tool then reports the bad arguments itself.
    }
    const checked = args ?? {};
    const safety = ctx.safety;
    const execAsk = tool.name === "exec" ? execAskOf(checked, ctx.policy.exec, ctx.skills) : undefined;
    const subject = execAsk ?? subjectOf(tool.name, checked);
    let decision: Exclude<GateDecision, { kind: "need" }>;
    try {
      decision = await decide({
        tool, rules: ctx.rules, elevatedPolicy: ctx.policy.elevated, elevated: undefined, taintAction: ctx.policy.taint.action, execAsk,
        taint: safety?.taintReason({ name: tool.name, group: tool.group, args: checked }), standingRule: undefined, canAsk: safety !== undefined,
      }, safety, subject);
    } catch (err) {
      const reason = `the gate could not read the approval state: ${err instanceof Error ? err.message : String(err)}`;
      return { text: `tool "${tool.name}" was not run: ${reason}`, isError: true, decision: "deny", reason, detail: {} };
    }
    const taintDetail = (): Record<string, unknown> => ({ taint: safety?.taintSources().map((t) => t.label) ?? [] });
    if (decision.kind === "deny") {
      const detail = decision.taint ? taintDetail() : {};
      return { text: `tool "${tool.name}" is not allowed here (${decision.reason})`, isError: true, decision: "deny", reason: decision.reason, detail };
    }
    let approved = decision.kind === "allow" && decision.viaRule;
    let reason = decision.kind === "allow" ? decision.reason : decision.why;
    const detail: Record<string, unknown> = decision.kind === "allow" && decision.elevated ? { elevated: true } : {};
    if (decision.kind === "ask") {
      let answer: ApprovalOutcome;
      try {
        answer = await safety!.requestApproval({ callId: call.id, tool: tool.name, subject, summary: summarizeCall(tool.name, checked), reason: decision.reason }, ctx.signal);
      } catch (err) {
        const why = ctx.signal.aborted ? "the run was stopped while this call waited for approval" : `the approval request failed: ${err instanceof Error ? err.message : String(err)}`;
        return { text: `tool "${tool.name}" was not run: ${why}`, isError: true, decision: "deny", reason: `${decision.why}; ${why}`, detail: { approvalReason: decision.reason } };
      }
      Object.assign(detail, {
        approval: { id: answer.requestId, by: answer.by, answer: answer.decision === "approved" ? (answer.answer ?? "once") : answer.decision },
        approvalReason: decision.reason,
        ...(decision.reason === "taint" ? taintDetail() : {}),
      });
      if (answer.decision !== "approved") {
        const timeoutMs = ctx.approvalTimeoutMs ?? 600_000;
        const count = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"}`;
        const within = timeoutMs < 60_000 ? count(Math.round(timeoutMs / 1_000), "second") : count(Math.round(timeoutMs / 60_000), "minute");
        const text = answer.decision === "expired"
          ? `tool "${tool.name}" was not run: no answer within ${within}: denied. Carry on without it, or tell the user what you needed it for.`
          : `tool "${tool.name}" was not run: the owner denied this call. Do not retry it; carry on without it, or ask the user.`;
        const why = answer.decision === "expired" ? `no answer within ${within} (${decision.why})` : `denied by ${answer.by ?? "the owner"} (${decision.why})`;
        return { text, isError: true, decision: "deny", reason: why, detail };
      }
      approved = true;
      reason = `approved by ${answer.by ?? "the owner"} (${decision.why})`;
      // Elevated mode is still looked up after an approval, for where exec runs.
      if (tool.name === "exec" && ctx.policy.elevated.enabled && safety && (await safety.elevation().catch(() => undefined))) detail.elevated = true;
    }
    const toolCtx: ToolContext = { ...ctx, elevated: detail.elevated === true && tool.name === "exec", approved };
    try {
      if (!args) args = toArgsObject(call.args); // throws the invalid_args error for the model
      const result = await tool.execute(args, toolCtx);
      const text = clipText(result.text, MAX_RESULT_CHARS).text;
      return { text, isError: result.isError ?? false, decision: "allow", reason, detail: { ...detail, ...result.detail } };
    } catch (err) {
      if (err instanceof ToolError) {
        const deny = DENY_CODES.has(err.code);
        return { text: err.message, isError: true, decision: deny ? "deny" : "allow", reason: deny ? err.message : reason, detail: { ...detail, error: err.code } };
      }
      const message = err instanceof Error ? err.message : String(err);
      return { text: `tool ${tool.name} failed: ${message}`, isError: true, decision: "allow", reason, detail: { ...detail, error: "internal", message } };
    }
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
