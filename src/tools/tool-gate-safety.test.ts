// The gate with a SafetyView: ask → approval → the tool runs (or the model reads the denial), standing rules, taint,
// exec level ask, elevated exec on the host, blocked binaries refused even then; one tool.call audit record each.
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policySchema, type Policy } from "../core/config-schema.ts";
import type { AuditRecord, Elevation, TaintSource } from "../core/domain.ts";
import type { ExecOptions, Sandbox } from "../sandbox/sandbox.ts";
import { createBuiltinTools } from "./builtin-tools.ts";
import type { ApprovalOutcome, SafetyView } from "./tool.ts";
import { createToolGate } from "./tool-gate.ts";
import type { ToolRules } from "./tool-policy.ts";

let ws: string;
beforeAll(async () => {
  ws = await realpath(await mkdtemp(join(tmpdir(), "pincer-gate-safety-")));
});
afterAll(() => rm(ws, { recursive: true, force: true }));

function fakeSandbox(name: "bubblewrap" | "host", ran: Array<{ where: string; argv: string[] }>): Sandbox {
  return {
    name,
    exec: async (o: ExecOptions) => {
      ran.push({ where: name, argv: o.argv });
      return { exitCode: 0, signal: null, stdout: `ran on ${name}\n`, stderr: "", truncated: false, timedOut: false, durationMs: 1 };
    },
  };
}

type Asked = Parameters<SafetyView["requestApproval"]>[0];

function fakeSafety(over: { answer?: ApprovalOutcome["decision"]; always?: boolean; elevated?: boolean; rules?: string[]; taint?: string } = {}) {
  const asked: Asked[] = [];
  const lookups: string[] = [];
  const sources: TaintSource[] = over.taint ? [{ kind: "web", label: "web_fetch https://evil.example/", at: 1 }] : [];
  const view: SafetyView = {
    taintReason: (call) => (over.taint && ["exec", "web_fetch"].includes(call.name) ? over.taint : undefined),
    taintSources: () => sources,
    noteUntrusted: (s) => void sources.push(s),
    elevation: async () => {
      lookups.push("elevation");
      return over.elevated ? ({ status: "active" } as Elevation) : undefined;
    },
    standingRule: async (tool, subject) => {
      lookups.push(`rule ${tool}/${subject}`);
      return (over.rules ?? []).includes(`${tool}/${subject}`);
    },
    requestApproval: async (req) => {
      asked.push(req);
      const decision = over.answer ?? "approved";
      return { decision, requestId: "ap1", ...(decision === "approved" ? { answer: over.always ? "always" : "once", by: "telegram:1" } : decision === "denied" ? { by: "operator:ui" } : { by: "timeout" }) };
    },
  };
  return { view, asked, lookups };
}

function setup(policyInput: Record<string, unknown> = {}) {
  const audits: AuditRecord[] = [];
  const ran: Array<{ where: string; argv: string[] }> = [];
  const tools = createBuiltinTools({ sandbox: fakeSandbox("bubblewrap", ran), hostSandbox: fakeSandbox("host", ran) });
  const gate = createToolGate({ tools, audit: async (r) => void audits.push(r), now: () => 42 });
  const policy: Policy = policySchema.parse(policyInput);
  const call = (name: string, args: Record<string, unknown>, safety: SafetyView | undefined, rules: ToolRules = policy.tools) =>
    gate.execute({ id: "c1", name, args }, {
      workspace: ws, policy, signal: new AbortController().signal, runId: "r1", sessionKey: "s1", rules, approvalTimeoutMs: 120_000, ...(safety ? { safety } : {}),
    });
  return { call, audits, ran, policy };
}

describe("ask", () => {
  it("asks for a tool of policy.tools.ask, runs it once approved, and audits the approval", async () => {
    const { call, audits, ran } = setup({ tools: { ask: ["exec"] } });
    const s = fakeSafety();
    const r = await call("exec", { command: "ls -la" }, s.view);
    expect(r).toMatchObject({ isError: false, decision: "allow", text: expect.stringContaining("ran on bubblewrap") });
    expect(s.asked).toEqual([{ callId: "c1", tool: "exec", subject: "ls", summary: "ls -la", reason: "ask" }]);
    expect(ran).toHaveLength(1);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      kind: "tool.call", decision: "allow", reason: 'approved by telegram:1 (policy.tools.ask "exec")',
      detail: { approval: { id: "ap1", by: "telegram:1", answer: "once" }, approvalReason: "ask" },
    });
  });

  it("gives the model a tool error it can act on when denied or expired; the tool never runs", async () => {
    const { call, audits, ran } = setup({ tools: { ask: ["web_fetch"] } });
    const denied = await call("web_fetch", { url: "https://example.com/x" }, fakeSafety({ answer: "denied" }).view);
    expect(denied).toEqual({ isError: true, decision: "deny", text: 'tool "web_fetch" was not run: the owner denied this call. Do not retry it; carry on without it, or ask the user.' });
    const expired = await call("web_fetch", { url: "https://example.com/x" }, fakeSafety({ answer: "expired" }).view);
    expect(expired.text).toContain("no answer within 2 minutes: denied");
    expect(ran).toHaveLength(0);
    expect(audits.map((a) => [a.decision, a.reason])).toEqual([
      ["deny", 'denied by operator:ui (policy.tools.ask "web_fetch")'],
      ["deny", 'no answer within 2 minutes (policy.tools.ask "web_fetch")'],
    ]);
  });

  it("a standing rule for the tool and subject runs the call without asking; another subject still asks", async () => {
    const { call } = setup({ tools: { ask: ["web_fetch"] } });
    const s = fakeSafety({ rules: ["web_fetch/example.com"], answer: "denied" });
    await call("web_fetch", { url: "https://example.com/" }, s.view);
    expect(s.asked).toHaveLength(0);
    await call("web_fetch", { url: "https://other.example/" }, s.view);
    expect(s.asked.map((a) => a.subject)).toEqual(["other.example"]);
  });

  it("denies an ask call when the run has no approver (no SafetyView)", async () => {
    const { call, ran } = setup({ tools: { ask: ["exec"] } });
    expect(await call("exec", { command: "ls" }, undefined)).toMatchObject({ decision: "deny", text: expect.stringContaining("nobody can approve") });
    expect(ran).toHaveLength(0);
  });

  it("plain allowed calls read nothing from the store", async () => {
    const { call } = setup();
    const s = fakeSafety();
    await call("exec", { command: "ls" }, s.view);
    await call("ls", {}, s.view);
    expect(s.lookups).toEqual([]);
  });
});

