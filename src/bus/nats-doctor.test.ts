// `pincer doctor`'s bus checks against real NATS: the shared server (fresh, matching and drifted instances), a wrong
// port, and a private server without JetStream.
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newInstance, until } from "./bus-contract.ts";
import { openNatsBus } from "./nats-bus.ts";
import { checkNatsBus } from "./nats-doctor.ts";
import { deadLetterStreamName, workStreamName } from "./nats-streams.ts";
import { freePort, natsUnavailable, SHARED_NATS_URL, skipOrFail, startNatsServer } from "./nats-test-server.ts";

const reason = await natsUnavailable({ shared: true, binary: true });
const log = pino({ level: "silent" });

if (skipOrFail(reason)) {
  describe.skip(`NATS doctor checks: skipped, ${reason}`, () => {
    it("needs NATS", () => {});
  });
} else {
  describe("checkNatsBus", () => {
    let admin: NatsConnection;
    let jsm: JetStreamManager;
    const instances: string[] = [];
    const fresh = () => {
      const i = newInstance("d");
      instances.push(i);
      return i;
    };
    const check = (instance: string, ackWaitMs = 1_000) => checkNatsBus({ instance, url: SHARED_NATS_URL, ackWaitMs });

    beforeAll(async () => {
      admin = await connect({ servers: SHARED_NATS_URL });
      jsm = await jetstreamManager(admin);
    });
    afterAll(async () => {
      for (const i of instances) for (const s of [workStreamName(i), deadLetterStreamName(i)]) await jsm.streams.delete(s).catch(() => false);
      await admin?.close();
    });

    it("reports reachable, JetStream on, and streams still to be created for a new instance", async () => {
      const instance = fresh();
      const checks = await check(instance);
      expect(checks.map((c) => [c.name, c.status])).toEqual([
        ["bus", "ok"],
        ["jetstream", "ok"],
        ["bus stream", "ok"],
        ["bus stream", "ok"],
      ]);
      expect(checks[0]?.detail).toMatch(/^nats:\/\/127\.0\.0\.1:4222 reachable \(nats-server 2\./);
      expect(checks[2]?.detail).toBe(`PINCER_${instance} does not exist yet; the bus creates it on first start`);
    });

    it("reports matching streams and consumers once the bus ran", async () => {
      const instance = fresh();
      const bus = await openNatsBus({ instance, url: SHARED_NATS_URL, ackWaitMs: 1_000, maxDeliver: 3, backoffMs: [50], log });
      bus.consume("runs", "workers", async () => {});
      await until(async () => (await jsm.consumers.info(workStreamName(instance), "workers_runs").catch(() => undefined)) !== undefined, "the durable");
      await bus.close();
      const checks = await check(instance);
      expect(checks.map((c) => [c.name, c.status])).toEqual([
        ["bus", "ok"],
        ["jetstream", "ok"],
        ["bus stream", "ok"],
        ["bus stream", "ok"],
        ["bus consumers", "ok"],
      ]);
      expect(checks[4]?.detail).toBe("1 match: workers_runs (0 pending, 0 in flight)");
    });

    it("warns about drift the bus repairs and fails on what it cannot, each with a fix", async () => {
      const instance = fresh();
      const bus = await openNatsBus({ instance, url: SHARED_NATS_URL, ackWaitMs: 1_000, maxDeliver: 3, backoffMs: [50], log });
      bus.consume("runs", "workers", async () => {});
      await until(async () => (await jsm.consumers.info(workStreamName(instance), "workers_runs").catch(() => undefined)) !== undefined, "the durable");
      await bus.close();
      await jsm.streams.update(workStreamName(instance), { duplicate_window: 60e9 });
      await jsm.consumers.update(workStreamName(instance), "workers_runs", { max_deliver: 5 });
      await jsm.streams.delete(deadLetterStreamName(instance));
      await jsm.streams.add({ name: deadLetterStreamName(instance), subjects: [`pincer.${instance}.dlq.>`], retention: "interest" });

      const checks = await check(instance);
      expect(checks.slice(2)).toEqual([
        { name: "bus stream", status: "warn", detail: `PINCER_${instance} differs: duplicate_window: want 120000000000, have 60000000000`, fix: "start the bus (any pincer cluster process): it updates these fields in place" },
        { name: "bus stream", status: "fail", detail: `PINCER_${instance}_DLQ differs in what cannot change in place: retention: want "limits", have "interest"`, fix: `drain or back up its messages, then 'nats stream rm PINCER_${instance}_DLQ'; the bus recreates it on start` },
        { name: "bus consumers", status: "warn", detail: "workers_runs: max_deliver: want -1, have 5", fix: expect.stringContaining("updates ack_wait, max_deliver and backoff") },
      ]);
    });

    it("fails with a fix when nothing listens on the port", async () => {
      const port = await freePort();
      const checks = await checkNatsBus({ instance: "x", url: `nats://127.0.0.1:${port}`, ackWaitMs: 1_000 });
      expect(checks).toEqual([{ name: "bus", status: "fail", detail: expect.stringContaining(`cannot connect to NATS at nats://127.0.0.1:${port}`), fix: "start nats-server with JetStream (nats-server -js), or correct bus.url" }]);
    });

    it("fails with a fix when the server has no JetStream", async () => {
      const server = await startNatsServer({ jetstream: false });
      try {
        const checks = await checkNatsBus({ instance: "x", url: server.url, ackWaitMs: 1_000 });
        expect(checks.map((c) => [c.name, c.status])).toEqual([
          ["bus", "ok"],
          ["jetstream", "fail"],
        ]);
        expect(checks[1]?.fix).toBe("start nats-server with -js (or a jetstream {} block) and enable JetStream for the account");
      } finally {
        await server.dispose();
      }
    });
  });
}
