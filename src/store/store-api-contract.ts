// Store contract cases for what the HTTP API and Control UI read: run and audit filters with keyset paging, a run's
// transcript, per-run counts and usage in time buckets. Registered by describeStore, so every backend runs them.
import { describe, expect, it } from "vitest";
import type { AuditRecord, UsageRecord } from "../core/domain.ts";
import type { Store } from "./store.ts";
import type { ClusterContractContext } from "./store-cluster-contract.ts";

const HOUR = 3_600_000;

export function describeApiContract({ store: current, T0 }: ClusterContractContext): void {
  const ensure = (store: Store, key: string, channel = "telegram") => store.sessions.ensure({ key, agentId: "main", channel });

  describe("runs: filters and paging", () => {
    const seed = async (store: Store): Promise<void> => {
      await ensure(store, "s1");
      await ensure(store, "s2");
      const runs = [
        { id: "r1", sessionKey: "s1", agentId: "main", createdAt: T0 },
        { id: "r2", sessionKey: "s1", agentId: "helper", createdAt: T0 + HOUR },
        { id: "r3", sessionKey: "s2", agentId: "main", createdAt: T0 + HOUR },
        { id: "r4", sessionKey: "s2", agentId: "main", createdAt: T0 + 2 * HOUR },
      ];
      for (const r of runs) await store.runs.create({ ...r, input: r.id });
      await store.runs.update("r1", { status: "succeeded", model: "openai/gpt-5" });
      await store.runs.update("r2", { status: "failed", model: "openai/gpt-5", errorCode: "timeout", error: "slow" });
      await store.runs.update("r3", { status: "failed", model: "anthropic/claude", errorCode: "auth_failed", error: "401" });
    };
    const ids = async (store: Store, opts: Parameters<Store["runs"]["list"]>[0]) => (await store.runs.list(opts)).map((r) => r.id);

    it("filters by agent, model, error code and a created-at window [since, until)", async () => {
      const store = current();
      await seed(store);
      expect(await ids(store, { agentId: "main" })).toEqual(["r4", "r3", "r1"]);
      expect(await ids(store, { model: "openai/gpt-5" })).toEqual(["r2", "r1"]);
      expect(await ids(store, { errorCode: "timeout" })).toEqual(["r2"]);
      expect(await ids(store, { since: T0 + HOUR })).toEqual(["r4", "r3", "r2"]);
      expect(await ids(store, { until: T0 + HOUR })).toEqual(["r1"]);
      expect(await ids(store, { since: T0 + HOUR, until: T0 + 2 * HOUR, status: ["failed"], sessionKey: "s2" })).toEqual(["r3"]);
    });

    it("pages with `before`: runs created at the same time are split by id, and an unknown cursor lists nothing", async () => {
      const store = current();
      await seed(store);
      const first = await ids(store, { limit: 2 });
      expect(first).toEqual(["r4", "r3"]);
      const second = await ids(store, { limit: 2, before: first.at(-1)! });
      expect(second).toEqual(["r2", "r1"]);
      expect(await ids(store, { before: "r1" })).toEqual([]);
      expect(await ids(store, { before: "no-such-run" })).toEqual([]);
      expect(await ids(store, { before: "r4", agentId: "main" })).toEqual(["r3", "r1"]);
    });
  });

  describe("transcript of one run", () => {
    it("lists the messages appended under a run, oldest first, and nothing of other runs or sessions", async () => {
      const store = current();
      await ensure(store, "s1");
      await ensure(store, "s2");
      await store.transcript.append("s1", "r1", [{ role: "user", content: "a" }, { role: "assistant", content: "b" }]);
      await store.transcript.append("s1", "r2", [{ role: "user", content: "c" }]);
      await store.transcript.append("s1", "r1", [{ role: "tool", content: "d" }]);
      await store.transcript.append("s2", "r1", [{ role: "user", content: "other session" }]);
      expect((await store.transcript.listRun("s1", "r1")).map((m) => m.content)).toEqual(["a", "b", "d"]);
      expect(await store.transcript.listRun("s1", "missing")).toEqual([]);
    });
  });

  describe("audit: filters, paging and counts", () => {
    const audit = (over: Partial<AuditRecord>): AuditRecord => ({
      at: T0, kind: "tool.call", decision: "allow", runId: "r1", sessionKey: "s1", tool: "read", reason: undefined, detail: undefined, ...over,
    });

    it("filters by tool, decision and time, and pages with `before` through records written at the same time", async () => {
      const store = current();
      await store.audit.write(audit({}));
      await store.audit.write(audit({ tool: "exec", decision: "deny" }));
      await store.audit.write(audit({ at: T0 + HOUR, tool: "exec" }));
      await store.audit.write(audit({ at: T0 + 2 * HOUR, kind: "config.reload", decision: "info", runId: undefined, tool: undefined }));
      const all = await store.audit.list();
      expect(all.map((a) => [a.kind, a.tool, a.decision])).toEqual([
        ["config.reload", undefined, "info"], ["tool.call", "exec", "allow"], ["tool.call", "exec", "deny"], ["tool.call", "read", "allow"],
      ]);
      expect((await store.audit.list({ tool: "exec" })).map((a) => a.decision)).toEqual(["allow", "deny"]);
      expect((await store.audit.list({ decision: "deny" })).map((a) => a.tool)).toEqual(["exec"]);
      expect((await store.audit.list({ since: T0 + HOUR, until: T0 + 2 * HOUR })).map((a) => a.at)).toEqual([T0 + HOUR]);
      const page1 = await store.audit.list({ limit: 3 });
      const page2 = await store.audit.list({ limit: 3, before: page1.at(-1)!.id! });
      expect([...page1, ...page2].map((a) => a.id)).toEqual(all.map((a) => a.id));
      expect(await store.audit.list({ before: 999_999 })).toEqual([]);
    });

    it("counts records of a kind per run", async () => {
      const store = current();
      await store.audit.write(audit({}));
      await store.audit.write(audit({}));
      await store.audit.write(audit({ runId: "r2" }));
      await store.audit.write(audit({ runId: "r2", kind: "run.interrupted" }));
      await store.audit.write(audit({ runId: "r3" }));
      expect(await store.audit.countPerRun("tool.call", ["r1", "r2", "none"])).toEqual(new Map([["r1", 2], ["r2", 1]]));
      expect(await store.audit.countPerRun("tool.call", [])).toEqual(new Map());
    });
  });

  describe("usage buckets", () => {
    const usage = (over: Partial<UsageRecord>): UsageRecord => ({
      runId: "r1", sessionKey: "s1", agentId: "main", provider: "openai", model: "gpt-5",
      inputTokens: 100, outputTokens: 10, cachedTokens: 1, costUsd: 0.25, at: T0, ...over,
    });

    it("sums per bucket and model, provider, agent or channel, in [since, until)", async () => {
      const store = current();
      await ensure(store, "s1", "telegram");
      await ensure(store, "s2", "slack");
      await store.usage.record(usage({ at: T0 + 10 }));
      await store.usage.record(usage({ at: T0 + HOUR - 1, costUsd: 0.5 }));
      await store.usage.record(usage({ at: T0 + HOUR, provider: "anthropic", model: "claude", sessionKey: "s2", agentId: "helper" }));
      await store.usage.record(usage({ at: T0 + HOUR + 5, sessionKey: undefined, agentId: undefined }));
      await store.usage.record(usage({ at: T0 + 3 * HOUR }));
      const opts = { since: T0, until: T0 + 3 * HOUR, bucketMs: HOUR };
      expect(await store.usage.buckets({ ...opts, by: "model" })).toEqual([
        { at: T0, key: "openai/gpt-5", calls: 2, inputTokens: 200, outputTokens: 20, cachedTokens: 2, costUsd: 0.75 },
        { at: T0 + HOUR, key: "anthropic/claude", calls: 1, inputTokens: 100, outputTokens: 10, cachedTokens: 1, costUsd: 0.25 },
        { at: T0 + HOUR, key: "openai/gpt-5", calls: 1, inputTokens: 100, outputTokens: 10, cachedTokens: 1, costUsd: 0.25 },
      ]);
      const keys = async (by: "provider" | "agent" | "channel") => (await store.usage.buckets({ ...opts, by })).map((b) => `${b.at - T0}:${b.key}:${b.calls}`);
      expect(await keys("provider")).toEqual([`0:openai:2`, `${HOUR}:anthropic:1`, `${HOUR}:openai:1`]);
      expect(await keys("agent")).toEqual([`0:main:2`, `${HOUR}::1`, `${HOUR}:helper:1`]);
      expect(await keys("channel")).toEqual([`0:telegram:2`, `${HOUR}::1`, `${HOUR}:slack:1`]);
      expect(await store.usage.buckets({ since: T0 + 4 * HOUR, until: T0 + 5 * HOUR, bucketMs: HOUR, by: "model" })).toEqual([]);
    });

    it("buckets by whole quarter hours from `since`, whatever its value", async () => {
      const store = current();
      const since = T0 + 7 * 60_000; // 00:07
      await store.usage.record(usage({ at: since + 14 * 60_000 }));
      await store.usage.record(usage({ at: since + 15 * 60_000 }));
      const buckets = await store.usage.buckets({ since, until: since + HOUR, bucketMs: 15 * 60_000, by: "model" });
      expect(buckets.map((b) => b.at - since)).toEqual([0, 15 * 60_000]);
    });
  });
}
