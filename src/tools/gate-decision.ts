// Pure: the tool gate's decision for one call, in its fixed order — unknown → deny rules → allow (or elevated allow) →
// taint → ask rules → exec level `ask` → allow — and the subject an approval or standing rule names. Facts that cost a
// store read (the session's elevation, a standing rule) are asked for only when the decision depends on them.
import { basename } from "node:path";
import type { ApprovalReason } from "../core/domain.ts";
import type { Policy } from "../core/config-schema.ts";
import { checkExecPolicy, splitCommand } from "./builtin/exec-command.ts";
import { applyExecGrants } from "./builtin/exec-grants.ts";
import type { SkillView, ToolGroup } from "./tool.ts";
import { decideTool, matchEntry, type ToolRules } from "./tool-policy.ts";

export interface GateFacts {
  /** The tool called; undefined when no tool has that name. */
  tool: { name: string; group: ToolGroup } | undefined;
  rules: ToolRules;
  elevatedPolicy: Pick<Policy["elevated"], "enabled" | "allow">;
  /** Whether the session is elevated now; undefined = not looked up yet. */
  elevated: boolean | undefined;
  /** Why the call is guarded by taint (naming the source), or undefined. */
  taint: string | undefined;
  taintAction: Policy["taint"]["action"];
  /** exec only: the binary level `ask` wants approved (outside safe_bins and the run's skill grants). */
  execAsk: string | undefined;
  /** Whether a standing `always` rule allows this tool with this subject; undefined = not looked up yet. */
  standingRule: boolean | undefined;
  /** Whether an approval can be asked for at all (the run has an approver path). */
  canAsk: boolean;
}

export type GateDecision =
  /** `taint`: refused because the run holds untrusted content (the audit names the sources). */
  | { kind: "deny"; reason: string; taint?: boolean }
  /** Look this fact up and decide again. */
  | { kind: "need"; fact: "elevation" | "standingRule" }
  | { kind: "ask"; reason: ApprovalReason; why: string }
  /** `elevated`: elevated mode decided the call (a tool of policy.elevated.allow, or exec on the host). */
  | { kind: "allow"; reason: string; elevated: boolean; viaRule: boolean };

/**
 * Decides one call. Order: unknown tool → `deny` (always wins, also over elevated mode) → not allowed by
 * policy.tools.allow nor, while elevated, by policy.elevated.allow → deny; taint → `ask` or `deny` (a standing rule does
 * not satisfy it); policy.tools.ask → ask unless a standing rule allows; exec level `ask` → the same; else allow.
 */
export function decideGate(f: GateFacts): GateDecision {
  if (!f.tool) return { kind: "deny", reason: "unknown tool" };
  const { name, group } = f.tool;
  const policy = decideTool(name, group, f.rules);
  let elevated = false;
  let reason = policy.reason;
  if (!policy.allowed) {
    // Elevation only adds to the allow list: deny entries (and a sub-agent's parents' rules) still refuse.
    const viaElevation = f.elevatedPolicy.enabled ? matchEntry(f.elevatedPolicy.allow, name, group) : undefined;
    if (viaElevation === undefined || !decideTool(name, group, { ...f.rules, allow: [...f.rules.allow, viaElevation] }).allowed) {
      return { kind: "deny", reason: policy.reason };
    }
    if (f.elevated === undefined) return { kind: "need", fact: "elevation" };
    if (!f.elevated) return { kind: "deny", reason: `${policy.reason} (policy.elevated.allow "${viaElevation}" applies only while the session is elevated)` };
    elevated = true;
    reason = `allowed by policy.elevated.allow "${viaElevation}" (session elevated)`;
  }
  if (f.taint !== undefined) {
    if (f.taintAction === "deny") return { kind: "deny", reason: `${f.taint} (policy.taint.action: deny)`, taint: true };
    if (!f.canAsk) return { kind: "deny", reason: `${f.taint}; nobody can approve it here`, taint: true };
    return { kind: "ask", reason: "taint", why: f.taint };
  }
  const asked = matchEntry(f.rules.ask ?? [], name, group);
  const askWhy = asked !== undefined ? `policy.tools.ask "${asked}"` : f.execAsk !== undefined ? `${f.execAsk} is not in policy.exec.safe_bins (policy.exec.level: ask)` : undefined;
  let viaRule = false;
  if (askWhy !== undefined) {
    if (f.standingRule === undefined) return { kind: "need", fact: "standingRule" };
    if (!f.standingRule) {
      if (!f.canAsk) return { kind: "deny", reason: `${askWhy} needs an owner's approval, and nobody can approve it here` };
      return { kind: "ask", reason: asked !== undefined ? "ask" : "exec", why: askWhy };
    }
    viaRule = true;
    reason = `${reason}; ${askWhy} satisfied by a standing approval`;
  }
  // Exec of an elevated session runs on the host: the elevation decides where, so it is looked up for every exec.
  if (name === "exec" && f.elevatedPolicy.enabled && !elevated) {
    if (f.elevated === undefined) return { kind: "need", fact: "elevation" };
    elevated = f.elevated;
  }
  return { kind: "allow", reason, elevated, viaRule };
}

/** What an approval and an `always` rule name besides the tool: exec → the binary, web_fetch → the URL's host,
 * `mcp__<server>__<tool>` → `<server>/<tool>`; other tools → undefined (the tool itself). Never throws. */
export function subjectOf(name: string, args: Record<string, unknown>): string | undefined {
  if (name === "exec" && typeof args.command === "string") {
    try {
      const program = splitCommand(args.command)[0];
      return program === undefined ? undefined : basename(program);
    } catch {
      return undefined;
    }
  }
  if (name === "web_fetch" && typeof args.url === "string") {
    try {
      return new URL(args.url).hostname || undefined;
    } catch {
      return undefined;
    }
  }
  const mcp = /^mcp__(.+?)__(.+)$/.exec(name);
  return mcp ? `${mcp[1]}/${mcp[2]}` : undefined;
}

/** exec under level `ask`: the binary that needs approval for this command (after the run's skill grants), or
 * undefined (allowed outright, or refused for a reason no approval lifts: the exec tool reports that). Never throws. */
export function execAskOf(args: Record<string, unknown>, exec: Policy["exec"], skills: SkillView | undefined): string | undefined {
  if (exec.level !== "ask" || typeof args.command !== "string") return undefined;
  try {
    const argv = splitCommand(args.command);
    const decision = checkExecPolicy(argv, applyExecGrants(argv, exec, skills).exec);
    return decision.allowed ? undefined : decision.approvable?.binary;
  } catch {
    return undefined;
  }
}
