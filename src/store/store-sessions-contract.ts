// Store contract cases for the Control UI's sessions list: per-session message counts and usage totals, read for a
// page of sessions at once. Registered by describeStore, so every backend runs them.
import { describe, expect, it } from "vitest";
import type { UsageRecord } from "../core/domain.ts";
import type { ClusterContractContext } from "./store-cluster-contract.ts";

export function describeSessionStatsContract({ store: current, T0 }: ClusterContractContext): void {
  describe("per-session counts and totals", () => {
    const usage = (over: Partial<UsageRecord>): UsageRecord => ({
      runId: "r1", sessionKey: "s1", agentId: "main", provider: "openai", model: "gpt-4o-mini",
      inputTokens: 100, outputTokens: 10, cachedTokens: 1, costUsd: 0.25, at: T0, ...over,
    });

    it("counts transcript messages per session, leaving out sessions without any", async () => {
      const store = current();
      for (const key of ["s1", "s2", "s3"]) await store.sessions.ensure({ key, agentId: "main", channel: "webchat" });
      await store.transcript.append("s1", "r1", [{ role: "user", content: "a" }, { role: "assistant", content: "b" }]);
      await store.transcript.append("s1", "r2", [{ role: "user", content: "c" }]);
      await store.transcript.append("s2", "r3", [{ role: "user", content: "d" }]);
      expect(await store.transcript.countPerSession(["s1", "s2", "s3", "missing"])).toEqual(new Map([["s1", 3], ["s2", 1]]));
      expect(await store.transcript.countPerSession(["s2"])).toEqual(new Map([["s2", 1]]));
      expect(await store.transcript.countPerSession([])).toEqual(new Map());
    });

    it("sums usage per session across models, leaving out sessions without usage", async () => {
      const store = current();
      await store.usage.record(usage({}));
      await store.usage.record(usage({ model: "gpt-4.1", costUsd: 0.5, at: T0 + 1 }));
      await store.usage.record(usage({ sessionKey: "s2", inputTokens: 7, outputTokens: 3, cachedTokens: 0, costUsd: 0, at: T0 + 2 }));
      await store.usage.record(usage({ sessionKey: undefined, at: T0 + 3 }));
      expect(await store.usage.totalsPerSession(["s1", "s2", "s3"])).toEqual(new Map([
        ["s1", { inputTokens: 200, outputTokens: 20, cachedTokens: 2, costUsd: 0.75 }],
        ["s2", { inputTokens: 7, outputTokens: 3, cachedTokens: 0, costUsd: 0 }],
      ]));
      expect(await store.usage.totalsPerSession([])).toEqual(new Map());
    });
  });
}
