// The scheduler on a fake clock, with the real in-process dispatcher and a scripted model over an in-memory SQLite
// store: on-time fires (every, cron, at), concurrency, catch-up after a restart, suspend/resume, the lease (loss stops
// firing, two schedulers never double-fire), delivery (chat, webhook, NO_REPLY), run-now and heartbeats.
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ModelStreamer } from "../agent/agent-loop.ts";
import { agentSchema, type PincerConfig } from "../core/config-schema.ts";
import type { Schedule } from "../core/domain.ts";
import { InputError } from "../core/errors.ts";
import { createDispatcher, type Dispatcher } from "../routing/dispatcher.ts";
import { openSqliteStore, type Store } from "../store/index.ts";
import { SCHEDULER_LEASE, type HeartbeatRunner } from "./automation.ts";
import { buildSchedule, editSchedule, type ScheduleInput } from "./schedule-input.ts";
import { createScheduler, type Scheduler, type SchedulerOptions } from "./scheduler.ts";

const T0 = Date.UTC(2026, 0, 5, 7, 59, 0); // a Monday, 07:59 UTC
const SEC = 1_000;
const log = pino({ level: "silent" });
const usage = { inputTokens: 1, outputTokens: 1, cachedTokens: 0, costUsd: 0 };
const config = { agents: { default: agentSchema.parse({}) } } as unknown as PincerConfig;

/** A model that answers `reply()` at once, or holds each request until `release()` while `hold` is set. */
interface ScriptedModel {
  reply: () => string;
  hold: boolean;
  calls: number;
  release: () => void;
  streamer: ModelStreamer;
}

function scriptedModel(): ScriptedModel {
  const held: Array<() => void> = [];
  const model: ScriptedModel = {
    reply: (): string => "done",
    hold: false,
    calls: 0,
    release: () => held.splice(0).forEach((go) => go()),
    streamer: {
      async *stream({ signal }) {
        model.calls++;
        if (model.hold) {
          const aborted = await new Promise<boolean>((resolve) => {
            held.push(() => resolve(false));
            signal.addEventListener("abort", () => resolve(true), { once: true });
          });
          if (aborted) {
            yield { type: "failed", code: "aborted", message: "the request was aborted" };
            return;
          }
        }
        const text: string = model.reply();
        yield { type: "text_delta", text };
        yield { type: "done", provider: "fake", model: "m1", finishReason: "stop", toolCalls: [], text, responseMessages: [{ role: "assistant", content: text }], usage };
      },
    },
  };
  return model;
}

let store: Store;
let model: ScriptedModel;
let dispatcher: Dispatcher;
const schedulers: Scheduler[] = [];

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.setSystemTime(T0);
  store = await openSqliteStore({ path: ":memory:" });
  model = scriptedModel();
  dispatcher = makeDispatcher();
});
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
  model.release();
  await vi.advanceTimersByTimeAsync(0);
  vi.useRealTimers();
  await store.close();
});

function makeDispatcher(): Dispatcher {
  return createDispatcher({
    store, models: model.streamer, now: () => Date.now(),
    toolsFor: () => ({ specs: () => [], execute: async () => ({ text: "", isError: true, decision: "deny" }) }),
    agentConfig: () => agentSchema.parse({}),
    workspaceFor: () => join(tmpdir(), "pincer-scheduler-test-no-workspace"),
  });
}

function makeScheduler(over: Partial<SchedulerOptions> = {}): Scheduler {
  const scheduler = createScheduler({ store, dispatcher, config: () => config, now: () => Date.now(), log, holder: "p1", ...over });
  schedulers.push(scheduler);
  return scheduler;
}

