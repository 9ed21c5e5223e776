// Unit tests for the dispatcher on an in-memory SQLite store with a scripted model: run records, recovery
// of interrupted runs, run timeout, and event fan-out to subscribers.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ModelStreamer } from "../agent/agent-loop.ts";
import { agentSchema, type AgentConfig } from "../core/config-schema.ts";
import type { RunStatus } from "../core/domain.ts";
import type { RunEvent } from "../core/events.ts";
import { openSqliteStore, type RunProgress, type Store } from "../store/index.ts";
import type { ToolRunner } from "../agent/agent-loop.ts";
import { TOOL_INTERRUPTED_TEXT, TOOL_NOT_STARTED_TEXT } from "../agent/resume-plan.ts";
import { createDispatcher, INTERRUPTED_NOTICE, MAX_RUN_ATTEMPTS, type DispatcherOptions } from "./dispatcher.ts";

const SESSION = "agent:default:test:dm:1";
const usage = { inputTokens: 12, outputTokens: 3, cachedTokens: 0, costUsd: 0.01 };

/** Answers every step with `text` after streaming it as one delta. */
const answeringModel = (text: string): ModelStreamer => ({
  async *stream() {
    yield { type: "text_delta", text };
    yield { type: "done", provider: "fake", model: "m1", finishReason: "stop", toolCalls: [], text, responseMessages: [{ role: "assistant", content: text }], usage };
  },
});

/** Waits until the run is aborted, then ends the stream the way a provider does on abort. */
const hangingModel = (onStream: () => void): ModelStreamer => ({
  async *stream({ signal }) {
    onStream();
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    yield { type: "failed", code: "aborted", message: "the request was aborted" };
  },
});

let store: Store;

beforeEach(async () => {
  store = await openSqliteStore({ path: ":memory:" });
});
afterEach(async () => {
  vi.useRealTimers();
  await store.close();
});

function makeDispatcher(opts: { models: ModelStreamer; agent?: Partial<AgentConfig>; store?: Store; tools?: ToolRunner; agentConfig?: (id: string) => AgentConfig }) {
  const deps: DispatcherOptions = {
    store: opts.store ?? store,
    models: opts.models,
    toolsFor: () => opts.tools ?? { specs: () => [], execute: async () => ({ text: "", isError: true, decision: "deny" }) },
    now: () => 1_700_000_000_000,
    agentConfig: opts.agentConfig ?? (() => ({ ...agentSchema.parse({}), ...opts.agent })),
    workspaceFor: () => join(tmpdir(), "pincer-dispatcher-test-no-workspace"),
  };
  return createDispatcher(deps);
}

async function seedRun(id: string, status: RunStatus): Promise<void> {
  await store.runs.create({ id, sessionKey: SESSION, agentId: "default", input: id });
  if (status !== "pending") await store.runs.update(id, { status });
}

const send = (dispatcher: ReturnType<typeof createDispatcher>, text = "hello") =>
  dispatcher.send({ agentId: "default", sessionKey: SESSION, channel: "test", text });

