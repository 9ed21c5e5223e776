// The approval broker on the in-process runtime (dispatcher, real gate, SQLite): ask → waiting_approval → approve once →
// the tool runs and the answer arrives; deny; always; timeout (fake clock) → the model carries on; a restart while
// waiting resumes the wait for the same request, never asks twice and runs the tool once.
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ModelMessage } from "ai";
import type { ModelStreamer } from "../agent/agent-loop.ts";
import { inputMessage } from "../agent/agent-loop.ts";
import { TOOL_INTERRUPTED_TEXT } from "../agent/resume-plan.ts";
import { agentSchema, policySchema } from "../core/config-schema.ts";
import { approvalsSchema } from "../core/safety-config.ts";
import type { ApprovalRequest, Run } from "../core/domain.ts";
import type { RunEvent } from "../core/events.ts";
import { openSqliteStore, type Store } from "../store/index.ts";
import type { Tool } from "../tools/tool.ts";
import { createToolGate } from "../tools/tool-gate.ts";
import { createApprovalBroker, type ApprovalBroker } from "./approval-broker.ts";
import { createDispatcher, type Dispatcher } from "./dispatcher.ts";

const SESSION = "agent:default:test:dm:1";
const usage = { inputTokens: 1, outputTokens: 1, cachedTokens: 0, costUsd: 0 };
const T0 = 1_700_000_000_000;

/** First step: call `deploy` (call id `call1`); once a tool result is there: answer with it. */
const deployingModel: ModelStreamer = {
  async *stream({ messages }) {
    const last = messages.at(-1);
    if (last?.role === "tool") {
      const part = last.content[0];
      const output = part?.type === "tool-result" ? part.output : undefined;
      const text = `result: ${output && "value" in output ? String(output.value) : "?"}`;
      yield { type: "done", provider: "fake", model: "m", finishReason: "stop", toolCalls: [], text, responseMessages: [{ role: "assistant", content: text }], usage };
      return;
    }
    const call = { id: "call1", name: "deploy", args: { target: "prod" } };
    yield {
      type: "done", provider: "fake", model: "m", finishReason: "tool-calls", toolCalls: [call], text: "",
      responseMessages: [{ role: "assistant", content: [{ type: "tool-call", toolCallId: "call1", toolName: "deploy", input: { target: "prod" } }] }], usage,
    };
  },
};

let store: Store;
let clock: number;
let deployed: number;
let notified: ApprovalRequest[];

beforeEach(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  clock = T0;
  deployed = 0;
  notified = [];
});
afterEach(async () => {
  await store.close();
});

const deploy: Tool = {
  name: "deploy",
  group: "runtime",
  description: "Deploys.",
  parameters: { type: "object", properties: { target: { type: "string" } } },
  execute: async () => {
    deployed++;
    return { text: "deployed" };
  },
};

function setup(): { dispatcher: Dispatcher; broker: ApprovalBroker; events: RunEvent[] } {
  const policy = policySchema.parse({ tools: { allow: ["*"], ask: ["deploy"] } });
  const broker = createApprovalBroker({
    store, now: () => clock, log: pino({ level: "silent" }), pollMs: 20,
    config: () => ({ policy, approvals: approvalsSchema.parse({ timeout_ms: 60_000 }) }),
    onRequested: (r) => void notified.push(r),
  });
  const gate = createToolGate({ tools: [deploy], audit: (r) => store.audit.write(r), now: () => clock });
  const rules = { allow: ["*"], deny: [], ask: ["deploy"] };
  const dispatcher = createDispatcher({
    store, models: deployingModel, now: () => clock,
    agentConfig: () => agentSchema.parse({}),
    workspaceFor: () => join(tmpdir(), "pincer-approval-test-no-workspace"),
    toolsFor: (run: Run, workspace, _skills, _memory, emit) => ({
      specs: () => gate.specs(rules),
      execute: (call, signal) =>
        gate.execute(call, { workspace, policy, signal, runId: run.id, sessionKey: run.sessionKey, rules, safety: broker.safetyFor(run, { emit }), approvalTimeoutMs: 60_000 }),
    }),
  });
  const events: RunEvent[] = [];
  dispatcher.subscribe((e) => events.push(e));
  return { dispatcher, broker, events };
}

