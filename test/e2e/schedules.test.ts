// Schedules end to end on the embedded runtime: `pincer gateway` as a process with the Telegram Bot API fake; a schedule
// written straight into its store (as `pincer cron add` does) fires every 2 seconds and each answer reaches the chat
// through the normal reply path, once per fire; NO_REPLY sends nothing. And the heartbeat, ticking every 2 seconds.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSchedule } from "../../src/automation/schedule-input.ts";
import { openSqliteStore, type Store } from "../../src/store/index.ts";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import { fakeProviderConfig, makeHome, startGatewayProcess, telegramAccountConfig, TEST_GATEWAY_TOKEN, until, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";

const fx = useCliFixture();
const CHAT = 501;

/** A gateway process with the Telegram fake's chat CHAT connected, and its store opened beside it. */
interface TelegramGateway { tg: TelegramFake; home: Home; gw: GatewayProcess; store: Store; close(): Promise<void> }

async function startTelegramGateway(extraYaml = "", prepare?: (home: Home) => Promise<void>): Promise<TelegramGateway> {
  const tg = await startTelegramFake();
  tg.addChat(tg.token, { id: CHAT, type: "private" });
  const home = await makeHome(fakeProviderConfig(fx.fake.baseURL, telegramAccountConfig(tg)) + extraYaml);
  await prepare?.(home);
  const gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { env: { PINCER_LOG_LEVEL: "warn" } });
  await until("the channel to connect", () => /channel telegram\/default: connected/.test(gw.output()));
  const store = await openSqliteStore({ path: join(home.dir, "pincer.db") });
  return {
    tg, home, gw, store,
    async close() {
      gw.child.kill("SIGTERM");
      await gw.exited;
      await store.close();
      await tg.close();
      await home.cleanup();
    },
  };
}

describe("schedules on the embedded gateway", () => {
  let tg: TelegramFake;
  let store: Store;
  const sentToChat = () => tg.sent.filter((s) => s.chat_id === String(CHAT));

  let running: TelegramGateway | undefined;

  beforeAll(async () => {
    fx.fake.setFallback((req) => {
      const messages = (req.body as { messages: Array<{ role: string; content: unknown }> }).messages;
      const last = JSON.stringify([...messages].reverse().find((m) => m.role === "user")?.content ?? "");
      return { text: last.includes("stay quiet") ? "NO_REPLY" : `answer to: ${last.includes("time check") ? "time check" : last}` };
    });
    running = await startTelegramGateway();
    ({ tg, store } = running);
  }, 90_000);

  afterAll(async () => running?.close(), 30_000);

  const create = (input: Record<string, unknown>) =>
    store.schedules.create(buildSchedule({ message: "time check", ...input }, { now: Date.now(), createdBy: "cli", knownAgent: () => true }));

  it("a 2-second schedule delivers each fire's answer to the chat once", async () => {
    const schedule = await create({ name: "tick", every: "2s", deliver: `telegram:default:${CHAT}` });
    await until("two answers in the chat", () => sentToChat().filter((s) => s.text === "answer to: time check").length >= 2, 30_000);
    await store.schedules.update(schedule.id, { suspended: true });
    // Every fire started before the suspension finishes and is delivered.
    const fires = await until("the fires to finish", async () => {
      const list = await store.schedules.fires(schedule.id);
      return list.length >= 2 && list.every((f) => f.status !== "started") ? list : undefined;
    });
    expect(fires.every((f) => f.status === "succeeded" && f.delivery === "sent")).toBe(true);
    // On the 2-second grid of the schedule, each planned time once.
    const times = fires.map((f) => f.fireAt);
    expect(new Set(times).size).toBe(times.length);
    for (const t of times) expect((t - schedule.createdAt) % 2_000).toBe(0);
    const runs = (await store.runs.list({ limit: 100 })).filter((r) => r.trigger === "schedule");
    expect(runs).toHaveLength(fires.length);
    expect(new Set(runs.map((r) => r.sessionKey)).size).toBe(fires.length); // isolated: a fresh session per fire
    expect(runs.every((r) => r.origin?.chatId === String(CHAT))).toBe(true);
    await until("every answer delivered", () => sentToChat().filter((s) => s.text === "answer to: time check").length === fires.length);
  }, 60_000);

  it("NO_REPLY sends nothing to the chat", async () => {
    const before = sentToChat().length;
    const schedule = await create({ name: "quiet", at: new Date(Date.now() + 1_000).toISOString(), message: "stay quiet", deliver: `telegram:default:${CHAT}` });
    const [fire] = await until("the fire to finish", async () => {
      const list = await store.schedules.fires(schedule.id);
      return list.length === 1 && list[0]!.status !== "started" ? list : undefined;
    });
    expect(fire).toMatchObject({ status: "succeeded", delivery: "none" });
    expect((await store.schedules.get(schedule.id))?.nextFireAt).toBeUndefined();
    // A later fire's answer reaches the chat through the same reply path: nothing came before it for the quiet one.
    await create({ name: "after-quiet", at: new Date(Date.now() + 1_000).toISOString(), message: "after the quiet one", deliver: `telegram:default:${CHAT}` });
    await until("the later answer", () => sentToChat().length > before, 30_000);
    expect(sentToChat().slice(before).map((s) => s.text)).toEqual(["answer to: \"after the quiet one\""]);
  }, 30_000);
});

