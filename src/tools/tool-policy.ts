// Pure tool-policy decisions: which tools a rule set allows, and how an agent's rules merge over the base.
// Entries are tool names, `group:fs|runtime|web`, or `*`. Deny wins; nothing is allowed unless allow matches.
import type { ToolGroup } from "./tool.ts";

export interface ToolRules {
  allow: string[];
  deny: string[];
  /** Rule sets that must allow the tool too: a sub-agent's parents', so a child's policy is never wider. */
  within?: ToolRules[];
}

export interface ToolDecision {
  allowed: boolean;
  /** Short, audit-ready: which entry decided, e.g. `denied by policy.tools.deny "group:runtime"`. */
  reason: string;
}

function matchEntry(entries: string[], name: string, group: ToolGroup): string | undefined {
  return entries.find((entry) => entry === "*" || entry === name || entry === `group:${group}`);
}

/** Decides one tool against a rule set. Pure. */
export function decideTool(name: string, group: ToolGroup, rules: ToolRules): ToolDecision {
  const denied = matchEntry(rules.deny, name, group);
  if (denied !== undefined) return { allowed: false, reason: `denied by policy.tools.deny "${denied}"` };
  const allowed = matchEntry(rules.allow, name, group);
  if (allowed === undefined) return { allowed: false, reason: "not in policy.tools.allow" };
  for (const outer of rules.within ?? []) {
    const parent = decideTool(name, group, outer);
    if (!parent.allowed) return { allowed: false, reason: `the parent run may not use it: ${parent.reason}` };
  }
  return { allowed: true, reason: `allowed by policy.tools.allow "${allowed}"` };
}

/**
 * Lays an agent's tool rules over the base policy: a given `allow` replaces the base allow list
 * (so an agent can be narrowed, or widened deliberately); `deny` lists always add up.
 */
export function mergeToolRules(base: ToolRules, agentOverride?: { allow?: string[] | undefined; deny?: string[] | undefined }): ToolRules {
  const deny = [...base.deny];
  for (const entry of agentOverride?.deny ?? []) if (!deny.includes(entry)) deny.push(entry);
  return { allow: [...(agentOverride?.allow ?? base.allow)], deny };
}
