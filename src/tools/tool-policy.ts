// Pure tool-policy decisions: which tools a rule set allows, and how an agent's rules merge over the base.
// Entries are tool names, `group:<g>`, `*`, or a prefix pattern ending in `*` (`mcp__github__*`). Deny wins; nothing
// is allowed unless allow matches.
import type { ToolGroup } from "./tool.ts";

export interface ToolRules {
  allow: string[];
  deny: string[];
  /** Allowed tools whose calls wait for an owner's approval (policy.tools.ask plus the agent's); absent = none. */
  ask?: string[];
  /** Rule sets that must allow the tool too: a sub-agent's parents', so a child's policy is never wider. */
  within?: ToolRules[];
}

export interface ToolDecision {
  allowed: boolean;
  /** Short, audit-ready: which entry decided, e.g. `denied by policy.tools.deny "group:runtime"`. */
  reason: string;
}

/** Whether one entry names the tool: `*`, its name, `group:<its group>`, or a `prefix*` pattern its name starts with. */
export function entryMatches(entry: string, name: string, group: ToolGroup): boolean {
  if (entry === "*" || entry === name || entry === `group:${group}`) return true;
  return entry.length > 1 && entry.endsWith("*") && !entry.startsWith("group:") && name.startsWith(entry.slice(0, -1));
}

/** The first entry of `entries` naming the tool, if any. */
export function matchEntry(entries: readonly string[], name: string, group: ToolGroup): string | undefined {
  return entries.find((entry) => entryMatches(entry, name, group));
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
 * (so an agent can be narrowed, or widened deliberately); `deny` and `ask` lists always add up.
 */
export function mergeToolRules(
  base: ToolRules,
  agentOverride?: { allow?: string[] | undefined; deny?: string[] | undefined; ask?: string[] | undefined },
): ToolRules {
  const addUp = (a: readonly string[] = [], b: readonly string[] = []): string[] => [...new Set([...a, ...b])];
  const ask = addUp(base.ask, agentOverride?.ask);
  return { allow: [...(agentOverride?.allow ?? base.allow)], deny: addUp(base.deny, agentOverride?.deny), ...(ask.length > 0 ? { ask } : {}) };
}