describe("createDispatcher", () => {
  it("records a turn's trust labels on its run, through the journal too, and never steers untrusted text into a run", async () => {
    const d = makeDispatcher({ models: answeringModel("ok") });
    const taint = [{ kind: "message" as const, label: "telegram group message from 8", at: 1 }];
    const a = await d.send({ agentId: "default", sessionKey: SESSION, channel: "test", text: "hi", taint });
    const b = await d.send({ agentId: "default", sessionKey: SESSION, channel: "test", text: "more", taint, queueMode: "steer" });
    expect(b.disposition).not.toBe("steered");
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect(ra.runId).not.toBe(rb.runId);
    expect((await store.runs.get(ra.runId))?.taint).toEqual(taint);

    // A journaled turn keeps its labels for a replay; a malformed list is dropped, not trusted blindly.
    await store.journal.append({ channel: "hook", account: "h", platformMessageId: "d1", sessionKey: "agent:default:hook:dm:x", payload: { agentId: "default", text: "body", trigger: "hook", taint } });
    await store.journal.append({ channel: "hook", account: "h", platformMessageId: "d2", sessionKey: "agent:default:hook:dm:y", payload: { agentId: "default", text: "body", taint: [{ kind: "evil" }] } });
    expect(await d.replayJournal()).toBe(2);
    const replayed = await vi.waitFor(async () => {
      const runs = await store.runs.list({ sessionKeyPrefix: "agent:default:hook:" });
      if (runs.length < 2 || runs.some((r) => r.status === "running")) throw new Error("not yet");
      return runs;
    });
    expect(replayed.find((r) => r.sessionKey.endsWith(":x"))?.taint).toEqual(taint);
    expect(replayed.find((r) => r.sessionKey.endsWith(":y"))?.taint).toBeUndefined();
  });

  it("records a run created running (the in-process executor starts it at once) through succeeded with usage", async () => {
    const statuses: RunStatus[] = [];
    const tracked: Store = {
      ...store,
      runs: {
        ...store.runs,
        create: async (input) => {
          const run = await store.runs.create(input);
          statuses.push(run.status);
          return run;
        },
        update: async (id, patch) => {
          if (patch.status) statuses.push(patch.status);
          await store.runs.update(id, patch);
        },
        record: async (run, progress) => {
          if (progress.patch?.status) statuses.push(progress.patch.status);
          await store.runs.record(run, progress);
        },
      },
    };
    const dispatcher = makeDispatcher({ models: answeringModel("hi"), store: tracked });

    const outcome = await (await send(dispatcher)).result;

    expect(statuses).toEqual(["running", "succeeded"]);
    expect(await store.runs.get(outcome.runId)).toMatchObject({ status: "succeeded", reply: "hi", model: "fake/m1", usage, input: "hello" });
  });

  it("writes a turn's input once, with its run, before the model is called", async () => {
    const atModelCall: unknown[][] = [];
    const model = answeringModel("hi");
    const dispatcher = makeDispatcher({
      models: {
        async *stream(req) {
          atModelCall.push((await store.transcript.list(SESSION)).map((m) => m.content));
          yield* model.stream(req);
        },
      },
    });

    await (await send(dispatcher, "first")).result;
    await (await send(dispatcher, "second")).result;

    expect(atModelCall.map((contents) => contents.at(-1))).toEqual([{ role: "user", content: "first" }, { role: "user", content: "second" }]);
    expect((await store.transcript.list(SESSION)).map((m) => m.content)).toEqual([
      { role: "user", content: "first" }, { role: "assistant", content: "hi" }, { role: "user", content: "second" }, { role: "assistant", content: "hi" },
    ]);
  });

  it("uses the session a turn brings instead of ensuring it again, and its model override", async () => {
    const session = await store.sessions.ensure({ key: SESSION, agentId: "default", channel: "test" });
    await store.sessions.update(SESSION, { modelOverride: "fake/override" });
    const ensured: string[] = [];
    const refs: string[] = [];
    const tracked: Store = { ...store, sessions: { ...store.sessions, ensure: async (input) => (ensured.push(input.key), store.sessions.ensure(input)) } };
    const model = answeringModel("hi");
    const dispatcher = makeDispatcher({ models: { stream: (req) => (refs.push(req.ref), model.stream(req)) }, store: tracked });

    await (await dispatcher.send({ agentId: "default", sessionKey: SESSION, channel: "test", text: "a", session: { ...session, modelOverride: "fake/override" } })).result;
    await (await send(dispatcher, "b")).result;

    expect(ensured).toEqual([SESSION]); // only the turn without a session
    expect(refs).toEqual(["fake/override", "fake/override"]);
  });

  it("fails a run that exceeds run_timeout_ms with errorCode timeout", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const streaming = Promise.withResolvers<void>();
    const dispatcher = makeDispatcher({ models: hangingModel(streaming.resolve), agent: { run_timeout_ms: 50 } });
    const { result } = await send(dispatcher);
    await streaming.promise;

    await vi.advanceTimersByTimeAsync(50);

    expect(await result).toMatchObject({ status: "failed", errorCode: "timeout", error: "the run exceeded agents.default.run_timeout_ms (50 ms)" });
  });

  it("delivers events to subscribers even when one of them throws", async () => {
    const dispatcher = makeDispatcher({ models: answeringModel("hi") });
    const seen: RunEvent["type"][] = [];
    dispatcher.subscribe(() => {
      throw new Error("broken listener");
    });
    dispatcher.subscribe((e) => seen.push(e.type));

    const outcome = await (await send(dispatcher)).result;

    expect(outcome.status).toBe("succeeded");
    expect(seen).toEqual(["run_started", "text_delta", "step_finished", "run_finished"]);
  });

  it("emits run_finished even when recording the outcome fails, so followers forget the run", async () => {
    const failing: Store = {
      ...store,
      runs: {
        ...store.runs,
        record: async (run, progress) => {
          if (progress.patch?.finishedAt !== undefined) throw new Error("disk full");
          await store.runs.record(run, progress);
        },
      },
    };
    const dispatcher = makeDispatcher({ models: answeringModel("hi"), store: failing });
    const seen: RunEvent["type"][] = [];
    dispatcher.subscribe((e) => seen.push(e.type));

    const outcome = await (await send(dispatcher)).result;

    expect(outcome).toMatchObject({ status: "failed", error: "disk full" });
    expect(seen).toEqual(["run_started", "text_delta", "step_finished", "run_finished"]);
  });

  it("stops delivering events after unsubscribe", async () => {
    const dispatcher = makeDispatcher({ models: answeringModel("hi") });
    const seen: RunEvent[] = [];
    const unsubscribe = dispatcher.subscribe((e) => seen.push(e));
    unsubscribe();

    await (await send(dispatcher)).result;

    expect(seen).toEqual([]);
  });

  describe("journal", () => {
    const inbound = (messageId: string, text = messageId) =>
      ({ agentId: "default", sessionKey: SESSION, channel: "webchat", text, inbound: { account: "web", messageId } });

    it("journals before sending, marks the entry processed, and starts nothing for a duplicate delivery", async () => {
      const streamed: string[] = [];
      const dispatcher = makeDispatcher({
        models: { stream: (req) => (streamed.push("x"), answeringModel("ok").stream(req)) },
      });
      const first = await dispatcher.receive(inbound("m1"));
      expect(first.duplicate).toBe(false);
      if (!first.duplicate) expect((await first.result).status).toBe("succeeded");
      await vi.waitFor(async () => expect(await store.journal.pending()).toEqual([]));
      const again = await dispatcher.receive(inbound("m1"));
      expect(again).toEqual({ duplicate: true, journalId: first.journalId, runId: first.duplicate ? "" : (await first.result).runId });
      expect(streamed).toHaveLength(1);
    });

    it("marks a message steered into a running run processed once that run ends", async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const dispatcher = makeDispatcher({
        models: {
          async *stream(req) {
            await gate;
            yield* answeringModel("ok").stream(req);
          },
        },
      });
      const a = await dispatcher.receive(inbound("a", "first"));
      const b = await dispatcher.receive({ ...inbound("b", "second"), queueMode: "steer" });
      expect(b.duplicate || b.disposition).toBe("steered");
      release();
      if (!a.duplicate) expect((await a.result).status).toBe("succeeded");
      if (!b.duplicate) await b.result;
      await vi.waitFor(async () => expect(await store.journal.pending()).toEqual([]));
    });

    it("leaves a message queued behind a run interrupted at shutdown received, and replays it at the next start", async () => {
      let started = 0;
      const dispatcher = makeDispatcher({ models: hangingModel(() => started++) });
      const a = await dispatcher.receive(inbound("a", "first"));
      const b = await dispatcher.receive(inbound("b", "second"));
      expect(b.duplicate || b.disposition).toBe("queued");
      await vi.waitFor(() => expect(started).toBe(1));
      dispatcher.stop(SESSION, "interrupted");
      if (!a.duplicate) expect((await a.result).status).toBe("interrupted");
      // "first" reached a run (recovered as interrupted); "second" never did.
      expect((await store.journal.pending()).map((e) => e.platformMessageId)).toEqual(["b"]);

      const texts: string[] = [];
      const next = makeDispatcher({
        models: {
          stream: (req) => {
            texts.push(JSON.stringify(req.messages));
            return answeringModel("answered").stream(req);
          },
        },
      });
      expect(await next.replayJournal()).toBe(1);
      await vi.waitFor(async () => expect((await store.runs.list({ status: ["succeeded"] })).map((r) => r.input)).toEqual(["second"]));
      expect(await store.journal.pending()).toEqual([]);
      expect(texts.join("")).toContain("second");
      const runs = await store.runs.list({});
      expect(runs.map((r) => [r.input, r.status]).sort()).toEqual([["first", "interrupted"], ["second", "succeeded"]]);
    });

    it("marks an unreadable journal entry failed and audits it instead of throwing", async () => {
      await store.journal.append({ channel: "webchat", account: "web", platformMessageId: "junk", sessionKey: SESSION, payload: { nope: 1 } });
      const dispatcher = makeDispatcher({ models: answeringModel("x") });
      expect(await dispatcher.replayJournal()).toBe(0);
      expect(await store.journal.pending()).toEqual([]);
      expect((await store.audit.list({ kind: "journal.unreadable" }))).toHaveLength(1);
    });
  });

  describe("recovery after a crash", () => {
    /** Replies with the scripted steps in order (a tool call or a final text) and records what the model was sent. */
    const scriptedModel = (steps: Array<{ call: string } | { text: string }>, seen: unknown[][]): ModelStreamer => ({
      async *stream({ messages }) {
        seen.push([...messages]);
        const step = steps.shift() ?? { text: "unscripted" };
        if ("text" in step) {
          yield { type: "done", provider: "fake", model: "m1", finishReason: "stop", toolCalls: [], text: step.text, responseMessages: [{ role: "assistant", content: step.text }], usage };
          return;
        }
        const content = [{ type: "tool-call" as const, toolCallId: step.call, toolName: "count", input: {} }];
        yield { type: "done", provider: "fake", model: "m1", finishReason: "tool-calls", toolCalls: [{ id: step.call, name: "count", args: {} }], text: "", responseMessages: [{ role: "assistant", content }], usage };
      },
    });
    /** A tool whose every execution is counted: the side effect a resume must not repeat. */
    const countingTool = (executed: string[]): ToolRunner => ({
      specs: () => [{ name: "count", description: "counts", parameters: { type: "object" } }],
      execute: async (call) => (executed.push(call.id), { text: `counted ${call.id}`, isError: false, decision: "allow" }),
    });
    const toolCall = (...ids: string[]) => ({ role: "assistant" as const, content: { role: "assistant", content: ids.map((id) => ({ type: "tool-call", toolCallId: id, toolName: "count", input: {} })) } });
    const toolResult = (id: string) => ({ role: "tool" as const, content: { role: "tool", content: [{ type: "tool-result", toolCallId: id, toolName: "count", output: { type: "text", value: `counted ${id}` } }] } });

    /** Leaves the store as a crash during the run's first attempt would: `running`, attempt 1, a partial transcript. */
    async function seedCrashedRun(id: string, transcript: Array<{ role: "user" | "assistant" | "tool"; content: unknown }>, attempts = 1): Promise<void> {
      await store.sessions.ensure({ key: SESSION, agentId: "default", channel: "test" });
      await store.runs.create({ id, sessionKey: SESSION, agentId: "default", input: "count things", status: "running", startedAt: 1 });
      for (let i = 0; i < attempts; i++) await store.runs.claim(id, { from: ["running"], worker: "embedded" });
      await store.runs.update(id, { usage });
      await store.transcript.append(SESSION, id, [{ role: "user", content: { role: "user", content: "count things" } }, ...transcript]);
    }
    const finished = (dispatcher: ReturnType<typeof createDispatcher>, runId: string) =>
      new Promise<void>((resolve) => dispatcher.subscribe((e) => e.type === "run_finished" && e.runId === runId && resolve()));

    it("writes a step with tool calls before its tools run, and the last step in one write with the run's outcome", async () => {
      const written: RunProgress[] = [];
      const tracked: Store = { ...store, runs: { ...store.runs, record: async (run, progress) => (written.push(progress), store.runs.record(run, progress)) } };
      const writesAtCall: number[] = [];
      const executed: string[] = [];
      const tool = countingTool(executed);
      const dispatcher = makeDispatcher({
        store: tracked, models: scriptedModel([{ call: "c1" }, { text: "counted" }], []),
        tools: { ...tool, execute: (call, signal) => (writesAtCall.push(written.length), tool.execute(call, signal)) },
      });

      await (await send(dispatcher)).result;

      expect(writesAtCall).toEqual([1]);
      expect(written.map((w) => ({ roles: w.messages?.map((m) => m.role), usage: w.usage?.inputTokens, status: w.patch?.status }))).toEqual([
        { roles: ["assistant"], usage: usage.inputTokens, status: undefined },
        { roles: ["assistant"], usage: usage.inputTokens, status: "succeeded" },
      ]);
      expect(await store.usage.sessionTotal(SESSION)).toEqual({ ...usage, inputTokens: 2 * usage.inputTokens, outputTokens: 2 * usage.outputTokens, costUsd: 2 * usage.costUsd });
    });

    it("resumes a run from its transcript: finished tools are not run again, the unfinished call is reported interrupted", async () => {
      // c1 finished (result recorded); c2 was running (no result); c3 never started.
      await seedCrashedRun("run-crash", [toolCall("c1", "c2", "c3"), toolResult("c1")]);
      const executed: string[] = [];
      const seen: unknown[][] = [];
      const dispatcher = makeDispatcher({ models: scriptedModel([{ call: "c4" }, { text: "all counted" }], seen), tools: countingTool(executed) });
      const done = finished(dispatcher, "run-crash");

      const recovered = await dispatcher.recoverInterrupted();
      await done;

      expect(recovered.resumed.map((r) => r.id)).toEqual(["run-crash"]);
      expect(executed).toEqual(["c4"]); // only the call the model made after the restart
      const results = Object.fromEntries(
        (seen[0] as Array<{ role: string; content: Array<{ toolCallId: string; output: { type: string; value: string } }> }>)
          .filter((m) => m.role === "tool").map((m) => [m.content[0]!.toolCallId, m.content[0]!.output]),
      );
      expect(results).toEqual({
        c1: { type: "text", value: "counted c1" },
        c2: { type: "error-text", value: TOOL_INTERRUPTED_TEXT },
        c3: { type: "error-text", value: TOOL_NOT_STARTED_TEXT },
      });
      const run = await store.runs.get("run-crash");
      expect(run).toMatchObject({ status: "succeeded", reply: "all counted", attempt: 2 });
      expect(run?.usage.inputTokens).toBe(3 * usage.inputTokens); // the first attempt's and two new model calls
      const finals = (await store.transcript.list(SESSION)).filter((m) => m.role === "assistant" && typeof (m.content as { content: unknown }).content === "string");
      expect(finals.map((m) => (m.content as { content: string }).content)).toEqual(["all counted"]);
    });

    it("finishes without a model call a run whose final answer was written before the crash", async () => {
      await seedCrashedRun("run-answered", [toolCall("c1"), toolResult("c1"), { role: "assistant", content: { role: "assistant", content: "already answered" } }]);
      const seen: unknown[][] = [];
      const dispatcher = makeDispatcher({ models: scriptedModel([], seen) });
      const done = finished(dispatcher, "run-answered");

      await dispatcher.recoverInterrupted();
      await done;

      expect(seen).toEqual([]);
      expect(await store.runs.get("run-answered")).toMatchObject({ status: "succeeded", reply: "already answered", attempt: 2 });
    });

    it("resumes a session's crashed run before the session's journaled messages are replayed", async () => {
      await seedCrashedRun("run-crash", [toolCall("c1"), toolResult("c1")]);
      await store.journal.append({ channel: "webchat", account: "web", platformMessageId: "m1", sessionKey: SESSION, payload: { agentId: "default", text: "later message" } });
      const seen: unknown[][] = [];
      const dispatcher = makeDispatcher({ models: scriptedModel([{ text: "first answer" }, { text: "second answer" }], seen) });

      await dispatcher.recoverInterrupted();
      expect(await dispatcher.replayJournal()).toBe(1);
      await vi.waitFor(async () => expect(await store.journal.pending()).toEqual([]));
      await vi.waitFor(async () => expect((await store.runs.list({ status: ["succeeded"] })).length).toBe(2));

      const lastUserText = (messages: unknown[]) => (messages.findLast((m) => (m as { role: string }).role === "user") as { content: string }).content;
      expect(seen.map(lastUserText)).toEqual(["count things", "later message"]);
      expect(await store.runs.get("run-crash")).toMatchObject({ reply: "first answer" });
    });

    it("fails a crashed run whose agent was removed from the config instead of leaving it running", async () => {
      await seedCrashedRun("run-orphan", []);
      const gone = (id: string): AgentConfig => {
        throw new Error(`unknown agent ${id}`);
      };
      const dispatcher = makeDispatcher({ models: scriptedModel([], []), agentConfig: gone });

      await dispatcher.recoverInterrupted();

      await vi.waitFor(async () => expect(await store.runs.get("run-orphan")).toMatchObject({ status: "failed", errorCode: "config", error: "unknown agent default" }));
    });

    it(`finishes a run found in flight after ${MAX_RUN_ATTEMPTS} attempts as interrupted, tells the session and audits it`, async () => {
      await seedCrashedRun("run-given-up", [toolCall("c1")], MAX_RUN_ATTEMPTS);
      await seedRun("run-done", "succeeded");
      const seen: unknown[][] = [];

      const recovered = await makeDispatcher({ models: scriptedModel([], seen) }).recoverInterrupted();

      expect(recovered.interrupted.map((r) => r.id)).toEqual(["run-given-up"]);
      expect(recovered.resumed).toEqual([]);
      expect(seen).toEqual([]);
      expect(await store.runs.get("run-given-up")).toMatchObject({ status: "interrupted", errorCode: "interrupted", attempt: MAX_RUN_ATTEMPTS });
      expect(await store.runs.get("run-done")).toMatchObject({ status: "succeeded" });
      expect((await store.transcript.list(SESSION)).at(-1)?.content).toEqual({ role: "assistant", content: INTERRUPTED_NOTICE });
      expect((await store.audit.list({ kind: "run.interrupted" })).map((a) => a.runId)).toEqual(["run-given-up"]);
    });
  });
});
