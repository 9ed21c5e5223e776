// Wrongly shaped platform payloads through a running gateway and channel manager: Telegram (webhook and getUpdates)
// and Slack (Events API webhook and Socket Mode) acknowledge them without a 5xx, record them (warn log, inbound outcome
// `malformed` in /metrics), and answer the next good message.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { signSlackRequest, startSlackFake, type SlackFake } from "../../test/fakes/slack-api.ts";
import { startTelegramFake, type TelegramFake } from "../../test/fakes/telegram-api.ts";
import { echoLastUserMessage, until } from "../../test/e2e/harness.ts";
import { startInProcessGateway, type InProcessGateway } from "../../test/support/in-process-gateway.ts";
import type { App } from "../app.ts";
import type { RunningGateway } from "../gateway/gateway-server.ts";

const HOOK_TOKEN = "111:TEST-token"; // the fake's default bot, in webhook mode
const POLL_TOKEN = "222:POLL-token";
const TG_SECRET = "tg-secret";
const SLACK_SECRET = "slack-signing-secret";
const ALICE = { id: 42, is_bot: false, first_name: "Alice" };
const ANN = "U0ANN";
const WAIT_MS = 15_000; // well under the test timeout, so a stuck intake fails with a message

let tg: TelegramFake;
let slack: SlackFake;
let model: FakeModelServer;
let served: InProcessGateway | undefined;
let app: App;
let gw: RunningGateway;
const logs: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  tg = await startTelegramFake();
  tg.addBot({ token: POLL_TOKEN, id: 222, username: "pincer_poll_bot" });
  tg.addChat(HOOK_TOKEN, { id: ALICE.id, type: "private" }); // webhook updates bypass the fake: it must know the chat
  slack = await startSlackFake();
  slack.addUser(ANN, "Ann");
  model = await startFakeOpenAI({ apiKeys: ["k"] });
  echoLastUserMessage(model);
  const slackAccount = `bot_token: '${slack.botToken}', api_root: '${slack.apiRoot}', dm_policy: open`;
  const yaml = [
    "models:",
    `  providers: { fake: { type: openai-compatible, base_url: '${model.baseURL}', api_key: k } }`,
    "  tiers: { default: { primary: fake/m } }",
    "channels:",
    "  telegram:",
    "    accounts:",
    `      hook: { token: '${HOOK_TOKEN}', api_root: '${tg.apiRoot}', dm_policy: open, mode: webhook, webhook_url: 'https://bot.example.test/channels/telegram/hook/webhook', webhook_secret: ${TG_SECRET} }`,
    `      poll: { token: '${POLL_TOKEN}', api_root: '${tg.apiRoot}', dm_policy: open }`,
    "  slack:",
    "    accounts:",
    `      http: { ${slackAccount}, mode: http, signing_secret: ${SLACK_SECRET} }`,
    `      sock: { ${slackAccount}, app_token: '${slack.appToken}' }`,
  ].join("\n");
  const logger = pino({ level: "warn" }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  served = await startInProcessGateway({ prefix: "pincer-malformed-", yaml, logger });
  ({ app, gw } = served);
}, 60_000);

afterAll(async () => {
  await served?.close();
  await Promise.all([tg?.close(), slack?.close(), model?.close()]);
});

const malformed = (channel: string, account: string): number => app.channels?.stats.inbound.get(`${channel}/${account}/malformed`) ?? 0;
const warned = (account: string): Array<Record<string, unknown>> => logs.filter((l) => l.msg === "malformed inbound payload skipped" && l.account === account);
const deepArray = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);
const date = (): number => Math.floor(Date.now() / 1000);
const tgMessage = (id: number, fields: Record<string, unknown>): Record<string, unknown> => ({
  message_id: id, date: date(), chat: { id: ALICE.id, type: "private" }, from: ALICE, text: `message ${id}`, ...fields,
});

