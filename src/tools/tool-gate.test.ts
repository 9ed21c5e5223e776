// The tool gate: specs filtered by policy, deny wins, every call audited exactly once, failures become results.
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policySchema } from "../core/config-schema.ts";
import type { AuditRecord } from "../core/domain.ts";
import { ToolError } from "../core/errors.ts";
import { createHostSandbox } from "../sandbox/host-sandbox.ts";
import { createBuiltinTools } from "./builtin-tools.ts";
import { redactArgs } from "./redact-args.ts";
import type { Tool, ToolCall } from "./tool.ts";
import { createToolGate, type ToolGateOptions } from "./tool-gate.ts";
import type { ToolRules } from "./tool-policy.ts";

let ws: string;
beforeAll(async () => {
  ws = await realpath(await mkdtemp(join(tmpdir(), "pincer-gate-")));
});
afterAll(() => rm(ws, { recursive: true, force: true }));

const boom: Tool = {
  name: "boom",
  group: "runtime",
  description: "Fails.",
  parameters: { type: "object", properties: {} },
  async execute(args) {
    if (args.kind === "tool") throw new ToolError("exec_failed", "boom: exploded politely");
    throw new Error("kaput");
  },
};

function setup(extra: Partial<ToolGateOptions> = {}) {
  const audits: AuditRecord[] = [];
  const tools = [...createBuiltinTools({ sandbox: createHostSandbox() }), boom];
  const gate = createToolGate({ tools, audit: async (r) => void audits.push(r), now: () => 42, ...extra });
  const policy = policySchema.parse({});
  const call = (c: Partial<ToolCall> & { name: string }, rules: ToolRules = policy.tools) =>
    gate.execute({ id: "c1", args: {}, ...c }, { workspace: ws, policy, signal: new AbortController().signal, runId: "r1", sessionKey: "s1", rules });
  return { gate, audits, call };
}

describe("specs", () => {
  it("shows only the tools the rules allow", () => {
    const { gate } = setup();
    expect(gate.specs({ allow: ["group:fs"], deny: ["write"] }).map((s) => s.name)).toEqual(["read", "edit", "ls", "glob", "grep"]);
    expect(gate.specs({ allow: ["*"], deny: ["group:runtime", "group:agents"] }).map((s) => s.name)).toEqual(["read", "write", "edit", "ls", "glob", "grep", "web_fetch"]);
  });

  it("keeps all built-in tool schemas compact (paid for on every turn)", () => {
    const specs = createToolGate({ tools: createBuiltinTools({ sandbox: createHostSandbox() }), audit: async () => {} }).specs({ allow: ["*"], deny: [] });
    expect(specs).toHaveLength(10);
    expect(JSON.stringify(specs).length).toBeLessThan(2_600); // 2,4xx bytes today (the agents group ~700); the brief allows ~3,000
  });
});

