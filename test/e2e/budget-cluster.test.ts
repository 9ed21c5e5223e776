// Budgets on the cluster runtime: a control gateway and two workers (4 runs each) on real NATS JetStream and
// PostgreSQL race 40 turns against one instance budget. A check and the usage it reads are not one transaction, so
// calls that pass the check while others are still in flight overshoot the limit: at most the calls in flight
// (workers × concurrency). The test measures the overshoot and asserts that bound.
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { fakeProviderConfig, startGatewayProcess, startWorkerProcess, TEST_GATEWAY_TOKEN, useCliFixture } from "./harness.ts";
import { missingClusterServices, NATS_URL, PG_URL, removeInstances } from "./cluster-kit.ts";

const WORKERS = 2;
const CONCURRENCY = 4;
const TURNS = 40;
const TOKENS_PER_CALL = 15; // the fake's default usage: 10 in, 5 out
const LIMIT = 150; // 10 calls when made one at a time
const CALL_MS = 400;

const fx = useCliFixture();
const instance = `e2ebud${randomBytes(4).toString("hex")}`;
const missing = await missingClusterServices();

afterAll(async () => {
  if (missing) return;
  await removeInstances([instance]);
});

describe.skipIf(missing !== undefined)("budgets on the cluster runtime (NATS JetStream + PostgreSQL)", () => {
  it("two workers racing at the limit overshoot it by at most the calls in flight", async () => {
    const budgets = ["budgets:", `  - { scope: instance, max_tokens: ${LIMIT}, action: block }`].join("\n");
    const home = await fx.home(`${fakeProviderConfig(fx.fake.baseURL)}\n${budgets}`);
    const arrivals: number[] = [];
    fx.fake.setFallback(() => {
      arrivals.push(performance.now());
      return { text: "ok", delayMs: CALL_MS };
    });
    const env = { PINCER_BUS_URL: NATS_URL, PINCER_STORE_URL: PG_URL, PINCER_INSTANCE: instance, PINCER__BUS__ACK_WAIT_MS: "10000", PINCER_LOG_LEVEL: "warn" };
    const gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env });
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorkerProcess(home, { env, args: ["--concurrency", String(CONCURRENCY)] })));
    try {
      const before = fx.fake.requests.length;
      const statuses = await Promise.all(Array.from({ length: TURNS }, async (_, i) => {
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${gw.token}`, "x-pincer-session": `race-${i}` },
          body: JSON.stringify({ model: "pincer", messages: [{ role: "user", content: `turn ${i}` }] }),
        });
        const body = (await res.json()) as { error?: { code?: string } };
        return res.status === 200 ? "ok" : `${res.status} ${body.error?.code ?? ""}`;
      }));
      const passed = fx.fake.requests.length - before;
      const allowed = Math.ceil(LIMIT / TOKENS_PER_CALL);
      const overshoot = passed - allowed;
      // About how many calls the fake held at once (arrivals within one call's duration), for the log only: timing-based.
      const peak = Math.max(...arrivals.map((t) => arrivals.filter((u) => u <= t && u > t - CALL_MS).length));
      console.info(`budget race: ${passed} calls passed the check for a limit of ${allowed} (overshoot ${overshoot}); peak ${peak} calls in flight; bound ${WORKERS * CONCURRENCY}`);

      expect(statuses.filter((s) => s === "ok")).toHaveLength(passed);
      expect(statuses.filter((s) => s !== "ok").every((s) => s === "429 budget_exceeded")).toBe(true);
      expect(passed).toBeGreaterThanOrEqual(allowed);
      expect(overshoot).toBeLessThanOrEqual(WORKERS * CONCURRENCY);
    } finally {
      for (const w of workers) w.child.kill("SIGTERM");
      gw.child.kill("SIGTERM");
      await Promise.all([...workers.map((w) => w.exited), gw.exited]);
    }
  }, 180_000);
});