describe("Telegram", () => {
  it("webhook: acknowledges wrongly shaped updates with 200, records them, and answers the next good one", async () => {
    const post = (body: string) =>
      fetch(`${gw.url}/channels/telegram/hook/webhook`, { method: "POST", body, headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET } });
    const bad = [
      JSON.stringify({ update_id: 1, message: { message_id: 1, date: date(), from: ALICE, text: "no chat" } }),
      JSON.stringify({ update_id: 2, message: tgMessage(2, { entities: { type: "mention", offset: 0, length: 3 } }) }),
      JSON.stringify({ update_id: 3, message: tgMessage(3, { entities: [{ type: "text_mention", offset: 0, length: 3 }] }) }),
      JSON.stringify({ update_id: 4, message: tgMessage(4, { photo: "big.jpg" }) }),
      JSON.stringify({ update_id: 5, message: 7 }),
      JSON.stringify([1, 2]),
      "null",
      "42",
      `{"update_id":6,"message":{"chat":${deepArray(100_000)}}}`,
    ];
    const statuses = [];
    for (const body of bad) statuses.push((await post(body)).status);
    expect(statuses).toEqual(bad.map(() => 200));
    expect(malformed("telegram", "hook")).toBe(bad.length);
    expect(warned("hook")[0]).toMatchObject({ channel: "telegram", problem: "not a Telegram Update: message.chat: Invalid input: expected object, received undefined" });

    expect((await post(JSON.stringify({ update_id: 10, message: tgMessage(10, { text: "still here" }) }))).status).toBe(200);
    await until("the answer", () => tg.sent.find((s) => s.token === HOOK_TOKEN && s.text === "echo: still here"), WAIT_MS);
  }, 60_000);

  it("polling: skips and records wrongly shaped updates, advances past them, and answers the next good one", async () => {
    for (const message of [{ message_id: 1, date: date(), text: "no chat" }, tgMessage(2, { entities: "@x" }), null, [1, 2], 42]) {
      tg.injectUpdate(POLL_TOKEN, { message } as never);
    }
    tg.dmFrom(POLL_TOKEN, ALICE, "polled fine");
    await until("the answer", () => tg.sent.find((s) => s.token === POLL_TOKEN && s.text === "echo: polled fine"), WAIT_MS);
    expect(malformed("telegram", "poll")).toBe(5);
    await until("the offset past every update", () => tg.pendingUpdates(POLL_TOKEN).length === 0, WAIT_MS);
  }, 60_000);
});

describe("Slack", () => {
  const ts = (): string => `${date()}.${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
  const dm = (fields: Record<string, unknown>): Record<string, unknown> => ({ type: "message", channel: "D0CAT", channel_type: "im", user: "U0CAT", text: "hi", ts: ts(), ...fields });

  it("Events API: answers wrongly shaped events 200 and other garbage 400 (never 500), records them, and answers the next good one", async () => {
    const post = (payload: unknown) => {
      const body = JSON.stringify(payload);
      return fetch(`${gw.url}/channels/slack/http/events`, { method: "POST", body, headers: signSlackRequest(body, SLACK_SECRET) });
    };
    const callback = (event: unknown) => ({ type: "event_callback", event_id: `Ev${ts()}`, event });
    const events = [dm({ text: 42 }), dm({ subtype: "file_share", files: { id: "F1" } }), dm({ files: ["F1"] }), dm({ user: [[["U0CAT"]]] }), dm({ channel: null })];
    const statuses = [];
    for (const event of events) statuses.push((await post(callback(event))).status);
    for (const garbage of [[1, 2], null, 42, callback([]), callback("x")]) statuses.push((await post(garbage)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 400, 400, 400, 200, 200]);
    expect(malformed("slack", "http")).toBe(10);
    expect(warned("http")[0]).toMatchObject({ channel: "slack", problem: "Slack message event: event.text: Invalid input: expected string, received number" });

    expect((await post(callback(dm({ text: "still here" })))).status).toBe(200);
    await until("the answer", () => slack.sent.find((s) => s.channel === "D0CAT" && s.text === "echo: still here"), WAIT_MS);
  }, 60_000);

  it("Socket Mode: acknowledges and records wrongly shaped events, and answers the next good one", async () => {
    const envelopes = [
      slack.injectEvent({ type: "message", channel: "D0ANN", channel_type: "im", user: ANN, text: 42, ts: ts() }),
      slack.injectEvent({ type: "message", subtype: "file_share", channel: "D0ANN", channel_type: "im", user: ANN, text: "f", files: { id: "F1" }, ts: ts() }),
      slack.injectEvent({ type: "app_mention", channel: "D0ANN", user: ANN, text: "x", ts: 17 }),
    ].map((e) => e.envelopeId);
    slack.dm(ANN, "socket fine");
    await until("the answer", () => slack.sent.find((s) => s.channel === "D0ANN" && s.text === "echo: socket fine"), WAIT_MS);
    expect(envelopes.every((id) => slack.acks.includes(id))).toBe(true);
    expect(malformed("slack", "sock")).toBe(3);
  }, 60_000);
});

describe("metrics", () => {
  it("counts malformed payloads as pincer_channel_inbound_total{outcome=\"malformed\"}", async () => {
    const text = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: "Bearer gw-token" } })).text();
    expect(text).toMatch(/pincer_channel_inbound_total\{channel="telegram",account="hook",outcome="malformed"\} 9/);
    expect(text).toMatch(/pincer_channel_inbound_total\{channel="slack",account="sock",outcome="malformed"\} 3/);
  });
});
