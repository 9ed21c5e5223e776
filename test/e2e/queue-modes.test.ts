// Queue modes end to end on the embedded runtime: followup, collect, steer and interrupt against the fake OpenAI API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { createApp, type App } from "../../src/app.ts";
import { startFakeOpenAI, type FakeModelServer } from "../fakes/index.ts";
import { fakeProviderConfig, makeHome, type Home } from "./harness.ts";

let fake: FakeModelServer;
let home: Home;
let app: App;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
  home = await makeHome();
  await home.writeConfig(fakeProviderConfig(fake.baseURL));
  app = await createApp({ env: { PINCER_HOME: home.dir }, logger: pino({ level: "silent" }) });
});

afterAll(async () => {
  await app.close();
  await fake.close();
  await home.cleanup();
});

type Msg = { role: string; content: unknown };
const userTexts = (i: number): string[] =>
  (fake.requests[i]!.body as { messages: Msg[] }).messages.filter((m) => m.role === "user").map((m) => String(m.content));

function send(session: string, text: string, queueMode?: "followup" | "collect" | "steer" | "interrupt") {
  return app.dispatcher.send({ agentId: "default", sessionKey: `agent:default:test:dm:${session}`, channel: "test", text, ...(queueMode ? { queueMode } : {}) });
}

describe("queue modes", () => {
  it("followup runs the second message as its own run after the first", async () => {
    fake.requests.length = 0;
    fake.enqueue({ text: "first answer", delayMs: 150 }, { text: "second answer" });
    const a = await send("followup", "A");
    const b = await send("followup", "B", "followup");
    expect([a.disposition, b.disposition]).toEqual(["started", "queued"]);
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect(ra.runId).not.toBe(rb.runId);
    expect([ra.reply, rb.reply]).toEqual(["first answer", "second answer"]);
    expect(userTexts(1)).toEqual(["A", "B"]);
  });

  it("collect merges messages that arrive during a run into one run", async () => {
    fake.requests.length = 0;
    fake.enqueue({ text: "one", delayMs: 150 }, { text: "merged" });
    const a = await send("collect", "A");
    const b = await send("collect", "B", "collect");
    const c = await send("collect", "C", "collect");
    expect([b.disposition, c.disposition]).toEqual(["queued", "merged"]);
    const [, rb, rc] = await Promise.all([a.result, b.result, c.result]);
    expect(rb.runId).toBe(rc.runId);
    expect(fake.requests).toHaveLength(2);
    expect(userTexts(1).at(-1)).toBe("B\n\nC");
  });

  it("steer injects the message into the active run after its current step", async () => {
    fake.requests.length = 0;
    fake.enqueue({ toolCalls: [{ name: "ls", args: {} }], delayMs: 150 }, { text: "steered answer" });
    const a = await send("steer", "A");
    const b = await send("steer", "also B", "steer");
    expect(b.disposition).toBe("steered");
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect(ra.runId).toBe(rb.runId);
    expect(ra.reply).toBe("steered answer");
    expect(fake.requests).toHaveLength(2);
    expect(userTexts(1)).toEqual(["A", "also B"]);
  });

  it("interrupt stops the active run, audits queue.preempt and answers the new message", async () => {
    fake.requests.length = 0;
    fake.enqueue({ text: "too slow", delayMs: 3_000 }, { text: "fresh answer" });
    const a = await send("interrupt", "long task");
    await waitFor(() => fake.requests.length === 1);
    const b = await send("interrupt", "never mind", "interrupt");
    expect(b.disposition).toBe("interrupting");
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect(ra.status).toBe("interrupted");
    expect(rb.status).toBe("succeeded");
    expect(rb.reply).toBe("fresh answer");
    const preempt = await app.store.audit.list({ kind: "queue.preempt" });
    expect(preempt[0]?.runId).toBe(ra.runId);
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}
