// The Bus contract suite: every Bus implementation (in-process, NATS JetStream) runs these same cases in real time
// with short timings. Transport-only concerns (auth, permissions, server restarts) are tested beside each adapter.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { isBusError } from "./bus-error.ts";
import type { DeadLetter } from "./bus-subjects.ts";
import type { Bus, Consumer, WorkMessage, WorkTopic } from "./bus.ts";
import { keepWorking } from "./keep-working.ts";

export interface BusTimings {
  ackWaitMs: number;
  maxDeliver: number;
  backoffMs: number[];
}

/** How the suite reaches one implementation. */
export interface BusHarness {
  /** Opens a bus for `instance`; buses of one harness share a server, as separate processes would. */
  open(opts: BusTimings & { instance: string }): Promise<Bus>;
  /** The dead letters stored for `topic` of `instance`, oldest first. */
  deadLetters(instance: string, topic: WorkTopic): Promise<DeadLetter[]>;
  /** Removes what the suite left behind for these instances (streams, …). */
  cleanup?(instances: string[]): Promise<void>;
}

const TIMINGS: BusTimings = { ackWaitMs: 1_000, maxDeliver: 3, backoffMs: [50, 100] };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it is true; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A fresh instance id per case, so runs never see each other's leftovers. */
export function newInstance(prefix = "t"): string {
  return `${prefix}${randomBytes(5).toString("hex")}`;
}