/** Resolves with the first event of `type` the dispatcher emits from now on. */
function nextEvent<T extends RunEvent["type"]>(dispatcher: Dispatcher, type: T): Promise<Extract<RunEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = dispatcher.subscribe((e) => {
      if (e.type !== type) return;
      off();
      resolve(e as Extract<RunEvent, { type: T }>);
    });
  });
}

const send = (dispatcher: Dispatcher) => dispatcher.send({ agentId: "default", sessionKey: SESSION, channel: "test", text: "deploy it" });

describe("approvals in-process", () => {
  it("ask → pending and waiting_approval → approve once → the tool runs once and the answer reaches the model", async () => {
    const { dispatcher, broker, events } = setup();
    const requested = nextEvent(dispatcher, "approval_requested");
    const submitted = await send(dispatcher);
    const { request } = await requested;
    expect(request).toMatchObject({ status: "pending", tool: "deploy", callId: "call1", reason: "ask", summary: '{"target":"prod"}' });
    expect((await store.runs.get(request.runId))?.status).toBe("waiting_approval");
    expect(notified.map((r) => r.id)).toEqual([request.id]);
    expect(deployed).toBe(0);

    expect(await broker.answer(request.id, { decision: "approve" }, "operator:cli")).toMatchObject({ ok: true, request: { status: "approved", answer: "once" } });
    const outcome = await submitted.result;
    expect(outcome).toMatchObject({ status: "succeeded", reply: "result: deployed" });
    expect(deployed).toBe(1);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["approval_requested", "approval_answered"]));
    // A second answer is refused: answered already.
    expect(await broker.answer(request.id, { decision: "deny" }, "operator:ui")).toMatchObject({ ok: false, reason: "answered" });
    const audit = await store.audit.list({ limit: 50 });
    expect(audit.filter((a) => a.kind === "tool.call")).toHaveLength(1);
    expect(audit.find((a) => a.kind === "tool.call")).toMatchObject({ decision: "allow", detail: { approval: { id: request.id, by: "operator:cli", answer: "once" } } });
    expect(audit.map((a) => a.kind)).toEqual(expect.arrayContaining(["approval.request", "approval.answer"]));
  });

  it("deny → the model reads that the owner denied the call and carries on; the tool never runs", async () => {
    const { dispatcher, broker } = setup();
    const requested = nextEvent(dispatcher, "approval_requested");
    const submitted = await send(dispatcher);
    const { request } = await requested;
    await broker.answer(request.id, { decision: "deny" }, "telegram:42");
    const outcome = await submitted.result;
    expect(outcome.status).toBe("succeeded");
    expect(outcome.reply).toContain("the owner denied this call");
    expect(deployed).toBe(0);
    expect((await store.audit.list({ limit: 50 })).find((a) => a.kind === "tool.call")).toMatchObject({ decision: "deny" });
  });

  it("always → a standing rule; the next identical call, in a new run, runs without asking", async () => {
    const { dispatcher, broker } = setup();
    const requested = nextEvent(dispatcher, "approval_requested");
    const first = await send(dispatcher);
    await broker.answer((await requested).request.id, { decision: "approve", always: true }, "telegram:42");
    await first.result;
    expect(await broker.rules()).toMatchObject([{ agentId: "default", tool: "deploy", subject: undefined, createdBy: "telegram:42" }]);

    const second = await (await send(dispatcher)).result;
    expect(second).toMatchObject({ status: "succeeded", reply: "result: deployed" });
    expect(deployed).toBe(2);
    expect(await store.approvals.list()).toHaveLength(1);

    // Revoked: it asks again.
    const [rule] = await broker.rules();
    expect(await broker.revokeRule(rule!.id, "operator:ui")).toBe(true);
    const again = nextEvent(dispatcher, "approval_requested");
    const third = await send(dispatcher);
    await broker.answer((await again).request.id, { decision: "deny" }, "operator:ui");
    await third.result;
    expect(deployed).toBe(2);
  });

  it("no answer in time (fake clock) → expired as timeout; the model gets a tool error and carries on", async () => {
    const { dispatcher, broker } = setup();
    const requested = nextEvent(dispatcher, "approval_requested");
    const submitted = await send(dispatcher);
    const { request } = await requested;
    clock += 60_001;
    expect(await broker.sweep()).toBe(1);
    const outcome = await submitted.result;
    expect(outcome).toMatchObject({ status: "succeeded" });
    expect(outcome.reply).toContain("no answer within 1 minute: denied");
    expect(await store.approvals.get(request.id)).toMatchObject({ status: "expired", answeredBy: "timeout" });
    expect(await broker.answer(request.id, { decision: "approve" }, "operator:ui")).toMatchObject({ ok: false, reason: "expired" });
    expect(deployed).toBe(0);
  });

  it("/stop while waiting closes the request; nothing runs", async () => {
    const { dispatcher } = setup();
    const requested = nextEvent(dispatcher, "approval_requested");
    const submitted = await send(dispatcher);
    const { request } = await requested;
    dispatcher.stop(SESSION, "cancelled");
    expect((await submitted.result).status).toBe("cancelled");
    expect(await store.approvals.get(request.id)).toMatchObject({ status: "expired", answeredBy: "run stopped" });
    expect(deployed).toBe(0);
  });
});

