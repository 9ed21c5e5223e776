// Schedules end to end on the embedded runtime: `pincer gateway` as a process with the Telegram Bot API fake; a schedule
// written straight into its store (as `pincer cron add` does) fires every 2 seconds and each answer reaches the chat
// through the normal reply path, once per fire; NO_REPLY sends nothing.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSchedule } from "../../src/automation/schedule-input.ts";
import { openSqliteStore, type Store } from "../../src/store/index.ts";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import { fakeProviderConfig, makeHome, startGatewayProcess, telegramAccountConfig, TEST_GATEWAY_TOKEN, until, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";

const fx = useCliFixture();
const CHAT = 501;

describe("schedules on the embedded gateway", () => {
  let tg: TelegramFake;
  let home: Home;
  let gw: GatewayProcess;
  let store: Store;
  const sentToChat = () => tg.sent.filter((s) => s.chat_id === String(CHAT));

  beforeAll(async () => {
    tg = await startTelegramFake();
    tg.addChat(tg.token, { id: CHAT, type: "private" });
    fx.fake.setFallback((req) => {
      const messages = (req.body as { messages: Array<{ role: string; content: unknown }> }).messages;
      const last = JSON.stringify([...messages].reverse().find((m) => m.role === "user")?.content ?? "");
      return { text: last.includes("stay quiet") ? "NO_REPLY" : `answer to: ${last.includes("time check") ? "time check" : last}` };
    });
    home = await makeHome(fakeProviderConfig(fx.fake.baseURL, telegramAccountConfig(tg)));
    gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { env: { PINCER_LOG_LEVEL: "warn" } });
    await until("the channel to connect", () => /channel telegram\/default: connected/.test(gw.output()));
    store = await openSqliteStore({ path: join(home.dir, "pincer.db") });
  }, 90_000);

  afterAll(async () => {
    gw?.child.kill("SIGTERM");
    await gw?.exited;
    await store?.close();
    await tg?.close();
    await home?.cleanup();
  }, 30_000);

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
    await new Promise((r) => setTimeout(r, 500));
    expect(sentToChat().length).toBe(before);
  }, 30_000);
});
