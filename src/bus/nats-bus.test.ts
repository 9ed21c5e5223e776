// Runs the Bus contract on NATS JetStream (the shared server on 127.0.0.1:4222), plus NATS-only cases: stream and
// consumer upkeep, dead letters leaving the work stream, self-healing consumers, connection errors.
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeBus, newInstance, sleep, until } from "./bus-contract.ts";
import { openNatsBus, type NatsBus, type NatsBusOptions } from "./nats-bus.ts";
import { deadLetterStreamName, ensureWorkConsumer, readDeadLetters, workStreamName } from "./nats-streams.ts";
import { freePort, natsUnavailable, SHARED_NATS_URL, skipOrFail } from "./nats-test-server.ts";

const reason = await natsUnavailable({ shared: true });
const log = pino({ level: "silent" });
let admin: NatsConnection;
let jsm: JetStreamManager;
const created: string[] = [];

const deleteStreams = async (instances: string[]) => {
  for (const i of instances) for (const s of [workStreamName(i), deadLetterStreamName(i)]) await jsm.streams.delete(s).catch(() => false);
};

if (skipOrFail(reason)) {
  describe.skip(`NATS bus: skipped, ${reason}`, () => {
    it("needs a NATS server", () => {});
  });
} else {
  beforeAll(async () => {
    admin = await connect({ servers: SHARED_NATS_URL });
    jsm = await jetstreamManager(admin);
  });
  afterAll(async () => {
    await deleteStreams(created);
    await admin?.close();
  });

  describeBus("nats", {
    open: (opts) => openNatsBus({ ...opts, url: SHARED_NATS_URL, log }),
    deadLetters: (instance, topic) => readDeadLetters(jsm, instance, topic),
    cleanup: deleteStreams,
  });

  describe("NatsBus", () => {
    const open = async (overrides: Partial<NatsBusOptions> = {}): Promise<NatsBus> => {
      const instance = overrides.instance ?? newInstance("n");
      created.push(instance);
      return openNatsBus({ instance, url: SHARED_NATS_URL, ackWaitMs: 1_000, maxDeliver: 2, backoffMs: [50], log, ...overrides });
    };

    it("creates a work-queue stream and a dead-letter stream per instance", async () => {
      const bus = await open();
      const work = await jsm.streams.info(workStreamName(bus.instance));
      const dlq = await jsm.streams.info(deadLetterStreamName(bus.instance));
      expect(work.config).toMatchObject({ retention: "workqueue", storage: "file", subjects: [`pincer.${bus.instance}.inbound`, `pincer.${bus.instance}.runs`, `pincer.${bus.instance}.outbound.>`], duplicate_window: 120e9 });
      expect(dlq.config).toMatchObject({ retention: "limits", subjects: [`pincer.${bus.instance}.dlq.>`], max_age: 14 * 24 * 3600e9 });
      expect(bus.health()).toMatchObject({ connected: true, detail: expect.stringMatching(/v2\.\d+.*JetStream\): connected/) });
      await bus.close();
    });

    it("updates a stream that drifted and keeps its messages; refuses one with the wrong retention", async () => {
      const first = await open();
      await first.publish("runs", { keep: true });
      await first.close();
      await jsm.streams.update(workStreamName(first.instance), { duplicate_window: 30e9 });
      const second = await open({ instance: first.instance });
      const info = await jsm.streams.info(workStreamName(first.instance));
      expect(info.config.duplicate_window).toBe(120e9);
      expect(info.state.messages).toBe(1);
      await second.close();

      const instance = newInstance("n");
      created.push(instance);
      await jsm.streams.add({ name: workStreamName(instance), subjects: [`pincer.${instance}.runs`], retention: "limits" });
      await expect(open({ instance })).rejects.toMatchObject({ code: "config_conflict", message: expect.stringContaining(`nats stream rm PINCER_${instance}`) });
    });

    it("creates consumers with explicit ack and ack_wait, no server-side max_deliver or backoff", async () => {
      const bus = await open({ ackWaitMs: 1_500 });
      bus.consume("outbound.slack.team1", "slack", async () => {});
      await until(async () => (await jsm.consumers.info(workStreamName(bus.instance), "slack_outbound_slack_team1").catch(() => undefined)) !== undefined, "the durable");
      const ci = await jsm.consumers.info(workStreamName(bus.instance), "slack_outbound_slack_team1");
      expect(ci.config).toMatchObject({ ack_policy: "explicit", ack_wait: 1.5e9, max_deliver: -1, filter_subject: `pincer.${bus.instance}.outbound.slack.team1` });
      await bus.close();
    });

    it("refuses a second durable on a topic across processes, naming the first", async () => {
      const bus = await open();
      const spec = { stream: workStreamName(bus.instance), topic: "runs" as const, subject: `pincer.${bus.instance}.runs`, ackWaitMs: 1_000 };
      await ensureWorkConsumer(jsm, { ...spec, durable: "a_runs" }, log);
      await expect(ensureWorkConsumer(jsm, { ...spec, durable: "b_runs" }, log)).rejects.toMatchObject({ code: "config_conflict", message: expect.stringContaining('already consumed by durable "a_runs"') });
      await bus.close();
    });

    it("dead-lettering removes the message from the work stream", async () => {
      const bus = await open({ maxDeliver: 1 });
      bus.consume("runs", "workers", async () => {
        throw new Error("broken");
      });
      await bus.publish("runs", { x: 1 });
      await until(async () => (await readDeadLetters(jsm, bus.instance, "runs")).length === 1, "the dead letter");
      await until(async () => (await jsm.streams.info(workStreamName(bus.instance))).state.messages === 0, "an empty work stream");
      await bus.close();
    });

    it("recreates a deleted durable by itself and keeps consuming", async () => {
      // A pull that the server never ends for the deleted durable expires after pullExpiresMs; keep that short so a
      // missed "consumer deleted" status costs seconds, not the 30 s default.
      const bus = await open({ pullExpiresMs: 2_000 });
      const got: unknown[] = [];
      bus.consume("runs", "workers", async (m) => void got.push(m.data));
      await bus.publish("runs", { n: 1 });
      await until(() => got.length === 1, "the first message");
      await jsm.consumers.delete(workStreamName(bus.instance), "workers_runs");
      await bus.publish("runs", { n: 2 });
      await until(() => got.length === 2, "the message after the durable was deleted", 20_000);
      expect(got).toEqual([{ n: 1 }, { n: 2 }]);
      await bus.close();
    });

    it("names the server and the fix, without the password, when it cannot connect", async () => {
      const port = await freePort();
      const err = await open({ url: `nats://bob:hunter2secret@127.0.0.1:${port}` }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "unavailable" });
      expect((err as Error).message).toContain(`nats://bob:***@127.0.0.1:${port}`);
      expect((err as Error).message).toContain("Fix: start nats-server");
      expect((err as Error).message).not.toContain("hunter2secret");
    });

    it("events are plain NATS messages on pincer.<instance>.<subject>", async () => {
      const bus = await open();
      const seen: string[] = [];
      const sub = admin.subscribe(`pincer.${bus.instance}.events.>`, { callback: (_err, msg) => void seen.push(`${msg.subject} ${msg.string()}`) });
      await admin.flush();
      bus.emit("events.run_1", { t: "x" });
      await until(() => seen.length === 1, "the event");
      expect(seen).toEqual([`pincer.${bus.instance}.events.run_1 {"t":"x"}`]);
      sub.unsubscribe();
      await bus.close();
      await sleep(10);
    });
  });
}
