// Schedules on the cluster runtime as real processes on NATS JetStream and PostgreSQL: two control gateways and a
// worker. One control holds the scheduler lease and fires; killed with SIGKILL while its fire's run is in flight, the
// other takes the lease over once it expires, follows that run to its end and fires the next time: every planned time
// runs exactly once.
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { SCHEDULER_LEASE } from "../../src/automation/automation.ts";
import { buildSchedule } from "../../src/automation/schedule-input.ts";
import { defaultPostgresSchema, openPostgresStore } from "../../src/store/index.ts";
import type { Store } from "../../src/store/store.ts";
import { missingClusterServices, NATS_URL, PG_URL, removeInstances } from "./cluster-kit.ts";
import { fakeProviderConfig, startGatewayProcess, startWorkerProcess, TEST_GATEWAY_TOKEN, until, useCliFixture, type GatewayProcess, type WorkerProcess } from "./harness.ts";

const fx = useCliFixture();
const missing = await missingClusterServices();
const instance = `sch${randomBytes(4).toString("hex")}`;
const INTERVAL = 15_000;

describe.skipIf(missing !== undefined)("schedules on the cluster runtime", () => {
  const procs: Array<GatewayProcess | WorkerProcess> = [];
  let store: Store | undefined;

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.exited));
    await store?.close();
    await removeInstances([instance]);
  }, 60_000);

  it("killing the lease holder moves firing to the other control process: no fire twice, none missed", async () => {
    fx.fake.setFallback(() => ({ text: "tick done", delayMs: 3_000 }));
    const env = { PINCER_BUS_URL: NATS_URL, PINCER_STORE_URL: PG_URL, PINCER_INSTANCE: instance, PINCER__BUS__ACK_WAIT_MS: "2000", PINCER_LOG_LEVEL: "warn" };
    const config = fakeProviderConfig(fx.fake.baseURL);
    const [a, b, worker] = await Promise.all([
      fx.home(config).then((h) => startGatewayProcess(h, TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env })),
      fx.home(config).then((h) => startGatewayProcess(h, TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env })),
      fx.home(config).then((h) => startWorkerProcess(h, { env })),
    ]);
    procs.push(a, b, worker);
    store = await openPostgresStore({ url: PG_URL, schema: defaultPostgresSchema(instance), migrate: false });
    const s = store;

    const schedule = await s.schedules.create(buildSchedule({ name: "tick", every: "15s", message: "tick", concurrency: "allow" }, { now: Date.now(), createdBy: "cli", knownAgent: () => true }));
    const first = schedule.createdAt + INTERVAL;
    // The first fire is recorded and its run is on the worker (the model takes 3 s): kill whoever fired it.
    await until("the first fire", async () => (await s.schedules.fires(schedule.id)).find((f) => f.fireAt === first && f.runId !== undefined), 30_000);
    const lease = await s.leases.get(SCHEDULER_LEASE);
    const holder = [a, b].find((g) => lease?.holder.split(":")[1] === String(g.child.pid));
    expect(holder).toBeDefined();
    const survivor = holder === a ? b : a;
    holder!.child.kill("SIGKILL");
    await holder!.exited;

    // The survivor takes the lease over (at most its 15 s time to live plus one 5 s poll), follows the orphaned run to
    // its end and fires the next planned time.
    await until("the next fire after the takeover to finish", async () =>
      (await s.schedules.fires(schedule.id)).some((f) => f.fireAt === first + INTERVAL && f.status === "succeeded"), 60_000);
    expect((await s.leases.get(SCHEDULER_LEASE))?.holder.split(":")[1]).toBe(String(survivor.child.pid));
    // Stop it, and let whatever started finish, to count.
    await s.schedules.update(schedule.id, { suspended: true });
    await new Promise((r) => setTimeout(r, 1_000));
    const fires = await until("every fire to finish", async () => {
      const list = (await s.schedules.fires(schedule.id)).reverse();
      return list.every((f) => f.status !== "started") ? list : undefined;
    }, 30_000);

    // Every planned time from the first on, exactly once, each run to its end; one run per fire.
    expect(fires.map((f) => f.fireAt)).toEqual(fires.map((_, i) => first + i * INTERVAL));
    expect(fires.every((f) => f.status === "succeeded")).toBe(true);
    const runs = (await s.runs.list({ limit: 100 })).filter((r) => r.trigger === "schedule");
    const finished = fires.map((f) => f.runId);
    expect(new Set(finished).size).toBe(fires.length);
    expect(runs.map((r) => r.id).sort()).toEqual([...finished].sort());
    expect(runs.every((r) => r.status === "succeeded")).toBe(true);
  }, 150_000);
});
