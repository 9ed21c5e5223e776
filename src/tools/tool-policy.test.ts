// decideTool (deny wins, groups, `*`, allow required) and mergeToolRules (allow replaced, deny added).
import { describe, expect, it } from "vitest";
import { decideTool, mergeToolRules } from "./tool-policy.ts";

describe("decideTool", () => {
  it("deny wins over allow", () => {
    expect(decideTool("exec", "runtime", { allow: ["*"], deny: ["group:runtime"] })).toEqual({
      allowed: false,
      reason: 'denied by policy.tools.deny "group:runtime"',
    });
  });

  it("matches names, groups and *", () => {
    expect(decideTool("read", "fs", { allow: ["group:fs"], deny: [] })).toEqual({ allowed: true, reason: 'allowed by policy.tools.allow "group:fs"' });
    expect(decideTool("web_fetch", "web", { allow: ["web_fetch"], deny: [] }).allowed).toBe(true);
    expect(decideTool("web_fetch", "web", { allow: ["*"], deny: ["read"] }).allowed).toBe(true);
  });

  it("refuses what allow does not name", () => {
    expect(decideTool("exec", "runtime", { allow: ["group:fs"], deny: [] })).toEqual({ allowed: false, reason: "not in policy.tools.allow" });
    expect(decideTool("exec", "runtime", { allow: [], deny: [] }).allowed).toBe(false);
  });
});

describe("mergeToolRules", () => {
  const base = { allow: ["group:fs", "group:web"], deny: ["exec"] };

  it("keeps the base without an override", () => {
    expect(mergeToolRules(base)).toEqual(base);
  });

  it("replaces allow when the agent gives one and adds up deny lists", () => {
    expect(mergeToolRules(base, { allow: ["read"], deny: ["web_fetch", "exec"] })).toEqual({ allow: ["read"], deny: ["exec", "web_fetch"] });
    expect(mergeToolRules(base, { deny: ["write"] })).toEqual({ allow: ["group:fs", "group:web"], deny: ["exec", "write"] });
  });
});

describe("within (a sub-agent's ancestors)", () => {
  it("allows a tool only when every outer rule set allows it too, naming the parent's reason", () => {
    const child = { allow: ["*"], deny: [], within: [{ allow: ["group:fs", "exec"], deny: ["exec"] }] };
    expect(decideTool("read", "fs", child)).toEqual({ allowed: true, reason: 'allowed by policy.tools.allow "*"' });
    expect(decideTool("exec", "runtime", child)).toEqual({ allowed: false, reason: 'the parent run may not use it: denied by policy.tools.deny "exec"' });
    expect(decideTool("web_fetch", "web", child)).toEqual({ allowed: false, reason: "the parent run may not use it: not in policy.tools.allow" });
  });
});