describe("a restart while waiting", () => {
  /** What a process that died while call1 waited for approval leaves behind. */
  async function seedWaitingRun(status: "waiting_approval" | "running", answer?: "approved" | "denied"): Promise<ApprovalRequest> {
    const runId = "run_crashed";
    await store.sessions.ensure({ key: SESSION, agentId: "default", channel: "test" });
    await store.runs.create({
      id: runId, sessionKey: SESSION, agentId: "default", input: "deploy it", status: "running", startedAt: T0, worker: "embedded",
      messages: [{ role: "user", content: inputMessage("deploy it") }],
    });
    const step: ModelMessage = { role: "assistant", content: [{ type: "tool-call", toolCallId: "call1", toolName: "deploy", input: { target: "prod" } }] };
    await store.transcript.append(SESSION, runId, [{ role: "assistant", content: step }]);
    await store.runs.update(runId, { status });
    const { request } = await store.approvals.create({
      id: "ab3cd4ef", runId, sessionKey: SESSION, agentId: "default", callId: "call1", tool: "deploy", subject: undefined, summary: "{}", reason: "ask",
      taintSources: undefined, createdAt: T0, expiresAt: T0 + 60_000,
    });
    if (answer) return (await store.approvals.answer(request.id, { status: answer, ...(answer === "approved" ? { answer: "once" as const } : {}), by: "operator:cli", at: T0 + 1 }))!;
    return request;
  }

  it("resumes the run, waits for the same request (no second request, no second notice), and runs the tool once", async () => {
    const seeded = await seedWaitingRun("waiting_approval");
    const { dispatcher, broker } = setup();
    const requested = nextEvent(dispatcher, "approval_requested");
    const finished = nextEvent(dispatcher, "run_finished");
    expect((await dispatcher.recoverInterrupted()).resumed.map((r) => r.id)).toEqual(["run_crashed"]);
    expect((await requested).request.id).toBe(seeded.id);
    expect(notified).toEqual([]);
    expect((await store.runs.get("run_crashed"))?.status).toBe("waiting_approval");
    await broker.answer(seeded.id, { decision: "approve" }, "operator:ui");
    expect(await finished).toMatchObject({ status: "succeeded", reply: "result: deployed" });
    expect(deployed).toBe(1);
    expect(await store.approvals.list()).toHaveLength(1);
  });

  it("an answer given while no process waited is used at once: approved → runs (it never started), denied → refused", async () => {
    await seedWaitingRun("waiting_approval", "approved");
    const { dispatcher } = setup();
    const finished = nextEvent(dispatcher, "run_finished");
    await dispatcher.recoverInterrupted();
    expect(await finished).toMatchObject({ status: "succeeded", reply: "result: deployed" });
    expect(deployed).toBe(1);
    expect(notified).toEqual([]);
  });

  it("a denied answer found on resume is given to the model without asking again", async () => {
    await seedWaitingRun("waiting_approval", "denied");
    const { dispatcher } = setup();
    const finished = nextEvent(dispatcher, "run_finished");
    await dispatcher.recoverInterrupted();
    expect((await finished).reply).toContain("the owner denied this call");
    expect(deployed).toBe(0);
  });

  it("an approved call whose run was running again (the tool may have started) is reported interrupted, never re-run", async () => {
    await seedWaitingRun("running", "approved");
    const { dispatcher } = setup();
    const finished = nextEvent(dispatcher, "run_finished");
    await dispatcher.recoverInterrupted();
    expect((await finished).reply).toBe(`result: ${TOOL_INTERRUPTED_TEXT}`);
    expect(deployed).toBe(0);
  });
});
