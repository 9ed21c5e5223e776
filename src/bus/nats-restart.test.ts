// A private nats-server is killed and restarted (same port and store) while the bus publishes and consumes: every
// message is handled, the consumer reconnects by itself, publishes during the outage are confirmed afterwards.
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { sleep, until } from "./bus-contract.ts";
import { openNatsBus } from "./nats-bus.ts";
import { natsUnavailable, skipOrFail, startNatsServer, type NatsTestServer } from "./nats-test-server.ts";

const reason = await natsUnavailable({ binary: true });

if (skipOrFail(reason)) {
  describe.skip(`NATS restart: skipped, ${reason}`, () => {
    it("needs nats-server", () => {});
  });
} else {
  describe("NATS bus across a server restart", () => {
    let server: NatsTestServer | undefined;
    afterAll(async () => {
      await server?.dispose();
    });

    it("handles every message exactly once by msgId while the server is killed and restarted", { timeout: 90_000 }, async () => {
      server = await startNatsServer();
      const srv = server;
      const logs: string[] = [];
      const log = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line).msg) });
      const bus = await openNatsBus({ instance: "restart", url: srv.url, ackWaitMs: 1_000, maxDeliver: 50, backoffMs: [100], publishTimeoutMs: 30_000, log });
      const handled = new Set<string>(); // the idempotent handler's memory: msgIds already processed
      let deliveries = 0;
      bus.consume(
        "runs",
        "workers",
        async (m) => {
          deliveries++;
          if (m.msgId) handled.add(m.msgId);
          await sleep(5);
        },
        { concurrency: 2 },
      );

      const total = 80;
      let published = 0;
      const publisher = (async () => {
        for (let i = 0; i < total; i++) {
          await bus.publish("runs", { i }, { msgId: `m-${i}` });
          published++;
          await sleep(20);
        }
      })();
      await until(() => published >= 20, "publishing before the outage");
      await srv.kill();
      const publishedBeforeRestart = published;
      await sleep(1_500);
      await srv.start();
      await publisher;
      await until(() => handled.size === total, `all ${total} msgIds handled (have ${handled.size})`, 45_000);

      expect([...handled].toSorted()).toEqual(Array.from({ length: total }, (_, i) => `m-${i}`).toSorted());
      expect(publishedBeforeRestart).toBeLessThan(total);
      expect(deliveries).toBeGreaterThanOrEqual(total);
      expect(logs).toContain("bus disconnected; reconnecting");
      expect(logs).toContain("bus reconnected");
      expect(bus.health().connected).toBe(true);
      await bus.close();
    });

    it("rejects a publish with a clear error when the outage outlasts publishTimeoutMs, then recovers", { timeout: 60_000 }, async () => {
      server ??= await startNatsServer();
      const srv = server;
      const bus = await openNatsBus({ instance: "outage", url: srv.url, ackWaitMs: 1_000, maxDeliver: 5, backoffMs: [100], publishTimeoutMs: 2_000, log: pino({ level: "silent" }) });
      const got: unknown[] = [];
      bus.consume("inbound", "ingress", async (m) => void got.push(m.data));
      await srv.kill();
      const err = await bus.publish("inbound", { lost: false }, { msgId: "o-1" }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "unavailable", retryable: true });
      expect((err as Error).message).toMatch(new RegExp(`^publish to pincer\\.outage\\.inbound was not confirmed by NATS at ${srv.url} within 2 s .*publish again with the same msgId`));
      expect(bus.health()).toEqual({ connected: false, detail: `NATS ${srv.url}: disconnected, reconnecting` });
      await srv.start();
      await until(() => bus.health().connected, "the reconnect", 20_000);
      await bus.publish("inbound", { lost: false }, { msgId: "o-1" });
      await until(() => got.length === 1, "the message after the restart", 20_000);
      expect(got).toEqual([{ lost: false }]);
      await bus.close();
    });
  });
}
