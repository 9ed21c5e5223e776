// decideGate's order (unknown → deny → allow/elevated → taint → ask → exec ask → allow), its lazy facts, the entry
// patterns, and the subjects approvals name.
import { describe, expect, it } from "vitest";
import { policySchema } from "../core/config-schema.ts";
import { decideGate, execAskOf, subjectOf, type GateFacts } from "./gate-decision.ts";
import { decideTool, entryMatches, mergeToolRules } from "./tool-policy.ts";

const facts = (over: Partial<GateFacts> = {}): GateFacts => ({
  tool: { name: "exec", group: "runtime" },
  rules: { allow: ["group:fs", "group:runtime", "group:web"], deny: [] },
  elevatedPolicy: { enabled: false, allow: [] },
  elevated: undefined,
  taint: undefined,
  taintAction: "ask",
  execAsk: undefined,
  standingRule: undefined,
  canAsk: true,
  ...over,
});

describe("decideGate", () => {
  it("denies an unknown tool", () => {
    expect(decideGate(facts({ tool: undefined }))).toEqual({ kind: "deny", reason: "unknown tool" });
  });

  it("allows a plain allowed call without looking anything up", () => {
    expect(decideGate(facts())).toEqual({ kind: "allow", reason: 'allowed by policy.tools.allow "group:runtime"', elevated: false, viaRule: false });
  });

  it("deny wins over everything: ask, taint, elevated allow, an active elevation", () => {
    const f = facts({
      rules: { allow: ["*"], deny: ["exec"], ask: ["exec"] }, taint: "tainted", elevatedPolicy: { enabled: true, allow: ["exec"] }, elevated: true, standingRule: true,
    });
    expect(decideGate(f)).toEqual({ kind: "deny", reason: 'denied by policy.tools.deny "exec"' });
  });

  it("refuses what allow does not name unless policy.elevated.allow names it and the session is elevated", () => {
    const base = facts({ tool: { name: "browser", group: "web" }, rules: { allow: ["read"], deny: [] } });
    expect(decideGate(base)).toEqual({ kind: "deny", reason: "not in policy.tools.allow" });
    const withElevated = { ...base, elevatedPolicy: { enabled: true, allow: ["browser"] } };
    expect(decideGate(withElevated)).toEqual({ kind: "need", fact: "elevation" });
    expect(decideGate({ ...withElevated, elevated: false })).toMatchObject({ kind: "deny", reason: expect.stringContaining("applies only while the session is elevated") });
    expect(decideGate({ ...withElevated, elevated: true })).toEqual({
      kind: "allow", reason: 'allowed by policy.elevated.allow "browser" (session elevated)', elevated: true, viaRule: false,
    });
    // Off: the list is ignored and nothing is looked up.
    expect(decideGate({ ...withElevated, elevatedPolicy: { enabled: false, allow: ["browser"] } })).toEqual({ kind: "deny", reason: "not in policy.tools.allow" });
  });

  it("elevation never widens past a sub-agent's parents", () => {
    const f = facts({
      tool: { name: "browser", group: "web" }, rules: { allow: ["read"], deny: [], within: [{ allow: ["read"], deny: [] }] },
      elevatedPolicy: { enabled: true, allow: ["browser"] }, elevated: true,
    });
    expect(decideGate(f)).toMatchObject({ kind: "deny" });
  });

  it("taint comes before ask: it asks (reason taint) or denies by policy.taint.action, whatever standing rules say", () => {
    const tainted = facts({ taint: "the run holds web_fetch https://evil.example (untrusted)", standingRule: true, rules: { allow: ["*"], deny: [], ask: ["exec"] } });
    expect(decideGate(tainted)).toEqual({ kind: "ask", reason: "taint", why: tainted.taint });
    expect(decideGate({ ...tainted, taintAction: "deny" })).toEqual({ kind: "deny", reason: `${tainted.taint} (policy.taint.action: deny)`, taint: true });
    expect(decideGate({ ...tainted, canAsk: false })).toMatchObject({ kind: "deny", taint: true });
  });

  it("ask rules ask unless a standing rule allows the call; the rule is looked up only then", () => {
    const asking = facts({ rules: { allow: ["*"], deny: [], ask: ["exec"] } });
    expect(decideGate(asking)).toEqual({ kind: "need", fact: "standingRule" });
    expect(decideGate({ ...asking, standingRule: false })).toEqual({ kind: "ask", reason: "ask", why: 'policy.tools.ask "exec"' });
    expect(decideGate({ ...asking, standingRule: true })).toMatchObject({ kind: "allow", viaRule: true, reason: expect.stringContaining("standing approval") });
    expect(decideGate({ ...asking, standingRule: false, canAsk: false })).toMatchObject({ kind: "deny", reason: expect.stringContaining("nobody can approve") });
  });

  it("exec level ask: a binary outside safe_bins asks (reason exec), a standing rule for it allows", () => {
    const f = facts({ execAsk: "curl" });
    expect(decideGate(f)).toEqual({ kind: "need", fact: "standingRule" });
    expect(decideGate({ ...f, standingRule: false })).toEqual({ kind: "ask", reason: "exec", why: "curl is not in policy.exec.safe_bins (policy.exec.level: ask)" });
    expect(decideGate({ ...f, standingRule: true })).toMatchObject({ kind: "allow", viaRule: true });
  });

  it("ask comes before elevated: an elevated session still asks for an ask-listed tool", () => {
    const f = facts({ rules: { allow: ["*"], deny: [], ask: ["exec"] }, elevatedPolicy: { enabled: true, allow: [] }, elevated: true, standingRule: false });
    expect(decideGate(f)).toMatchObject({ kind: "ask", reason: "ask" });
  });

  it("exec looks the elevation up while elevated mode is enabled, and runs elevated when it is active", () => {
    const f = facts({ elevatedPolicy: { enabled: true, allow: [] } });
    expect(decideGate(f)).toEqual({ kind: "need", fact: "elevation" });
    expect(decideGate({ ...f, elevated: true })).toMatchObject({ kind: "allow", elevated: true });
    expect(decideGate({ ...f, elevated: false })).toMatchObject({ kind: "allow", elevated: false });
    // Other tools do not need it.
    expect(decideGate({ ...f, tool: { name: "read", group: "fs" } })).toMatchObject({ kind: "allow", elevated: false });
  });
});