// The heartbeat on a real gateway: ticks every 2 s; with nothing open in HEARTBEAT.md no tick calls the model; with an
// open item each tick is one light call without history, a HEARTBEAT_OK answer stays out of the chat, another one arrives.
describe("the heartbeat on the embedded gateway", () => {
  let tg: TelegramFake;
  let home: Home;
  let store: Store;
  let reply = "HEARTBEAT_OK";
  const heartbeatCalls = () => fx.fake.requests.filter((r) => JSON.stringify(r.body).includes("Open items (HEARTBEAT.md)"));
  const ticks = () => store.schedules.fires("heartbeat:default", { limit: 100 });

  let running: TelegramGateway | undefined;

  beforeAll(async () => {
    fx.fake.setFallback(() => ({ text: reply }));
    running = await startTelegramGateway(`\nheartbeat:\n  every: 2s\n  tz: UTC\n  deliver: "telegram:default:${CHAT}"\n`, async (h) => {
      await mkdir(h.workspace, { recursive: true });
      await writeFile(join(h.workspace, "HEARTBEAT.md"), "# Heartbeat\n\n<!-- nothing yet -->\n- [x] done already\n");
    });
    ({ tg, home, store } = running);
  }, 90_000);

  afterAll(async () => running?.close(), 30_000);

  it("idle ticks make no model call; an open item makes one light call per tick; HEARTBEAT_OK is not delivered", async () => {
    const idle = await until("three idle ticks", async () => {
      const list = await ticks();
      return list.filter((t) => t.status === "skipped").length >= 3 ? list : undefined;
    }, 30_000);
    expect(idle.every((t) => t.status === "skipped" && t.reason === "nothing to do" && t.runId === undefined)).toBe(true);
    expect(heartbeatCalls()).toHaveLength(0);

    await writeFile(join(home.workspace, "HEARTBEAT.md"), "# Heartbeat\n\n- [ ] Tell me if the build on main is red\n");
    await until("two heartbeat calls", () => heartbeatCalls().length >= 2, 30_000);
    for (const call of heartbeatCalls()) {
      const messages = (call.body as { messages: Array<{ role: string }> }).messages;
      expect(messages.map((m) => m.role)).toEqual(["system", "user"]); // no history, one input
    }
    expect(sentToChatOf(tg)).toHaveLength(0); // HEARTBEAT_OK each time

    reply = "The build on main is red.";
    await until("the heartbeat's message in the chat", () => sentToChatOf(tg).some((s) => s.text === reply), 30_000);
    const runs = (await store.runs.list({ limit: 100 })).filter((r) => r.trigger === "heartbeat");
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(new Set(runs.map((r) => r.sessionKey)).size).toBe(runs.length); // a fresh session per tick
  }, 90_000);
});

function sentToChatOf(tg: TelegramFake) {
  return tg.sent.filter((s) => s.chat_id === String(CHAT));
}
