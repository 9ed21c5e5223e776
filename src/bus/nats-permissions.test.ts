// Runs the bus on a private nats-server whose users carry natsPermissionsFor(instance): each instance's credentials
// run its own bus and are refused everything of the other instance. Also checks nkey and URL credentials.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, nkeys, type NatsConnection } from "@nats-io/transport-node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "./bus-contract.ts";
import { openNatsBus, type NatsBusOptions } from "./nats-bus.ts";
import { natsPermissionsFor, renderNatsAuthorization } from "./nats-permissions.ts";
import { readDeadLetters } from "./nats-streams.ts";
import { natsUnavailable, skipOrFail, startNatsServer, testNatsConfig, type NatsTestServer } from "./nats-test-server.ts";

const reason = await natsUnavailable({ binary: true });
const log = pino({ level: "silent" });
const A = { user: "pincer-a", password: "a-password-1" };
const B = { user: "pincer-b", password: "b-password-2" };
const D = { user: "pincer-d", password: "d-password-4" };

describe("natsPermissionsFor", () => {
  it("allows the instance's own subjects, streams, consumers and inbox only", () => {
    const p = natsPermissionsFor("team-a_1");
    expect(p.subscribe.allow).toEqual(["pincer.team-a_1.>", "_INBOX_team-a_1.>"]);
    expect(p.publish.allow).toContain("pincer.team-a_1.>");
    expect(p.publish.allow).toContain("$JS.API.STREAM.CREATE.PINCER_team-a_1");
    expect(p.publish.allow).toContain("$JS.API.CONSUMER.MSG.NEXT.PINCER_team-a_1.*");
    expect(p.publish.allow).toContain("$JS.ACK.PINCER_team-a_1_DLQ.>");
    expect(p.publish.allow.every((s) => s === "$JS.API.INFO" || s.includes("team-a_1"))).toBe(true);
    expect(p.publish.allow.some((s) => /STREAM\.(DELETE|PURGE)/.test(s))).toBe(false);
  });

  it("adds only the inbound subject of each a2a.allow_to instance", () => {
    const own = natsPermissionsFor("a").publish.allow;
    const p = natsPermissionsFor("a", { allowTo: ["b", "a"] });
    expect(p.publish.allow).toEqual([...own, "pincer.b.inbound"]);
    expect(p.subscribe.allow).toEqual(natsPermissionsFor("a").subscribe.allow);
  });
});