async function addSchedule(input: Partial<ScheduleInput> & { name?: string }): Promise<Schedule> {
  const built = buildSchedule({ name: "job", message: "check", ...input }, { now: Date.now(), createdBy: "cli", knownAgent: () => true });
  return store.schedules.create(built);
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const fires = async (id: string) => (await store.schedules.fires(id, { limit: 500 })).reverse();
const firedAt = async (id: string) => (await fires(id)).map((f) => (f.fireAt - T0) / SEC);
const scheduleRuns = async () => (await store.runs.list({ limit: 500 })).filter((r) => r.trigger === "schedule");

describe("timing", () => {
  it("fires an `every` schedule on its grid and records each run's outcome", async () => {
    const s = await addSchedule({ every: "10s" });
    await makeScheduler().start();
    await advance(9 * SEC);
    expect(await fires(s.id)).toEqual([]);
    await advance(1 * SEC);
    expect(await firedAt(s.id)).toEqual([10]);
    await advance(30 * SEC);
    expect(await firedAt(s.id)).toEqual([10, 20, 30, 40]);
    const list = await fires(s.id);
    expect(list.every((f) => f.status === "succeeded" && f.runId !== undefined && f.delivery === "none")).toBe(true);
    // Isolated sessions: one fresh session per fire.
    expect(new Set(list.map((f) => f.sessionKey)).size).toBe(4);
    expect(list[0]?.sessionKey).toBe(`agent:default:schedule:dm:${s.id}/${T0 + 10 * SEC}`);
    expect(await store.schedules.get(s.id)).toMatchObject({ nextFireAt: T0 + 50 * SEC, lastFireAt: T0 + 40 * SEC });
    const runs = await scheduleRuns();
    expect(runs).toHaveLength(4);
    expect(runs.every((r) => r.input === "check" && r.status === "succeeded")).toBe(true);
  });

  it("fires a cron schedule in its time zone", async () => {
    const s = await addSchedule({ cron: "0 9 * * 1-5", tz: "Europe/Paris" }); // 08:00 UTC in winter
    await makeScheduler().start();
    await advance(60 * SEC);
    expect(await firedAt(s.id)).toEqual([60]);
    expect((await store.schedules.get(s.id))?.nextFireAt).toBe(Date.UTC(2026, 0, 6, 8, 0, 0));
  });

  it("fires an `at` schedule once and never again", async () => {
    const s = await addSchedule({ at: new Date(T0 + 30 * SEC).toISOString() });
    await makeScheduler().start();
    await advance(30 * SEC);
    expect(await firedAt(s.id)).toEqual([30]);
    expect((await store.schedules.get(s.id))?.nextFireAt).toBeUndefined();
    await advance(120 * SEC);
    expect(await firedAt(s.id)).toEqual([30]);
  });

  it("sees a schedule another process wrote within one poll, and at once after changed()", async () => {
    const scheduler = makeScheduler();
    await scheduler.start();
    expect(scheduler.status().leader).toBe(false); // nothing to do: no lease held
    const s = await addSchedule({ at: new Date(T0 + 2 * SEC).toISOString() });
    await advance(5 * SEC);
    expect(scheduler.status().leader).toBe(true);
    expect(await firedAt(s.id)).toEqual([2]);
    const t = await addSchedule({ name: "second", at: new Date(Date.now() + 1 * SEC).toISOString() });
    scheduler.changed();
    await advance(1 * SEC);
    expect((await fires(t.id)).map((f) => f.fireAt)).toEqual([T0 + 6 * SEC]);
  });

  it("skips suspended schedules and re-plans them on resume", async () => {
    const s = await addSchedule({ every: "10s" });
    await makeScheduler().start();
    await store.schedules.update(s.id, editSchedule(s, { suspended: true }, { now: Date.now(), knownAgent: () => true }));
    await advance(35 * SEC);
    expect(await fires(s.id)).toEqual([]);
    const paused = (await store.schedules.get(s.id))!;
    await store.schedules.update(s.id, editSchedule(paused, { suspended: false }, { now: Date.now(), knownAgent: () => true }));
    await advance(5 * SEC);
    expect(await firedAt(s.id)).toEqual([40]);
  });

  it("gives the lease up when nothing is left to fire, and costs one query per poll while idle", async () => {
    const counts = { nextDue: 0, other: 0 };
    const counted: Store = {
      ...store,
      schedules: { ...store.schedules, nextDue: () => (counts.nextDue++, store.schedules.nextDue()), due: (t) => (counts.other++, store.schedules.due(t)) },
      leases: { ...store.leases, acquire: (...a) => (counts.other++, store.leases.acquire(...a)), renew: (...a) => (counts.other++, store.leases.renew(...a)) },
    };
    await addSchedule({ at: new Date(T0 + 1 * SEC).toISOString() });
    const scheduler = makeScheduler({ store: counted });
    await scheduler.start();
    await advance(2 * SEC);
    expect(scheduler.status().leader).toBe(true); // follows its run until the next wake
    await advance(5 * SEC);
    expect(scheduler.status().leader).toBe(false);
    expect(await store.leases.get(SCHEDULER_LEASE)).toBeUndefined();
    counts.nextDue = 0;
    counts.other = 0;
    await advance(60 * SEC);
    expect(counts).toEqual({ nextDue: 12, other: 0 });
  });
});

describe("concurrency", () => {
  it("forbid: a fire while the previous run is still going is skipped with a reason", async () => {
    model.hold = true;
    const s = await addSchedule({ every: "10s", concurrency: "forbid" });
    await makeScheduler().start();
    await advance(20 * SEC);
    const [first, second] = await fires(s.id);
    expect(first).toMatchObject({ status: "started" });
    expect(second).toMatchObject({ status: "skipped", reason: expect.stringContaining("still going (concurrency: forbid)") });
    model.hold = false;
    model.release();
    await advance(10 * SEC);
    expect((await fires(s.id)).map((f) => f.status)).toEqual(["succeeded", "skipped", "succeeded"]);
    expect(await scheduleRuns()).toHaveLength(2);
  });

  it("allow: runs overlap", async () => {
    model.hold = true;
    const s = await addSchedule({ every: "10s", concurrency: "allow" });
    await makeScheduler().start();
    await advance(20 * SEC);
    expect((await fires(s.id)).map((f) => f.status)).toEqual(["started", "started"]);
    expect((await scheduleRuns()).map((r) => r.status)).toEqual(["running", "running"]);
  });

  it("replace: the previous run is cancelled and the new one starts", async () => {
    model.hold = true;
    const s = await addSchedule({ every: "10s", concurrency: "replace" });
    await makeScheduler().start();
    await advance(20 * SEC);
    expect((await fires(s.id)).map((f) => f.status)).toEqual(["cancelled", "started"]);
    model.release();
    await advance(0);
    expect((await fires(s.id)).map((f) => f.status)).toEqual(["cancelled", "succeeded"]);
  });

  it("forbid also sees a run a previous process started (the store, not memory)", async () => {
    model.hold = true;
    const s = await addSchedule({ every: "10s", concurrency: "forbid" });
    const first = makeScheduler();
    await first.start();
    await advance(10 * SEC);
    await first.stop();
    const second = makeScheduler({ holder: "p2" });
    await second.start();
    await advance(10 * SEC);
    expect((await fires(s.id)).map((f) => f.status)).toEqual(["started", "skipped"]);
  });
});

describe("catch-up after downtime", () => {
  it("skip: records one skipped fire for the missed time and plans the next future one", async () => {
    const s = await addSchedule({ every: "1m", catchup: "skip" });
    vi.setSystemTime(T0 + 10 * 60 * SEC + 5 * SEC); // ten missed fires
    await makeScheduler().start();
    await advance(0);
    const list = await fires(s.id);
    expect(list).toEqual([expect.objectContaining({ fireAt: T0 + 60 * SEC, status: "skipped", reason: expect.stringContaining("missed") })]);
    expect(await scheduleRuns()).toEqual([]);
    expect((await store.schedules.get(s.id))?.nextFireAt).toBe(T0 + 11 * 60 * SEC);
    await advance(55 * SEC);
    expect((await fires(s.id)).map((f) => f.status)).toEqual(["skipped", "succeeded"]);
  });

  it("once: fires the missed time once, now, and plans the next future one", async () => {
    const s = await addSchedule({ every: "1m", catchup: "once" });
    vi.setSystemTime(T0 + 10 * 60 * SEC + 5 * SEC);
    await makeScheduler().start();
    await advance(0);
    expect(await fires(s.id)).toEqual([expect.objectContaining({ fireAt: T0 + 60 * SEC, status: "succeeded" })]);
    expect(await scheduleRuns()).toHaveLength(1);
    expect((await store.schedules.get(s.id))?.nextFireAt).toBe(T0 + 11 * 60 * SEC);
  });

  it("a fire only a little late (within the grace) runs as planned", async () => {
    const s = await addSchedule({ every: "1m", catchup: "skip" });
    vi.setSystemTime(T0 + 90 * SEC);
    await makeScheduler().start();
    await advance(0);
    expect(await fires(s.id)).toEqual([expect.objectContaining({ fireAt: T0 + 60 * SEC, status: "succeeded" })]);
  });
});

describe("the lease", () => {
  it("losing the lease stops firing at once; the other process takes over with no fire missed or doubled", async () => {
    const s = await addSchedule({ every: "2s" });
    let renewOk = true;
    const flaky: Store = { ...store, leases: { ...store.leases, renew: async (...a) => (renewOk ? store.leases.renew(...a) : false) } };
    const a = makeScheduler({ store: flaky, holder: "a" });
    await a.start();
    const b = makeScheduler({ holder: "b" });
    await b.start();
    expect([a.status().leader, b.status().leader]).toEqual([true, false]);
    expect(b.status().holder).toBe("a");
    await advance(10 * SEC);
    // Someone else holds the lease now: a's next renewal fails and it stops firing.
    renewOk = false;
    await store.leases.release(SCHEDULER_LEASE, "a");
    await store.leases.acquire(SCHEDULER_LEASE, "b", 15_000);
    await advance(5 * SEC);
    expect(a.status().leader).toBe(false);
    await advance(30 * SEC);
    expect(b.status().leader).toBe(true);
    const times = await firedAt(s.id);
    expect(times).toEqual(Array.from({ length: times.length }, (_, i) => 2 * (i + 1)));
    expect(times.at(-1)).toBe(44);
    expect(new Set((await scheduleRuns()).map((r) => r.input)).size).toBe(1);
    expect(await scheduleRuns()).toHaveLength(times.length);
  });

  it("a holder that cannot renew steps down before its lease expires, and the next one catches up", async () => {
    const s = await addSchedule({ every: "2s" });
    let down = false;
    const failing: Store = {
      ...store,
      leases: { ...store.leases, renew: async (...a) => (down ? Promise.reject(new Error("connection lost")) : store.leases.renew(...a)) },
    };
    const a = makeScheduler({ store: failing, holder: "a" });
    await a.start();
    const b = makeScheduler({ holder: "b" });
    await b.start();
    await advance(6 * SEC);
    down = true;
    await advance(20 * SEC);
    expect(a.status().leader).toBe(false);
    expect(b.status().leader).toBe(true);
    await advance(4 * SEC);
    const times = await firedAt(s.id);
    expect(times).toEqual(Array.from({ length: 15 }, (_, i) => 2 * (i + 1)));
    expect(await scheduleRuns()).toHaveLength(15);
  });

  it("two schedulers that both believe they lead still fire each planned time once", async () => {
    const s = await addSchedule({ every: "2s", concurrency: "allow" });
    const always: Store = { ...store, leases: { ...store.leases, acquire: async () => true, renew: async () => true } };
    const a = makeScheduler({ store: always, holder: "a" });
    const b = makeScheduler({ store: always, holder: "b", dispatcher: makeDispatcher() });
    await Promise.all([a.start(), b.start()]);
    expect([a.status().leader, b.status().leader]).toEqual([true, true]);
    await advance(20 * SEC);
    expect(await firedAt(s.id)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(await scheduleRuns()).toHaveLength(10);
  });
});

describe("delivery", () => {
  const webhookFetch = (status = 200) => {
    const posts: Array<{ url: string; body: unknown }> = [];
    const fetch = (async (url: string, init: RequestInit) => {
      posts.push({ url, body: JSON.parse(String(init.body)) });
      return new Response(null, { status });
    }) as typeof globalThis.fetch;
    return { posts, fetch };
  };

  it("a chat target becomes the run's origin, so the reply path delivers it; the fire says sent", async () => {
    const s = await addSchedule({ at: new Date(T0 + 1 * SEC).toISOString(), deliver: "telegram:main:42" });
    await makeScheduler().start();
    await advance(1 * SEC);
    const [run] = await scheduleRuns();
    expect(run?.origin).toEqual({ channel: "telegram", account: "main", chatKind: "dm", chatId: "42" });
    expect(await fires(s.id)).toEqual([expect.objectContaining({ status: "succeeded", delivery: "sent" })]);
  });

  it("NO_REPLY sends nothing: no webhook POST, delivery none", async () => {
    model.reply = () => "NO_REPLY";
    const hook = webhookFetch();
    const s = await addSchedule({ at: new Date(T0 + 1 * SEC).toISOString(), deliver: "webhook:https://example.test/hook" });
    await makeScheduler({ fetch: hook.fetch }).start();
    await advance(1 * SEC);
    expect(hook.posts).toEqual([]);
    expect(await fires(s.id)).toEqual([expect.objectContaining({ status: "succeeded", delivery: "none" })]);
  });

  it("a webhook target gets one JSON POST with the result; a refused POST is recorded as failed", async () => {
    const hook = webhookFetch();
    const s = await addSchedule({ at: new Date(T0 + 1 * SEC).toISOString(), deliver: "webhook:https://example.test/hook" });
    await makeScheduler({ fetch: hook.fetch }).start();
    await advance(1 * SEC);
    const [fire] = await fires(s.id);
    expect(hook.posts).toEqual([{
      url: "https://example.test/hook",
      body: { schedule: { id: s.id, name: "job" }, fireAt: T0 + 1 * SEC, runId: fire?.runId, status: "succeeded", reply: "done", error: null },
    }]);
    expect(fire).toMatchObject({ delivery: "sent" });

    const refused = webhookFetch(404);
    const t = await addSchedule({ name: "other", at: new Date(T0 + 3 * SEC).toISOString(), deliver: "webhook:https://example.test/gone" });
    const second = makeScheduler({ fetch: refused.fetch, holder: "p2" });
    await schedulers[0]!.stop();
    await second.start();
    await advance(2 * SEC);
    expect(await fires(t.id)).toEqual([expect.objectContaining({ delivery: "failed", deliveryError: "HTTP 404 after 1 attempt(s)" })]);
  });

  it("a new leader delivers what a stopped process left pending", async () => {
    const hook = webhookFetch();
    const s = await addSchedule({ every: "1h", deliver: "webhook:https://example.test/hook" });
    await store.sessions.ensure({ key: "sess", agentId: "default", channel: "schedule" });
    await store.runs.create({ id: "run_old", sessionKey: "sess", agentId: "default", input: "check", trigger: "schedule" });
    await store.runs.update("run_old", { status: "succeeded", reply: "old answer", finishedAt: T0 });
    await store.schedules.recordFire({ scheduleId: s.id, fireAt: T0 - 10, status: "started", reason: undefined, runId: "run_old", sessionKey: "sess", delivery: "pending" });
    await makeScheduler({ fetch: hook.fetch }).start();
    await advance(0);
    expect(hook.posts.map((p) => p.body)).toEqual([expect.objectContaining({ runId: "run_old", reply: "old answer", fireAt: T0 - 10 })]);
    expect((await fires(s.id))[0]).toMatchObject({ status: "succeeded", delivery: "sent" });
  });
});

describe("runNow", () => {
  it("fires now on any process (no lease needed), by id or name; unknown names are an input error", async () => {
    const s = await addSchedule({ every: "1d" });
    const scheduler = makeScheduler();
    const result = await scheduler.runNow("job");
    expect(result).toEqual({ fireAt: T0, status: "started" });
    await advance(0);
    expect(await fires(s.id)).toEqual([expect.objectContaining({ fireAt: T0, status: "succeeded" })]);
    await expect(scheduler.runNow("nope")).rejects.toBeInstanceOf(InputError);
  });

  it("applies concurrency: forbid skips while the previous run goes on", async () => {
    model.hold = true;
    await addSchedule({ every: "1d" });
    const scheduler = makeScheduler();
    await scheduler.runNow("job");
    await advance(1);
    expect(await scheduler.runNow("job")).toMatchObject({ status: "skipped", reason: expect.stringContaining("forbid") });
  });

  it("records a fire for an agent no longer configured as failed, without a run", async () => {
    const s = await store.schedules.create({ ...buildSchedule({ name: "gone", every: "1d", message: "x", agent: "ghost" }, { now: T0, createdBy: "cli", knownAgent: () => true }) });
    const result = await makeScheduler().runNow(s.id);
    expect(result).toMatchObject({ status: "skipped", reason: expect.stringContaining('unknown agent "ghost"') });
    expect(await scheduleRuns()).toEqual([]);
  });
});

describe("heartbeats", () => {
  const runner = (agentId: string, every: number, ticks: number[]): HeartbeatRunner => ({
    agentId,
    nextTickAfter: (after) => (Math.floor((after - T0) / every) + 1) * every + T0,
    tick: async (fireAt) => {
      ticks.push(fireAt);
      return { status: "skipped", reason: "nothing to do" };
    },
  });

  it("ticks each heartbeat once per planned time, and a successor resumes after the last recorded tick", async () => {
    const ticks: number[] = [];
    const a = makeScheduler({ holder: "a", heartbeats: () => [runner("default", 60 * SEC, ticks)] });
    await a.start();
    await advance(120 * SEC);
    expect(ticks.map((t) => (t - T0) / SEC)).toEqual([60, 120]);
    expect(a.status().heartbeat).toMatchObject({ enabled: true, nextTickAt: T0 + 180 * SEC, lastTick: { at: T0 + 120 * SEC, status: "skipped", reason: "nothing to do" } });
    await a.stop();
    await advance(30 * SEC); // 150 s: nobody ticks
    const b = makeScheduler({ holder: "b", heartbeats: () => [runner("default", 60 * SEC, ticks)] });
    await b.start();
    await advance(40 * SEC);
    expect(ticks.map((t) => (t - T0) / SEC)).toEqual([60, 120, 180]);
    expect((await store.schedules.fires("heartbeat:default")).map((f) => f.status)).toEqual(["skipped", "skipped", "skipped"]);
  });
});