describe("execute", () => {
  it("denies by policy (deny wins) and audits the reason with the call id", async () => {
    const { call, audits } = setup();
    const r = await call({ name: "ls" }, { allow: ["*"], deny: ["ls"] });
    expect(r).toEqual({ text: 'tool "ls" is not allowed here (denied by policy.tools.deny "ls")', isError: true, decision: "deny" });
    expect(audits).toEqual([
      { at: 42, kind: "tool.call", decision: "deny", runId: "r1", sessionKey: "s1", tool: "ls", reason: 'denied by policy.tools.deny "ls"', detail: { callId: "c1", args: {}, durationMs: 0 } },
    ]);
  });

  it("applies group rules", async () => {
    const { call } = setup();
    expect((await call({ name: "web_fetch", args: { url: "http://x" } }, { allow: ["group:fs"], deny: [] })).decision).toBe("deny");
    expect((await call({ name: "ls" }, { allow: ["group:fs"], deny: [] })).decision).toBe("allow");
  });

  it("turns unknown tools, ToolErrors and unexpected errors into results, one audit record each", async () => {
    const { call, audits } = setup();
    expect(await call({ name: "nope" })).toMatchObject({ isError: true, decision: "deny", text: expect.stringMatching(/^unknown tool "nope"; available tools: read, /) });
    expect(await call({ name: "read", args: { path: "/etc/passwd" } })).toMatchObject({ isError: true, decision: "deny" });
    expect(await call({ name: "boom", args: { kind: "tool" } })).toEqual({ text: "boom: exploded politely", isError: true, decision: "allow" });
    expect(await call({ name: "boom" })).toEqual({ text: "tool boom failed: kaput", isError: true, decision: "allow" });
    expect(await call({ name: "ls", args: "[1]" })).toMatchObject({ isError: true, text: "arguments must be a JSON object" });
    expect(await call({ name: "ls", args: '{"path":"."}' })).toMatchObject({ isError: false });
    expect(audits.map((a) => [a.tool, a.decision, a.detail?.error])).toEqual([
      ["nope", "deny", undefined],
      ["read", "deny", "path_escape"],
      ["boom", "allow", "exec_failed"],
      ["boom", "allow", "internal"],
      ["ls", "allow", "invalid_args"],
      ["ls", "allow", undefined],
    ]);
  });

  it("still answers when the audit sink fails", async () => {
    const failures: unknown[] = [];
    const { call } = setup({ audit: async () => Promise.reject(new Error("disk full")), onAuditError: (e) => failures.push(e) });
    expect((await call({ name: "ls" })).isError).toBe(false);
    expect(failures).toHaveLength(1);
  });
});

describe("redactArgs", () => {
  it("masks secret keys and shapes and caps size", () => {
    expect(redactArgs({ api_key: "abc", command: "git clone https://bob:hunter2@example.com/r.git", h: "Bearer abcdefghijklmnop" })).toEqual({
      api_key: "[redacted]",
      command: "git clone https://[redacted]@example.com/r.git",
      h: "Bearer [redacted]",
    });
    expect(redactArgs({ url: "https://x.dev/?q=1&token=s3cr3t" })).toEqual({ url: "https://x.dev/?q=1&token=[redacted]" });
    const big = redactArgs({ a: "x".repeat(600), b: "y".repeat(600), c: "z".repeat(600) });
    expect(typeof big === "string" && big.length <= 1_025).toBe(true);
  });

  it("keeps a __proto__ key of the model's arguments as data, its secrets masked", () => {
    const args = JSON.parse('{"__proto__": {"token": "s3cr3t", "path": "a"}}') as Record<string, unknown>;
    expect(JSON.stringify(redactArgs(args))).toBe('{"__proto__":{"token":"[redacted]","path":"a"}}');
  });
});

describe("a run's extra tools (memory, skills)", () => {
  const recall: Tool = {
    name: "memory_search",
    group: "memory",
    description: "Search memory.",
    parameters: { type: "object", properties: {} },
    execute: async () => ({ text: "MEMORY.md:1-2 (score 1)" }),
  };

  it("offers, runs and audits them under policy, and refuses them when their group is denied", async () => {
    const { gate, audits } = setup();
    const policy = policySchema.parse({});
    const ctx = (rules: ToolRules) => ({ workspace: ws, policy, signal: new AbortController().signal, runId: "r1", sessionKey: "s1", rules, extraTools: [recall] });
    expect(gate.specs(policy.tools, [recall]).map((s) => s.name)).toContain("memory_search");
    expect(gate.specs({ allow: ["*"], deny: ["group:memory"] }, [recall]).map((s) => s.name)).not.toContain("memory_search");
    expect(await gate.execute({ id: "c1", name: "memory_search", args: {} }, ctx(policy.tools))).toEqual({ text: "MEMORY.md:1-2 (score 1)", isError: false, decision: "allow" });
    const denied = await gate.execute({ id: "c2", name: "memory_search", args: {} }, ctx({ allow: ["*"], deny: ["group:memory"] }));
    expect(denied).toMatchObject({ isError: true, decision: "deny" });
    expect(audits.map((a) => [a.tool, a.decision])).toEqual([["memory_search", "allow"], ["memory_search", "deny"]]);
  });
});