describe("entry patterns", () => {
  it("match names, groups, * and prefix patterns ending in *", () => {
    expect(entryMatches("mcp__github__*", "mcp__github__create_issue", "mcp")).toBe(true);
    expect(entryMatches("mcp__github__*", "mcp__gitlab__x", "mcp")).toBe(false);
    expect(entryMatches("group:mcp", "mcp__x__y", "mcp")).toBe(true);
    expect(entryMatches("*", "anything", "fs")).toBe(true);
    expect(entryMatches("web_*", "web_fetch", "web")).toBe(true);
    expect(entryMatches("group:*", "read", "fs")).toBe(false);
    expect(decideTool("mcp__github__x", "mcp", { allow: ["*"], deny: ["mcp__github__*"] })).toEqual({ allowed: false, reason: 'denied by policy.tools.deny "mcp__github__*"' });
  });

  it("agent ask lists add up with the policy's", () => {
    expect(mergeToolRules({ allow: ["*"], deny: [], ask: ["exec"] }, { ask: ["web_fetch", "exec"] })).toEqual({ allow: ["*"], deny: [], ask: ["exec", "web_fetch"] });
  });
});

describe("subjects", () => {
  it("names the binary, the host or the MCP server tool", () => {
    expect(subjectOf("exec", { command: "/usr/bin/git status" })).toBe("git");
    expect(subjectOf("exec", { command: "echo 'unterminated" })).toBeUndefined();
    expect(subjectOf("web_fetch", { url: "https://Example.com:8443/a?b" })).toBe("example.com");
    expect(subjectOf("web_fetch", { url: "not a url" })).toBeUndefined();
    expect(subjectOf("mcp__github__create_issue", {})).toBe("github/create_issue");
    expect(subjectOf("read", { path: "x" })).toBeUndefined();
  });

  it("exec level ask names the binary outside safe_bins; blocked ones and allowed ones need no approval", () => {
    const exec = policySchema.parse({ exec: { level: "ask", safe_bins: ["ls", "git"] } }).exec;
    expect(execAskOf({ command: "python3 -V" }, exec, undefined)).toBe("python3");
    expect(execAskOf({ command: "git status" }, exec, undefined)).toBeUndefined();
    expect(execAskOf({ command: "curl https://x" }, exec, undefined)).toBeUndefined(); // blocked by default
    expect(execAskOf({ command: "python3 x" }, { ...exec, level: "allowlist" }, undefined)).toBeUndefined();
    const skills = { dirs: new Map(), tools: [], noteUse() {}, grants: new Map([["s", { bins: ["python3"], env: [] }]]) };
    expect(execAskOf({ command: "python3 x" }, exec, skills)).toBeUndefined();
  });
});