describe("docs/nats.md", () => {
  it.skipIf(skipOrFail(reason))(`shows the rendered permission block in a config nats-server accepts${reason ? ` (skipped: ${reason})` : ""}`, async () => {
    const doc = await readFile(new URL("../../docs/nats.md", import.meta.url), "utf8");
    const example = /```conf\n([\s\S]*?)```/.exec(doc)?.[1] ?? "";
    expect(example).toContain(
      renderNatsAuthorization([
        { instance: "team-a", user: "pincer-team-a", password: "change-me-a" },
        { instance: "team-b", user: "pincer-team-b", password: "change-me-b" },
      ]),
    );
    const dir = await mkdtemp(join(tmpdir(), "pincer-nats-doc-"));
    try {
      await writeFile(join(dir, "nats.conf"), example);
      const result = testNatsConfig(join(dir, "nats.conf"));
      expect(result.output).toContain("is valid");
      expect(result.ok).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // And it runs: the same config on a free port and a temp store, used by team-a's bus.
    const server = await startNatsServer({ fullConfig: (port, storeDir) => example.replace("port: 4222", `host: "127.0.0.1"\nport: ${port}`).replace("/var/lib/nats", storeDir) });
    try {
      const bus = await openNatsBus({ instance: "team-a", url: server.url, user: "pincer-team-a", password: "change-me-a", ackWaitMs: 1_000, maxDeliver: 1, backoffMs: [50], log });
      const got: unknown[] = [];
      bus.consume("runs", "workers", async (m) => void got.push(m.data));
      await bus.publish("runs", { ok: true });
      await until(() => got.length === 1, "team-a's message");
      await bus.close();
    } finally {
      await server.dispose();
    }
  });
});

if (skipOrFail(reason)) {
  describe.skip(`NATS permissions: skipped, ${reason}`, () => {
    it("needs nats-server", () => {});
  });
} else {
  describe("NATS bus with per-instance permissions", () => {
    let server: NatsTestServer;
    let seed: Uint8Array;
    const conns: NatsConnection[] = [];
    const busOpts = (over: Partial<NatsBusOptions>): NatsBusOptions => ({ instance: "a", url: server.url, ackWaitMs: 1_000, maxDeliver: 1, backoffMs: [50], log, ...over });
    const connectAs = async (who: { user: string; password: string }, instance: string) => {
      const nc = await connect({ servers: server.url, user: who.user, pass: who.password, inboxPrefix: `_INBOX_${instance}` });
      conns.push(nc);
      return nc;
    };

    beforeAll(async () => {
      const kp = nkeys.createUser();
      seed = kp.getSeed();
      const auth = renderNatsAuthorization([
        { instance: "a", ...A },
        { instance: "b", ...B },
        { instance: "c", nkey: kp.getPublicKey() },
        { instance: "d", ...D, allowTo: ["b"] },
      ]);
      server = await startNatsServer({ config: auth });
    });
    afterAll(async () => {
      await Promise.all(conns.map((nc) => nc.close()));
      await server?.dispose();
    });

    it("instance A's credentials run A's bus: streams, consumers, work, events and dead letters", async () => {
      const bus = await openNatsBus(busOpts({ ...A }));
      const got: unknown[] = [];
      const events: string[] = [];
      bus.consume("runs", "workers", async (m) => {
        got.push(m.data);
        if ((m.data as { fail?: boolean }).fail) throw new Error("poison");
      });
      bus.subscribe("events.>", (_d, subject) => void events.push(subject));
      await bus.publish("runs", { n: 1 });
      await bus.publish("runs", { fail: true });
      bus.emit("events.run_1", {});
      await until(() => got.length === 2 && events.length === 1, "work and events");
      const jsm = await jetstreamManager(await connectAs(A, "a"));
      await until(async () => (await readDeadLetters(jsm, "a", "runs")).length === 1, "the dead letter");
      await bus.close();
    });

    it("instance A's credentials cannot subscribe to pincer.b.> or B's inbox", async () => {
      const nc = await connectAs(A, "a");
      const errors: string[] = [];
      for (const subject of ["pincer.b.>", "_INBOX_b.>"]) {
        nc.subscribe(subject, { callback: (err) => void (err && errors.push(`${err.name}: ${err.message}`)) });
      }
      await nc.flush();
      await until(() => errors.length === 2, "two permission errors");
      expect(errors.every((e) => /PermissionViolationError: Permissions Violation for Subscription to "(pincer\.b\.>|_INBOX_b\.>)"/.test(e))).toBe(true);
    });

    it("instance A's credentials can neither open B's bus nor create, read or publish to B's stream and consumer", async () => {
      const busB = await openNatsBus(busOpts({ instance: "b", ...B }));
      busB.consume("runs", "workers", async () => {});
      const ncB = await connectAs(B, "b");
      await until(async () => (await (await jetstreamManager(ncB)).consumers.info("PINCER_b", "workers_runs").catch(() => undefined)) !== undefined, "B's durable");

      const asA = await openNatsBus(busOpts({ instance: "b", ...A })).catch((e: unknown) => e);
      expect(asA).toMatchObject({ code: "permission_denied", message: expect.stringContaining('natsPermissionsFor("b")') });

      const nc = await connectAs(A, "a");
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      // JetStream API calls reject with a RequestError whose message (and cause) is the server's violation.
      const violation = { message: expect.stringContaining("Permissions Violation for Publish to") };
      await expect(jsm.streams.add({ name: "PINCER_b2", subjects: ["pincer.b.extra"] })).rejects.toMatchObject(violation);
      await expect(jsm.streams.info("PINCER_b")).rejects.toMatchObject(violation);
      await expect(jsm.consumers.add("PINCER_b", { durable_name: "steal", ack_policy: "explicit", filter_subject: "pincer.b.inbound" })).rejects.toMatchObject(violation);
      await expect(js.consumers.get("PINCER_b", "workers_runs")).rejects.toMatchObject(violation);
      await expect(js.publish("pincer.b.runs", "{}")).rejects.toMatchObject(violation);
      await busB.close();
    });

    it("with a2a.allow_to [b], instance D's credentials publish on B's inbound subject and nothing else of B", async () => {
      const busB = await openNatsBus(busOpts({ instance: "b", ...B }));
      const got: unknown[] = [];
      busB.consume("inbound", "router", async (m) => void got.push(m.data));
      const busD = await openNatsBus(busOpts({ instance: "d", ...D }));
      await busD.publishInbound("b", { hello: "from d" }, { msgId: "a2a-1" });
      await until(() => got.length === 1, "D's message in B's inbound queue");
      expect(got).toEqual([{ hello: "from d" }]);
      const js = jetstream(await connectAs(D, "d"));
      await expect(js.publish("pincer.b.runs", "{}")).rejects.toMatchObject({ message: expect.stringContaining("Permissions Violation for Publish to") });
      await busD.close();
      await busB.close();
    });

    it("authenticates with an nkey seed and with credentials in the URL", async () => {
      const viaNkey = await openNatsBus(busOpts({ instance: "c", nkeySeed: new TextDecoder().decode(seed) }));
      const got: unknown[] = [];
      viaNkey.consume("inbound", "ingress", async (m) => void got.push(m.data));
      await viaNkey.publish("inbound", { hi: 1 });
      await until(() => got.length === 1, "the nkey user's message");
      await viaNkey.close();

      const viaUrl = await openNatsBus(busOpts({ url: server.url.replace("nats://", `nats://${A.user}:${A.password}@`) }));
      expect(viaUrl.health().connected).toBe(true);
      await viaUrl.close();
    });

    it("a wrong password fails with auth_failed, naming the server but not the password", async () => {
      const err = await openNatsBus(busOpts({ user: A.user, password: "wrong-secret-99" })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "auth_failed" });
      expect((err as Error).message).toContain(server.url);
      expect((err as Error).message).toContain("Fix: check bus.user/bus.password");
      expect((err as Error).message).not.toContain("wrong-secret-99");
    });
  });
}