describe("exec level ask", () => {
  const policy = { exec: { level: "ask", safe_bins: ["ls"] } };

  it("asks for a binary outside safe_bins (subject = the binary) and runs it once approved", async () => {
    const { call, ran } = setup(policy);
    const s = fakeSafety();
    expect(await call("exec", { command: "python3 -V" }, s.view)).toMatchObject({ decision: "allow", isError: false });
    expect(s.asked).toMatchObject([{ tool: "exec", subject: "python3", reason: "exec" }]);
    expect(ran.map((r) => r.argv[0])).toEqual(["python3"]);
  });

  it("runs safe_bins without asking, and never asks for a blocked binary", async () => {
    const { call, ran } = setup(policy);
    const s = fakeSafety();
    await call("exec", { command: "ls" }, s.view);
    expect(await call("exec", { command: "rm -rf x" }, s.view)).toMatchObject({ decision: "deny", text: expect.stringContaining("blocked binary: rm") });
    expect(s.asked).toHaveLength(0);
    expect(ran.map((r) => r.argv[0])).toEqual(["ls"]);
  });

  it("refuses an unsafe binary without an approval path (the exec tool's own check)", async () => {
    const { call, ran } = setup(policy);
    expect(await call("exec", { command: "python3 -V" }, undefined)).toMatchObject({ decision: "deny" });
    expect(ran).toHaveLength(0);
  });
});

describe("taint", () => {
  it("asks for a guarded call of a tainted run, even with a standing rule, and names the sources in the audit", async () => {
    const { call, audits } = setup();
    const s = fakeSafety({ taint: "the run holds untrusted content (web_fetch https://evil.example/)", rules: ["exec/cat"], answer: "denied" });
    expect(await call("exec", { command: "cat auth.json" }, s.view)).toMatchObject({ decision: "deny" });
    expect(s.asked).toMatchObject([{ reason: "taint", subject: "cat" }]);
    expect(audits[0]?.detail).toMatchObject({ taint: ["web_fetch https://evil.example/"], approvalReason: "taint" });
  });

  it("denies outright with policy.taint.action deny; untouched tools run", async () => {
    const { call, audits } = setup({ taint: { action: "deny" } });
    const s = fakeSafety({ taint: "tainted by web_fetch" });
    expect(await call("exec", { command: "ls" }, s.view)).toMatchObject({ decision: "deny", text: expect.stringContaining("policy.taint.action: deny") });
    expect(await call("ls", {}, s.view)).toMatchObject({ decision: "allow" });
    expect(s.asked).toHaveLength(0);
    expect(audits[0]?.detail).toMatchObject({ taint: ["web_fetch https://evil.example/"] });
  });
});

describe("elevated", () => {
  const policy = { elevated: { enabled: true, allow: ["web_fetch"] } };

  it("runs exec on the host only while the session is elevated, audited elevated: true", async () => {
    const { call, ran, audits } = setup(policy);
    await call("exec", { command: "ls" }, fakeSafety({ elevated: false }).view);
    await call("exec", { command: "ls" }, fakeSafety({ elevated: true }).view);
    expect(ran.map((r) => r.where)).toEqual(["bubblewrap", "host"]);
    expect(audits.map((a) => a.detail?.elevated)).toEqual([undefined, true]);
    expect(audits[1]?.detail?.sandbox).toBe("host");
  });

  it("keeps blocked binaries blocked while elevated", async () => {
    const { call, ran } = setup(policy);
    expect(await call("exec", { command: "sudo ls" }, fakeSafety({ elevated: true }).view)).toMatchObject({ decision: "deny", text: expect.stringContaining("blocked binary: sudo") });
    expect(ran).toHaveLength(0);
  });

  it("allows policy.elevated.allow tools only while elevated; deny still wins", async () => {
    const { call, audits } = setup(policy);
    const rules = { allow: ["group:fs"], deny: [] };
    const args = { url: "not a url" }; // the tool then refuses the argument itself: no network here
    expect(await call("web_fetch", args, fakeSafety({ elevated: false }).view, rules)).toMatchObject({ decision: "deny" });
    const allowed = await call("web_fetch", args, fakeSafety({ elevated: true }).view, rules);
    expect(allowed.decision).toBe("allow");
    expect(audits[1]).toMatchObject({ reason: 'allowed by policy.elevated.allow "web_fetch" (session elevated)', detail: { elevated: true } });
    expect(await call("web_fetch", args, fakeSafety({ elevated: true }).view, { ...rules, deny: ["web_fetch"] })).toMatchObject({ decision: "deny" });
  });

  it("does not look the elevation up when elevated mode is off", async () => {
    const { call, ran } = setup();
    const s = fakeSafety({ elevated: true });
    await call("exec", { command: "ls" }, s.view);
    expect(s.lookups).toEqual([]);
    expect(ran.map((r) => r.where)).toEqual(["bubblewrap"]);
  });
});
