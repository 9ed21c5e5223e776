// Store contract cases for schedules and their fires (the scheduler's state, shared by every process), and for the
// usage ledger's spend sums (budgets). Registered by describeStore, so every backend runs them.
import { describe, expect, it } from "vitest";
import type { Schedule, UsageRecord } from "../core/domain.ts";
import type { ClusterContractContext } from "./store-cluster-contract.ts";
import { ScheduleNameTaken } from "./store.ts";

type NewSchedule = Parameters<import("./store.ts").ScheduleRepo["create"]>[0];

export function describeSchedulesContract({ store: current, tick, T0 }: ClusterContractContext): void {
  const schedule = (over: Partial<NewSchedule> = {}): NewSchedule => ({
    id: "sch1", name: "morning", kind: "cron", expr: "0 8 * * *", tz: "Europe/Paris", message: "brief me", agentId: "main",
    session: "isolated", deliver: "none", concurrency: "forbid", catchup: "skip", suspended: false, createdBy: "cli",
    nextFireAt: T0 + 60_000, ...over,
  });
  const fire = (over: { scheduleId?: string; fireAt?: number; status?: "started" | "skipped"; delivery?: "none" | "pending" } = {}) => ({
    scheduleId: "sch1", fireAt: T0 + 60_000, status: "started" as const, reason: undefined, runId: undefined, sessionKey: undefined,
    delivery: "none" as const, ...over,
  });

  describe("schedules", () => {
    it("creates a schedule with its times and reads it back by id and by name", async () => {
      const store = current();
      const created = await store.schedules.create(schedule());
      const expected: Schedule = {
        id: "sch1", name: "morning", kind: "cron", expr: "0 8 * * *", tz: "Europe/Paris", message: "brief me", agentId: "main",
        session: "isolated", deliver: "none", concurrency: "forbid", catchup: "skip", suspended: false, createdBy: "cli",
        createdAt: T0, updatedAt: T0, nextFireAt: T0 + 60_000, lastFireAt: undefined,
      };
      expect(created).toEqual(expected);
      expect(await store.schedules.get("sch1")).toEqual(expected);
      expect(await store.schedules.get("morning")).toEqual(expected);
      expect(await store.schedules.get("nope")).toBeUndefined();
    });

    it("keeps an explicit creation time and optional fields absent", async () => {
      const store = current();
      const created = await store.schedules.create(schedule({ createdAt: T0 - 5_000, tz: undefined, nextFireAt: undefined }));
      expect(created).toMatchObject({ createdAt: T0 - 5_000, updatedAt: T0 - 5_000, tz: undefined, nextFireAt: undefined });
    });

    it("refuses a second schedule with a name in use, also when created at the same time", async () => {
      const store = current();
      await store.schedules.create(schedule());
      await expect(store.schedules.create(schedule({ id: "sch2" }))).rejects.toBeInstanceOf(ScheduleNameTaken);
      const raced = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => store.schedules.create(schedule({ id: `r${i}`, name: "raced" }))));
      expect(raced.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of raced) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ScheduleNameTaken);
      expect((await store.schedules.list()).map((s) => s.name)).toEqual(["morning", "raced"]);
    });

    it("prefers an id over a name when a name looks like another schedule's id", async () => {
      const store = current();
      await store.schedules.create(schedule({ id: "sch1", name: "first" }));
      await store.schedules.create(schedule({ id: "sch2", name: "sch1" }));
      expect((await store.schedules.get("sch1"))?.name).toBe("first");
    });

    it("lists by name, narrowed to one creator", async () => {
      const store = current();
      await store.schedules.create(schedule({ id: "a", name: "zeta", createdBy: "tool:agent:main:telegram:dm:1" }));
      await store.schedules.create(schedule({ id: "b", name: "alpha", createdBy: "cli" }));
      await store.schedules.create(schedule({ id: "c", name: "mid", createdBy: "tool:agent:main:telegram:dm:1" }));
      expect((await store.schedules.list()).map((s) => s.name)).toEqual(["alpha", "mid", "zeta"]);
      expect((await store.schedules.list({ createdBy: "tool:agent:main:telegram:dm:1" })).map((s) => s.id)).toEqual(["c", "a"]);
      expect(await store.schedules.list({ createdBy: "api" })).toEqual([]);
    });

    it("updates the given fields and updatedAt, clears optional ones, renames", async () => {
      const store = current();
      await store.schedules.create(schedule());
      tick(1000);
      const updated = await store.schedules.update("sch1", { message: "later", suspended: true, tz: undefined, nextFireAt: undefined, lastFireAt: T0 + 5 });
      expect(updated).toMatchObject({ message: "later", suspended: true, tz: undefined, nextFireAt: undefined, lastFireAt: T0 + 5, createdAt: T0, updatedAt: T0 + 1000, expr: "0 8 * * *" });
      expect(await store.schedules.get("sch1")).toEqual(updated);
      const renamed = await store.schedules.update("sch1", { name: "evening" });
      expect(renamed?.name).toBe("evening");
      expect(await store.schedules.get("morning")).toBeUndefined();
      // Renaming to its own name is no conflict.
      expect((await store.schedules.update("sch1", { name: "evening" }))?.name).toBe("evening");
      expect(await store.schedules.update("missing", { message: "x" })).toBeUndefined();
    });

    it("refuses a rename to a name in use and leaves both schedules as they were", async () => {
      const store = current();
      await store.schedules.create(schedule());
      await store.schedules.create(schedule({ id: "sch2", name: "other" }));
      await expect(store.schedules.update("sch2", { name: "morning", message: "x" })).rejects.toBeInstanceOf(ScheduleNameTaken);
      expect(await store.schedules.get("sch2")).toMatchObject({ name: "other", message: "brief me" });
    });

    it("removes a schedule with its fires, and only its own", async () => {
      const store = current();
      await store.schedules.create(schedule());
      await store.schedules.create(schedule({ id: "sch2", name: "other" }));
      await store.schedules.recordFire(fire());
      await store.schedules.recordFire(fire({ scheduleId: "sch2" }));
      expect(await store.schedules.remove("sch1")).toBe(true);
      expect(await store.schedules.remove("sch1")).toBe(false);
      expect(await store.schedules.get("sch1")).toBeUndefined();
      expect(await store.schedules.fires("sch1")).toEqual([]);
      expect(await store.schedules.fires("sch2")).toHaveLength(1);
      // A fire recorded again after the removal is a new one.
      expect(await store.schedules.recordFire(fire())).toBe(true);
    });

    it("lists due schedules soonest first and the next due time, leaving out suspended and finished ones", async () => {
      const store = current();
      await store.schedules.create(schedule({ id: "late", name: "late", nextFireAt: T0 + 30 }));
      await store.schedules.create(schedule({ id: "soon", name: "soon", nextFireAt: T0 + 10 }));
      await store.schedules.create(schedule({ id: "paused", name: "paused", nextFireAt: T0 + 1, suspended: true }));
      await store.schedules.create(schedule({ id: "done", name: "done", kind: "at", nextFireAt: undefined }));
      await store.schedules.create(schedule({ id: "future", name: "future", nextFireAt: T0 + 10_000 }));
      expect((await store.schedules.due(T0 + 30)).map((s) => s.id)).toEqual(["soon", "late"]);
      expect(await store.schedules.due(T0)).toEqual([]);
      expect(await store.schedules.nextDue()).toBe(T0 + 10);
      await store.schedules.update("paused", { suspended: false });
      expect(await store.schedules.nextDue()).toBe(T0 + 1);
      expect((await store.schedules.due(T0 + 30)).map((s) => s.id)).toEqual(["paused", "soon", "late"]);
    });

    it("has no next due time without an active schedule", async () => {
      const store = current();
      expect(await store.schedules.nextDue()).toBeUndefined();
      await store.schedules.create(schedule({ suspended: true }));
      expect(await store.schedules.nextDue()).toBeUndefined();
    });
  });

  describe("schedule fires", () => {
    it("records a fire once per schedule and planned time", async () => {
      const store = current();
      expect(await store.schedules.recordFire(fire())).toBe(true);
      expect(await store.schedules.recordFire(fire({ status: "skipped" }))).toBe(false);
      expect(await store.schedules.recordFire(fire({ fireAt: T0 + 120_000 }))).toBe(true);
      expect(await store.schedules.recordFire(fire({ scheduleId: "heartbeat:main" }))).toBe(true);
      expect(await store.schedules.fires("sch1")).toEqual([
        { scheduleId: "sch1", fireAt: T0 + 120_000, status: "started", reason: undefined, runId: undefined, sessionKey: undefined, createdAt: T0, finishedAt: undefined, delivery: "none", deliveryError: undefined },
        { scheduleId: "sch1", fireAt: T0 + 60_000, status: "started", reason: undefined, runId: undefined, sessionKey: undefined, createdAt: T0, finishedAt: undefined, delivery: "none", deliveryError: undefined },
      ]);
    });

    it("of ten schedulers racing for one fire exactly one records it", async () => {
      const store = current();
      const won = await Promise.all(Array.from({ length: 10 }, (_, i) => store.schedules.recordFire({ ...fire(), runId: `run${i}` })));
      expect(won.filter(Boolean)).toHaveLength(1);
      const fires = await store.schedules.fires("sch1");
      expect(fires).toHaveLength(1);
      expect(fires[0]?.runId).toBe(`run${won.indexOf(true)}`);
    });

    it("updates a fire's outcome and delivery, clearing what is given as undefined", async () => {
      const store = current();
      await store.schedules.recordFire({ ...fire({ delivery: "pending" }), reason: "x" });
      await store.schedules.updateFire("sch1", T0 + 60_000, { status: "succeeded", runId: "r1", sessionKey: "agent:main:schedule:dm:sch1/1", finishedAt: T0 + 5, reason: undefined });
      await store.schedules.updateFire("sch1", T0 + 60_000, { delivery: "failed", deliveryError: "HTTP 500" });
      await store.schedules.updateFire("sch1", T0 + 60_000, {});
      await store.schedules.updateFire("sch1", T0 + 99, { status: "failed" }); // no such fire: nothing happens
      expect(await store.schedules.fires("sch1")).toEqual([{
        scheduleId: "sch1", fireAt: T0 + 60_000, status: "succeeded", reason: undefined, runId: "r1", sessionKey: "agent:main:schedule:dm:sch1/1",
        createdAt: T0, finishedAt: T0 + 5, delivery: "failed", deliveryError: "HTTP 500",
      }]);
    });

    it("pages fires newest first", async () => {
      const store = current();
      for (let i = 1; i <= 5; i++) await store.schedules.recordFire(fire({ fireAt: T0 + i * 1000 }));
      const at = (list: Array<{ fireAt: number }>) => list.map((f) => f.fireAt - T0);
      expect(at(await store.schedules.fires("sch1", { limit: 2 }))).toEqual([5000, 4000]);
      expect(at(await store.schedules.fires("sch1", { limit: 2, before: T0 + 4000 }))).toEqual([3000, 2000]);
      expect(at(await store.schedules.fires("sch1", { before: T0 + 2000 }))).toEqual([1000]);
      expect(await store.schedules.fires("other")).toEqual([]);
    });

    it("lists pending deliveries of every schedule, oldest first, until they are settled", async () => {
      const store = current();
      await store.schedules.recordFire(fire({ fireAt: T0 + 1, delivery: "pending" }));
      tick(10);
      await store.schedules.recordFire(fire({ scheduleId: "sch2", fireAt: T0 + 2, delivery: "pending" }));
      tick(10);
      await store.schedules.recordFire(fire({ fireAt: T0 + 3, delivery: "none" }));
      await store.schedules.recordFire(fire({ fireAt: T0 + 4, delivery: "pending" }));
      expect((await store.schedules.pendingDeliveries()).map((f) => [f.scheduleId, f.fireAt - T0])).toEqual([["sch1", 1], ["sch2", 2], ["sch1", 4]]);
      expect(await store.schedules.pendingDeliveries(1)).toHaveLength(1);
      await store.schedules.updateFire("sch1", T0 + 1, { delivery: "sent" });
      await store.schedules.updateFire("sch2", T0 + 2, { delivery: "failed", deliveryError: "HTTP 404" });
      expect((await store.schedules.pendingDeliveries()).map((f) => f.fireAt - T0)).toEqual([4]);
    });
  });

  describe("usage spend", () => {
    const usage = (over: Partial<UsageRecord>): UsageRecord => ({
      runId: "r1", sessionKey: "s1", agentId: "main", provider: "openai", model: "gpt-4o-mini",
      inputTokens: 100, outputTokens: 10, cachedTokens: 50, costUsd: 0.25, at: T0, sender: "telegram:42", ...over,
    });

    it("sums tokens, cost and calls in a window, narrowed by agent, session and sender", async () => {
      const store = current();
      await store.usage.record(usage({}));
      await store.usage.record(usage({ at: T0 + 10, agentId: "ops", sessionKey: "s2", sender: "slack:U1", costUsd: 0.5 }));
      await store.usage.record(usage({ at: T0 + 20, costUsd: 0, model: "local" }));
      await store.usage.record(usage({ at: T0 + 30, sessionKey: undefined, agentId: undefined, sender: undefined, inputTokens: 1, outputTokens: 1 }));
      await store.usage.record(usage({ at: T0 - 1 }));
      expect(await store.usage.spend({ since: T0 })).toEqual({ tokens: 332, costUsd: 1, calls: 4, unpricedCalls: 1 });
      expect(await store.usage.spend({ since: T0, until: T0 + 20 })).toEqual({ tokens: 220, costUsd: 0.75, calls: 2, unpricedCalls: 0 });
      expect(await store.usage.spend({ since: T0, agentId: "main" })).toEqual({ tokens: 220, costUsd: 0.25, calls: 2, unpricedCalls: 1 });
      expect(await store.usage.spend({ since: T0, sessionKey: "s2" })).toEqual({ tokens: 110, costUsd: 0.5, calls: 1, unpricedCalls: 0 });
      expect(await store.usage.spend({ since: T0, sender: "telegram:42" })).toEqual({ tokens: 220, costUsd: 0.25, calls: 2, unpricedCalls: 1 });
      expect(await store.usage.spend({ since: T0, agentId: "main", sender: "slack:U1" })).toEqual({ tokens: 0, costUsd: 0, calls: 0, unpricedCalls: 0 });
      expect(await store.usage.spend({ since: T0 + 1000 })).toEqual({ tokens: 0, costUsd: 0, calls: 0, unpricedCalls: 0 });
    });
  });
}
