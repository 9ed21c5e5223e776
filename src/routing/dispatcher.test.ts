// Unit tests for the dispatcher on an in-memory SQLite store with a scripted model: run records, recovery
// of interrupted runs, run timeout, and event fan-out to subscribers.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ModelStreamer } from "../agent/agent-loop.ts";
import { agentSchema, type AgentConfig } from "../core/config-schema.ts";
import type { RunStatus } from "../core/domain.ts";
import type { RunEvent } from "../core/events.ts";
import { openSqliteStore, type Store } from "../store/index.ts";
import { createDispatcher, type DispatcherOptions } from "./dispatcher.ts";

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

function makeDispatcher(opts: { models: ModelStreamer; agent?: Partial<AgentConfig>; store?: Store }) {
  const deps: DispatcherOptions = {
    store: opts.store ?? store,
    models: opts.models,
    toolsFor: () => ({ specs: () => [], execute: async () => ({ text: "", isError: true, decision: "deny" }) }),
    now: () => 1_700_000_000_000,
    agentConfig: () => ({ ...agentSchema.parse({}), ...opts.agent }),
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
      },
    };
    const dispatcher = makeDispatcher({ models: answeringModel("hi"), store: tracked });

    const outcome = await (await send(dispatcher)).result;

    expect(statuses).toEqual(["running", "succeeded"]);
    expect(await store.runs.get(outcome.runId)).toMatchObject({ status: "succeeded", reply: "hi", model: "fake/m1", usage, input: "hello" });
  });

  it("marks stale pending and running runs interrupted and audits each", async () => {
    await store.sessions.ensure({ key: SESSION, agentId: "default", channel: "test" });
    await seedRun("run-a", "pending");
    await seedRun("run-b", "running");
    await seedRun("run-c", "succeeded");

    const recovered = await makeDispatcher({ models: answeringModel("x") }).recoverInterrupted();

    expect(recovered.map((r) => r.id).sort()).toEqual(["run-a", "run-b"]);
    expect(await store.runs.get("run-b")).toMatchObject({ status: "interrupted", errorCode: "interrupted" });
    expect(await store.runs.get("run-c")).toMatchObject({ status: "succeeded" });
    expect((await store.audit.list({ kind: "run.interrupted" })).map((a) => a.runId).sort()).toEqual(["run-a", "run-b"]);
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
        update: async (id, patch) => {
          if (patch.finishedAt !== undefined) throw new Error("disk full");
          await store.runs.update(id, patch);
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
      expect(again).toEqual({ duplicate: true, journalId: first.journalId });
      expect(streamed).toHaveLength(1);
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
      await vi.waitFor(async () => expect(await store.journal.pending()).toEqual([]));
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
});