/** Registers the contract cases against `harness` (a function is called when the suite runs, after beforeAll hooks). */
export function describeBus(name: string, harness: BusHarness | (() => BusHarness)): void {
  describe(`Bus contract: ${name}`, () => {
    const instances: string[] = [];
    let open: Bus[] = [];
    const h = () => (typeof harness === "function" ? harness() : harness);
    const openBus = async (overrides: Partial<BusTimings> & { instance?: string } = {}) => {
      const instance = overrides.instance ?? newInstance();
      if (!instances.includes(instance)) instances.push(instance);
      const bus = await h().open({ ...TIMINGS, ...overrides, instance });
      open.push(bus);
      return bus;
    };

    afterEach(async () => {
      await Promise.all(open.map((b) => b.close()));
      open = [];
    });
    afterAll(async () => {
      await h().cleanup?.(instances);
    });

    it("publish → consume → ack: delivered once, with subject, delivery count and msgId", async () => {
      const bus = await openBus();
      const got: WorkMessage[] = [];
      bus.consume("runs", "workers", async (m) => void got.push(m));
      await bus.publish("runs", { n: 1 }, { msgId: "m-1" });
      await bus.publish("runs", { n: 2 });
      await until(() => got.length === 2, "two deliveries");
      await sleep(TIMINGS.ackWaitMs + 300);
      expect(got.map((m) => [m.data, m.subject, m.deliveryCount, m.msgId])).toEqual([
        [{ n: 1 }, `pincer.${bus.instance}.runs`, 1, "m-1"],
        [{ n: 2 }, `pincer.${bus.instance}.runs`, 1, undefined],
      ]);
    });

    it("two consumers of one group split the messages, each handled once", async () => {
      const bus = await openBus();
      const seen: number[] = [];
      const byConsumer = { a: 0, b: 0 };
      const handler = (who: "a" | "b") => async (m: WorkMessage<{ i: number }>) => {
        seen.push(m.data.i);
        byConsumer[who]++;
        await sleep(30);
      };
      bus.consume("runs", "workers", handler("a"));
      bus.consume("runs", "workers", handler("b"));
      for (let i = 0; i < 12; i++) await bus.publish("runs", { i });
      await until(() => seen.length === 12, "12 deliveries");
      await sleep(300);
      expect(seen.toSorted((x, y) => x - y)).toEqual([...Array(12).keys()]);
      expect(byConsumer.a).toBeGreaterThan(0);
      expect(byConsumer.b).toBeGreaterThan(0);
    });

    it("a handler that throws gets the message again with delivery count 2", async () => {
      const bus = await openBus();
      const counts: number[] = [];
      bus.consume("inbound", "ingress", async (m) => {
        counts.push(m.deliveryCount);
        if (m.deliveryCount === 1) throw new Error("transient");
      });
      await bus.publish("inbound", { text: "hi" });
      await until(() => counts.length === 2, "a redelivery");
      await sleep(200);
      expect(counts).toEqual([1, 2]);
    });

    it("nak(delay) redelivers after the delay", async () => {
      const bus = await openBus();
      const at: number[] = [];
      bus.consume("runs", "workers", async (m) => {
        at.push(Date.now());
        if (m.deliveryCount === 1) m.nak(400);
      });
      await bus.publish("runs", {});
      await until(() => at.length === 2, "the delayed redelivery");
      expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(350);
    });

    it("a delivery held past ack wait without working() is redelivered", async () => {
      const bus = await openBus();
      const counts: number[] = [];
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const started = Date.now();
      let redeliveredAfter = 0;
      bus.consume(
        "runs",
        "workers",
        async (m) => {
          counts.push(m.deliveryCount);
          if (m.deliveryCount === 1) return released;
          redeliveredAfter = Date.now() - started;
          release();
        },
        { concurrency: 2 },
      );
      await bus.publish("runs", {});
      await until(() => counts.length === 2, "the redelivery after ack wait");
      expect(counts).toEqual([1, 2]);
      expect(redeliveredAfter).toBeGreaterThanOrEqual(TIMINGS.ackWaitMs - 100);
    });

    it("working() keeps a long delivery from being redelivered", async () => {
      const bus = await openBus();
      const counts: number[] = [];
      let done = false;
      bus.consume(
        "runs",
        "workers",
        async (m) => {
          counts.push(m.deliveryCount);
          const stop = keepWorking(m, 300);
          await sleep(TIMINGS.ackWaitMs * 2.5);
          stop();
          done = true;
        },
        { concurrency: 2 },
      );
      await bus.publish("runs", {});
      await until(() => done, "the long handler");
      await sleep(TIMINGS.ackWaitMs + 300);
      expect(counts).toEqual([1]);
    });

    it("after max_deliver failures the message goes to the dead-letter subject and is not delivered again", async () => {
      const bus = await openBus();
      const counts: number[] = [];
      bus.consume("runs", "workers", async (m) => {
        counts.push(m.deliveryCount);
        throw new Error("always broken");
      });
      await bus.publish("runs", { job: 7 }, { msgId: "job-7" });
      await until(async () => (await h().deadLetters(bus.instance, "runs")).length === 1, "a dead letter");
      await sleep(300);
      expect(counts).toEqual([1, 2, 3]);
      const [dead] = await h().deadLetters(bus.instance, "runs");
      expect(dead).toMatchObject({ subject: `pincer.${bus.instance}.runs`, data: { job: 7 }, deliveries: 3, msgId: "job-7" });
      expect(dead?.reason).toContain("always broken");
    });

    it("term(reason) dead-letters at once", async () => {
      const bus = await openBus();
      const counts: number[] = [];
      bus.consume("outbound.telegram.main", "telegram", async (m) => {
        counts.push(m.deliveryCount);
        await m.term("chat not found");
      });
      await bus.publish("outbound.telegram.main", { text: "reply" });
      await until(async () => (await h().deadLetters(bus.instance, "outbound.telegram.main")).length === 1, "a dead letter");
      await sleep(200);
      expect(counts).toEqual([1]);
      expect(await h().deadLetters(bus.instance, "outbound.telegram.main")).toEqual([
        { subject: `pincer.${bus.instance}.outbound.telegram.main`, data: { text: "reply" }, reason: "chat not found", deliveries: 1, msgId: undefined },
      ]);
    });

    it("a last delivery that never answers is dead-lettered without running the handler again", async () => {
      const bus = await openBus({ maxDeliver: 1 });
      const counts: number[] = [];
      let dead = false;
      bus.consume(
        "runs",
        "workers",
        async (m) => {
          counts.push(m.deliveryCount);
          await until(() => dead, "the dead letter");
        },
        { concurrency: 2 },
      );
      await bus.publish("runs", { stuck: true });
      await until(async () => (dead = (await h().deadLetters(bus.instance, "runs")).length === 1), "a dead letter");
      expect(counts).toEqual([1]);
      expect((await h().deadLetters(bus.instance, "runs"))[0]).toMatchObject({ data: { stuck: true }, deliveries: 1, reason: expect.stringContaining("ack wait") });
    });

    it("a msgId published twice within the dedupe window is stored once", async () => {
      const bus = await openBus();
      const got: unknown[] = [];
      bus.consume("inbound", "ingress", async (m) => void got.push(m.data));
      await bus.publish("inbound", { v: "a" }, { msgId: "tg:42" });
      await bus.publish("inbound", { v: "again" }, { msgId: "tg:42" });
      await bus.publish("inbound", { v: "b" }, { msgId: "tg:43" });
      await until(() => got.length >= 2, "two deliveries");
      await sleep(300);
      expect(got).toEqual([{ v: "a" }, { v: "b" }]);
    });

    it("holds at most `concurrency` unacknowledged messages per consumer", async () => {
      const bus = await openBus();
      let inFlight = 0;
      let most = 0;
      let done = 0;
      let open = true;
      bus.consume(
        "runs",
        "workers",
        async () => {
          most = Math.max(most, ++inFlight);
          await until(() => !open, "the gate");
          inFlight--;
          done++;
        },
        { concurrency: 2 },
      );
      for (let i = 0; i < 4; i++) await bus.publish("runs", { i });
      await until(() => inFlight === 2, "two handlers in flight");
      await sleep(200);
      expect(most).toBe(2);
      open = false;
      await until(() => done === 4, "all four handled");
    });

    it("events match NATS wildcards and stop after unsubscribe", async () => {
      const bus = await openBus();
      const star: unknown[] = [];
      const rest: unknown[] = [];
      const exact: unknown[] = [];
      bus.subscribe("events.*", (data, subject) => void star.push([data, subject]));
      const unsubscribe = bus.subscribe("events.>", (data, subject) => void rest.push([data, subject]));
      bus.subscribe("events.run_1.text", (data, subject) => void exact.push([data, subject]));
      bus.emit("events.run_1", { x: 1 });
      bus.emit("events.run_1.text", { x: 2 });
      bus.emit("status.run_1", { x: 3 });
      await until(() => star.length === 1 && rest.length === 2 && exact.length === 1, "the events");
      unsubscribe();
      bus.emit("events.run_2", { x: 4 });
      await until(() => star.length === 2, "the last event");
      await sleep(100);
      expect(star).toEqual([[{ x: 1 }, "events.run_1"], [{ x: 4 }, "events.run_2"]]);
      expect(rest).toEqual([[{ x: 1 }, "events.run_1"], [{ x: 2 }, "events.run_1.text"]]);
      expect(exact).toEqual([[{ x: 2 }, "events.run_1.text"]]);
      expect(() => bus.emit("runs", {})).toThrow(expect.objectContaining({ code: "invalid_name" }));
    });

    it("an instance never sees another instance's work or events", async () => {
      const a = await openBus();
      const b = await openBus();
      const workA: unknown[] = [];
      const workB: unknown[] = [];
      const eventsA: unknown[] = [];
      a.consume("runs", "workers", async (m) => void workA.push(m.data));
      b.consume("runs", "workers", async (m) => void workB.push(m.data));
      a.subscribe(">", (_data, subject) => void eventsA.push(subject));
      await b.publish("runs", { from: "b" });
      await a.publish("runs", { from: "a" });
      b.emit("events.x", {});
      a.emit("events.y", {});
      await until(() => workA.length === 1 && workB.length === 1 && eventsA.length === 1, "both deliveries and A's event");
      await sleep(300);
      expect(workA).toEqual([{ from: "a" }]);
      expect(workB).toEqual([{ from: "b" }]);
      expect(eventsA).toEqual(["events.y"]);
    });

    it("stop() waits for the handlers in flight, then takes no more messages", async () => {
      const bus = await openBus();
      let started = 0;
      let finished = 0;
      const consumer: Consumer = bus.consume("runs", "workers", async () => {
        started++;
        await sleep(300);
        finished++;
      });
      await bus.publish("runs", {});
      await until(() => started === 1, "the handler to start");
      await consumer.stop();
      expect(finished).toBe(1);
      await bus.publish("runs", {});
      await sleep(300);
      expect(started).toBe(1);
    });

    it("refuses a second group on a topic that already has one", async () => {
      const bus = await openBus();
      bus.consume("runs", "workers", async () => {});
      let caught: unknown;
      try {
        bus.consume("runs", "others", async () => {});
      } catch (err) {
        caught = err;
      }
      expect(isBusError(caught) && caught.code).toBe("config_conflict");
    });

    it("after close(), publish rejects with code closed and health says disconnected", async () => {
      const bus = await openBus();
      expect(bus.health().connected).toBe(true);
      await bus.close();
      await expect(bus.publish("runs", {})).rejects.toMatchObject({ code: "closed" });
      expect(bus.health().connected).toBe(false);
    });
  });
}
