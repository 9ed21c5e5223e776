// kill -9 of `pincer gateway` (embedded runtime) with runs in flight and messages queued behind them: after a
// restart on the same state dir every acknowledged /ws message is answered exactly once.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { ServerFrame } from "../../src/gateway/ws-protocol.ts";
import { openSqliteStore } from "../../src/store/index.ts";
import type { RecordedRequest } from "../fakes/index.ts";
import { fakeProviderConfig, startGatewayProcess, until, useCliFixture, type GatewayProcess } from "./harness.ts";

const fx = useCliFixture();
const CLIENTS = 6;
const PER_CLIENT = 6; // 36 messages: 6 runs in flight at the kill, 30 queued behind them

interface Client {
  frames: ServerFrame[];
  send(frame: object): void;
  close(): void;
}

async function connect(gw: GatewayProcess, name: string): Promise<Client> {
  const ws = new WebSocket(`${gw.url.replace("http", "ws")}/ws`);
  const frames: ServerFrame[] = [];
  ws.on("message", (data) => frames.push(JSON.parse(String(data)) as ServerFrame));
  ws.on("error", () => undefined); // the kill below drops the socket; the test reads frames, not errors
  await new Promise((done) => ws.once("open", done));
  ws.send(JSON.stringify({ type: "auth", token: gw.token, client: name }));
  await until(`hello for ${name}`, () => frames.some((f) => f.type === "hello"));
  return { frames, send: (frame) => ws.send(JSON.stringify(frame)), close: () => ws.terminate() };
}

const lastUserText = (req: RecordedRequest): string => {
  const messages = (req.body as { messages: Array<{ role: string; content: unknown }> }).messages;
  const last = messages.findLast((m) => m.role === "user")?.content;
  return typeof last === "string" ? last : JSON.stringify(last);
};
const textOf = (message: unknown): string => {
  const content = (message as { content: string | Array<{ text?: string }> }).content;
  return typeof content === "string" ? content : content.map((p) => p.text ?? "").join("");
};
const acks = (c: Client) => c.frames.filter((f): f is Extract<ServerFrame, { type: "ack" }> => f.type === "ack");
const session = (name: string) => `agent:default:webchat:dm:${name}`;
const text = (client: number, n: number) => `[c${client} m${n}]`;

describe("pincer gateway after kill -9", () => {
  it("answers every acknowledged /ws message exactly once: runs in flight are resumed, queued messages replayed", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    let holding = true; // the first process never gets an answer: its runs are in flight when it dies
    fx.fake.setFallback((req) => (holding ? { hang: true } : { text: `echo: ${lastUserText(req)}` }));
    const names = Array.from({ length: CLIENTS }, (_, i) => `crash${i}`);

    const first = await startGatewayProcess(home);
    const seen = fx.fake.requests.length;
    const before = await Promise.all(names.map((name) => connect(first, name)));
    before.forEach((c, i) => {
      for (let n = 0; n < PER_CLIENT; n++) c.send({ type: "chat.send", id: n, messageId: `m-${i}-${n}`, text: text(i, n) });
    });
    await until("every message acknowledged", () => before.every((c) => acks(c).length === PER_CLIENT));
    await until("one run in flight per session", () => fx.fake.requests.length - seen === CLIENTS);
    first.child.kill("SIGKILL");
    await first.exited;
    before.forEach((c) => c.close());

    holding = false;
    const second = await startGatewayProcess(home);
    try {
      // Reconnect and resend everything: nothing starts twice, and an answered or running message names its run.
      const after = await Promise.all(names.map((name) => connect(second, name)));
      after.forEach((c, i) => {
        for (let n = 0; n < PER_CLIENT; n++) c.send({ type: "chat.send", id: n, messageId: `m-${i}-${n}`, text: text(i, n) });
      });
      await until("every resend acknowledged", () => after.every((c) => acks(c).length === PER_CLIENT));
      for (const c of after) for (const ack of acks(c)) expect(ack.disposition).toBe("duplicate");

      // What a reconnected client sees in the session's history (assistant texts, oldest first).
      let asked = 0;
      const answers = async (c: Client, name: string): Promise<string[]> => {
        const id = `h${asked++}`;
        c.send({ type: "sessions.history", id, session: session(name) });
        const frame = await until(`history ${id}`, () => c.frames.find((f) => f.type === "history" && f.id === id));
        return frame.type === "history" ? frame.messages.filter((m) => m.role === "assistant").map((m) => m.text) : [];
      };
      const all = await until("every session answered", async () => {
        const lists = await Promise.all(after.map((c, i) => answers(c, names[i]!)));
        return lists.every((l) => l.length >= PER_CLIENT) && lists;
      }, 45_000);
      all.forEach((list, i) => expect(list).toEqual(Array.from({ length: PER_CLIENT }, (_, n) => `echo: ${text(i, n)}`)));
      // The runs in flight at the kill are named on the resend; a running one is followed live to its final frame.
      for (const c of after) {
        const inFlight = acks(c).find((a) => a.id === 0)!;
        expect(inFlight.runId).toMatch(/^run_/);
        if (inFlight.runStatus === "running") await until(`run.final of ${inFlight.runId}`, () => c.frames.some((f) => f.type === "run.final" && f.runId === inFlight.runId));
      }
      after.forEach((c) => c.close());
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }

    const store = await openSqliteStore({ path: join(home.dir, "pincer.db") });
    try {
      const runs = await store.runs.list({});
      expect(runs).toHaveLength(CLIENTS * PER_CLIENT);
      expect(runs.every((r) => r.status === "succeeded")).toBe(true);
      expect(runs.filter((r) => r.attempt === 2).map((r) => r.input).sort()).toEqual(names.map((_, i) => text(i, 0)).sort());
      expect(await store.journal.pending()).toEqual([]);
      for (const [i, name] of names.entries()) {
        const replies = (await store.transcript.list(session(name))).filter((m) => m.role === "assistant").map((m) => textOf(m.content));
        expect(replies).toEqual(Array.from({ length: PER_CLIENT }, (_, n) => `echo: ${text(i, n)}`));
      }
    } finally {
      await store.close();
    }
  }, 60_000);
});
