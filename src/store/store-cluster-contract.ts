// Store contract cases for the cluster runtime's needs: run claims, transcript cleanup of a retried run,
// idempotent usage, leases and deliveries. Registered by describeStore, so every backend runs them.
import { describe, expect, it } from "vitest";
import type { UsageRecord } from "../core/domain.ts";
import type { Store } from "./store.ts";

export interface ClusterContractContext {
  /** The current case's store, migrated. */
  store: () => Store;
  /** Advances the faked clock by `ms`. */
  tick: (ms?: number) => void;
  /** The faked clock's start, epoch ms. */
  T0: number;
}

const many = <T>(n: number, f: (i: number) => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: n }, (_, i) => f(i)));

export function describeClusterContract({ store: current, tick, T0 }: ClusterContractContext): void {
  const ensure = (key: string) => current().sessions.ensure({ key, agentId: "main", channel: "telegram" });

  describe("runs.claim", () => {
    it("applies only from the given statuses, records the worker and counts attempts", async () => {
      const store = current();
      await ensure("s1");
      await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "hi" });
      const first = await store.runs.claim("r1", { from: ["pending"], worker: "w1", patch: { status: "running", startedAt: T0 + 5 } });
      expect(first).toMatchObject({ id: "r1", status: "running", worker: "w1", attempt: 1, startedAt: T0 + 5 });
      expect(await store.runs.claim("r1", { from: ["pending"], worker: "w2", patch: { status: "running" } })).toBeUndefined();
      // After a crash, another worker takes over the running run: the second attempt.
      expect(await store.runs.claim("r1", { from: ["pending", "running"], worker: "w2" })).toMatchObject({ worker: "w2", attempt: 2 });
      await store.runs.update("r1", { status: "succeeded" });
      expect(await store.runs.claim("r1", { from: ["pending", "running"], worker: "w3" })).toBeUndefined();
      expect(await store.runs.claim("missing", { from: ["pending"], worker: "w1" })).toBeUndefined();
      expect(await store.runs.claim("r1", { from: [], worker: "w1" })).toBeUndefined();
      expect(await store.runs.get("r1")).toMatchObject({ status: "succeeded", worker: "w2", attempt: 2 });
    });

    it("lets exactly one of 20 concurrent claims apply", async () => {
      const store = current();
      await ensure("s1");
      await store.runs.create({ id: "r1", sessionKey: "s1", agentId: "main", input: "hi" });
      const results = await many(20, (i) => store.runs.claim("r1", { from: ["pending"], worker: `w${i}`, patch: { status: "running" } }));
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(await store.runs.get("r1")).toMatchObject({ worker: winners[0]!.worker, attempt: 1 });
    });
  });

  describe("transcript.deleteRun", () => {
    it("drops a crashed attempt so the retry leaves the transcript as one clean attempt would", async () => {
      const store = current();
      await ensure("s1");
      await store.transcript.append("s1", "r0", [{ role: "user", content: "earlier" }, { role: "assistant", content: "ok" }]);
      // The crashed attempt: input, a tool call and its result, then nothing.
      await store.transcript.append("s1", "r1", [{ role: "user", content: "do it" }]);
      await store.transcript.append("s1", "r1", [{ role: "assistant", content: "calling" }, { role: "tool", content: "result" }]);
      expect(await store.transcript.deleteRun("r1")).toBe(3);
      // The retry appends exactly what a first attempt appends.
      await store.transcript.append("s1", "r1", [{ role: "user", content: "do it" }]);
      await store.transcript.append("s1", "r1", [{ role: "assistant", content: "done" }]);
      const rows = await store.transcript.list("s1");
      expect(rows.map((m) => [m.runId, m.role, m.content])).toEqual([
        ["r0", "user", "earlier"], ["r0", "assistant", "ok"], ["r1", "user", "do it"], ["r1", "assistant", "done"],
      ]);
      expect(await store.transcript.deleteRun("none")).toBe(0);
    });
  });

  describe("usage idempotency", () => {
    const usage = (over: Partial<UsageRecord>): UsageRecord => ({
      runId: "r1", sessionKey: "s1", agentId: "main", provider: "openai", model: "gpt-5",
      inputTokens: 100, outputTokens: 10, cachedTokens: 0, costUsd: 0.5, at: T0, ...over,
    });

    it("records a key once; entries without a key always count", async () => {
      const store = current();
      await store.usage.record(usage({ idempotencyKey: "r1:1:1" }));
      await store.usage.record(usage({ idempotencyKey: "r1:1:1", costUsd: 9 }));
      await Promise.all([store.usage.record(usage({ idempotencyKey: "r1:1:2" })), store.usage.record(usage({ idempotencyKey: "r1:1:2" }))]);
      await store.usage.record(usage({}));
      await store.usage.record(usage({}));
      expect(await store.usage.totals()).toEqual([
        { provider: "openai", model: "gpt-5", calls: 4, inputTokens: 400, outputTokens: 40, cachedTokens: 0, costUsd: 2 },
      ]);
    });
  });

  describe("leases", () => {
    it("is exclusive: exactly one of 20 concurrent acquirers wins", async () => {
      const store = current();
      const won = await many(20, (i) => store.leases.acquire("session:s1", `h${i}`, 30_000));
      expect(won.filter(Boolean)).toHaveLength(1);
      const holder = `h${won.indexOf(true)}`;
      expect(await store.leases.get("session:s1")).toEqual({ key: "session:s1", holder, acquiredAt: T0, expiresAt: T0 + 30_000 });
    });

    it("re-acquiring by the holder extends it; another holder gets it only once it expired", async () => {
      const store = current();
      expect(await store.leases.acquire("k", "h1", 1000)).toBe(true);
      tick(500);
      expect(await store.leases.acquire("k", "h1", 1000)).toBe(true);
      expect(await store.leases.get("k")).toMatchObject({ holder: "h1", acquiredAt: T0, expiresAt: T0 + 1500 });
      tick(999);
      expect(await store.leases.acquire("k", "h2", 1000)).toBe(false);
      tick(1);
      expect(await store.leases.acquire("k", "h2", 1000)).toBe(true);
      expect(await store.leases.get("k")).toEqual({ key: "k", holder: "h2", acquiredAt: T0 + 1500, expiresAt: T0 + 2500 });
      expect(await store.leases.get("other")).toBeUndefined();
    });

    it("renew extends for the holder and fails for anyone else or after a takeover", async () => {
      const store = current();
      await store.leases.acquire("k", "h1", 1000);
      tick(800);
      expect(await store.leases.renew("k", "h2", 1000)).toBe(false);
      expect(await store.leases.renew("k", "h1", 1000)).toBe(true);
      expect(await store.leases.get("k")).toMatchObject({ holder: "h1", expiresAt: T0 + 1800 });
      tick(1000);
      expect(await store.leases.acquire("k", "h2", 1000)).toBe(true);
      expect(await store.leases.renew("k", "h1", 1000)).toBe(false);
      expect(await store.leases.renew("missing", "h1", 1000)).toBe(false);
    });

    it("release by a non-holder is a no-op; by the holder it frees the key", async () => {
      const store = current();
      await store.leases.acquire("k", "h1", 60_000);
      await store.leases.release("k", "h2");
      expect(await store.leases.get("k")).toMatchObject({ holder: "h1" });
      await store.leases.release("k", "h1");
      expect(await store.leases.get("k")).toBeUndefined();
      expect(await store.leases.acquire("k", "h2", 60_000)).toBe(true);
    });
  });

  describe("deliveries", () => {
    it("claims a new key once; the same owner may claim again, others see the record", async () => {
      const store = current();
      const first = await store.deliveries.claim("r1:0", "w1");
      expect(first).toEqual({
        claimed: true,
        record: { key: "r1:0", owner: "w1", status: "claimed", attempts: 1, platformMessageId: undefined, error: undefined, createdAt: T0, updatedAt: T0 },
      });
      expect(await store.deliveries.claim("r1:0", "w2")).toEqual({ claimed: false, record: first.record });
      tick();
      expect(await store.deliveries.claim("r1:0", "w1")).toMatchObject({ claimed: true, record: { attempts: 2, updatedAt: T0 + 1000 } });
      expect(await store.deliveries.get("missing")).toBeUndefined();
    });

    it("a sent delivery is never claimed again", async () => {
      const store = current();
      await store.deliveries.claim("r1:0", "w1");
      await store.deliveries.complete("r1:0", { platformMessageId: "tg-42" });
      const again = await store.deliveries.claim("r1:0", "w1");
      expect(again).toMatchObject({ claimed: false, record: { status: "sent", platformMessageId: "tg-42", owner: "w1" } });
    });

    it("a retryable failure may be claimed again; a permanent one may not", async () => {
      const store = current();
      await store.deliveries.claim("r1:0", "w1");
      await store.deliveries.fail("r1:0", { error: "429 too many requests", permanent: false });
      expect(await store.deliveries.get("r1:0")).toMatchObject({ status: "retryable", error: "429 too many requests" });
      expect(await store.deliveries.claim("r1:0", "w2")).toMatchObject({ claimed: true, record: { owner: "w2", status: "claimed", attempts: 2 } });
      await store.deliveries.fail("r1:0", { error: "chat not found", permanent: true });
      expect(await store.deliveries.claim("r1:0", "w3")).toMatchObject({ claimed: false, record: { status: "failed", error: "chat not found", owner: "w2" } });
    });

    it("lets exactly one of 20 concurrent owners claim", async () => {
      const store = current();
      const results = await many(20, (i) => store.deliveries.claim("r1:0", `w${i}`));
      const winners = results.filter((r) => r.claimed);
      expect(winners).toHaveLength(1);
      expect(results.every((r) => r.record.owner === winners[0]!.record.owner)).toBe(true);
    });
  });
}
