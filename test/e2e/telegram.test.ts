// Telegram end to end, on both runtimes: `pincer gateway` as a process (embedded; or control + worker on NATS
// JetStream and PostgreSQL) talking to the loopback Bot API fake with the real grammY client.
// Pairing, approval, mention gating with quiet context, chat commands, chunking, retried 5xx, duplicates.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import { echoLastUserMessage, fakeProviderConfig, makeHome, startGatewayProcess, startWorkerProcess, telegramAccountConfig, TEST_GATEWAY_TOKEN, until, useCliFixture, type GatewayProcess, type Home, type WorkerProcess } from "./harness.ts";

const NATS_URL = process.env.PINCER_TEST_NATS_URL ?? "nats://127.0.0.1:4222";
const PG_URL = process.env.PINCER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const fx = useCliFixture();

async function clusterMissing(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    const { connect } = await import("@nats-io/transport-node");
    await (await connect({ servers: NATS_URL, timeout: 2_000 })).close();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
const missing = await clusterMissing();
if (missing && process.env.CI) throw new Error(`the cluster Telegram suite needs NATS and PostgreSQL: ${missing}`);

const GROUP = { id: -1001, type: "supergroup" as const, title: "Team" };
const ANN = { id: 501, first_name: "Ann", username: "ann" };
const BOB = { id: 502, first_name: "Bob" };


const echo = (): void => echoLastUserMessage(fx.fake);

for (const runtime of ["embedded", "cluster"] as const) {
  describe.skipIf(runtime === "cluster" && missing !== undefined)(`Telegram on the ${runtime} runtime`, () => {
    let tg: TelegramFake;
    let home: Home;
    let gw: GatewayProcess;
    let worker: WorkerProcess | undefined;
    const instance = `tg${randomBytes(3).toString("hex")}`;
    const env: Record<string, string> = runtime === "cluster"
      ? { PINCER_BUS_URL: NATS_URL, PINCER_STORE_URL: PG_URL, PINCER_INSTANCE: instance, PINCER__BUS__ACK_WAIT_MS: "2000", PINCER_LOG_LEVEL: "warn" }
      : { PINCER_LOG_LEVEL: "warn" };
    const sentTo = (chatId: number) => tg.sent.filter((s) => s.chat_id === String(chatId));
    const modelCalls = () => fx.fake.requests.length;

    beforeAll(async () => {
      tg = await startTelegramFake();
      echo();
      // Not fx.home: that one is removed after each test, and this gateway lives for the whole suite.
      home = await makeHome(
        fakeProviderConfig(fx.fake.baseURL, telegramAccountConfig(tg, ["groups:", `  "${GROUP.id}": {}`])),
      );
      gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, runtime === "cluster" ? { args: ["--role", "control"], env } : { env });
      if (runtime === "cluster") worker = await startWorkerProcess(home, { env });
      await until("the channel to connect", () => /channel telegram\/default: connected/.test(gw.output()));
    }, 120_000);

    afterAll(async () => {
      gw?.child.kill("SIGTERM");
      worker?.child.kill("SIGTERM");
      await Promise.all([gw?.exited, worker?.exited]);
      await tg?.close();
      await home?.cleanup();
      if (runtime === "cluster") {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "pincer_${instance}" CASCADE`);
        await client.end();
        const { connect } = await import("@nats-io/transport-node");
        const { jetstreamManager } = await import("@nats-io/jetstream");
        const nc = await connect({ servers: NATS_URL });
        const jsm = await jetstreamManager(nc);
        for (const name of [`PINCER_${instance}`, `PINCER_${instance}_DLQ`]) await jsm.streams.delete(name).catch(() => undefined);
        await nc.close();
      }
    }, 60_000);

    it("gives an unknown DM a pairing code without calling the model; approval lets the next DM through", async () => {
      const before = modelCalls();
      tg.dmFrom(tg.token, ANN, "hello?");
      const [pairing] = await until("the pairing code", () => (sentTo(ANN.id).length >= 1 ? sentTo(ANN.id) : undefined));
      const code = /pincer pairing approve telegram ([A-Z2-9]{8})/.exec(pairing!.text ?? "")?.[1];
      expect(code).toBeDefined();
      expect(code).not.toMatch(/[01OIL]/);
      expect(modelCalls()).toBe(before);

      const list = await home.cli(["pairing", "list", "--json"], { env });
      expect(JSON.parse(list.stdout).pending).toMatchObject([{ channel: "telegram", code, senderId: String(ANN.id), senderName: "Ann" }]);
      const approve = await home.cli(["pairing", "approve", "telegram", code!.toLowerCase(), "--notify"], { env });
      expect(approve.stderr).toBe("");
      expect(approve.code).toBe(0);
      await until("the approval notice", () => sentTo(ANN.id).find((s) => /approved/.test(s.text ?? "")));

      tg.dmFrom(tg.token, ANN, "what is two and two");
      const answer = await until("the answer", () => sentTo(ANN.id).find((s) => s.text === "echo: what is two and two"));
      expect(answer.parse_mode).toBe("HTML");
      expect(answer.reply_to_message_id).toBeUndefined(); // DMs are not quoted
      expect(tg.typingCount(ANN.id)).toBeGreaterThan(0);
    }, 90_000);

    it("keeps unmentioned group messages as context and answers a mention in a reply thread", async () => {
      const before = modelCalls();
      const sentBefore = sentTo(GROUP.id).length;
      tg.groupMessage(tg.token, GROUP, BOB, "the deploy is on friday");
      await new Promise((r) => setTimeout(r, 1_500));
      expect(modelCalls()).toBe(before);
      expect(sentTo(GROUP.id).length).toBe(sentBefore);

      const { message } = tg.groupMention(tg.token, GROUP, ANN, "when is the deploy?");
      const reply = await until("the group answer", () => sentTo(GROUP.id).find((s) => (s.text ?? "").startsWith("echo:")));
      expect(reply.reply_to_message_id).toBe(message.message_id);
      expect(reply.text).toContain("Bob: the deploy is on friday");
      expect(reply.text).toContain("Ann: @");
    }, 60_000);

    it("answers /status and /new without a model call", async () => {
      const before = modelCalls();
      tg.dmFrom(tg.token, ANN, "/status");
      const status = await until("the status", () => sentTo(ANN.id).find((s) => (s.text ?? "").startsWith("Agent: default")));
      expect(status.text).toMatch(/Model: default/);
      expect(status.text).toMatch(/Session: agent:default:telegram:dm:501/);
      expect(status.text).toMatch(/Tokens: \d+ in, \d+ out/);
      tg.dmFrom(tg.token, ANN, "/new");
      await until("the /new answer", () => sentTo(ANN.id).find((s) => /New conversation started/.test(s.text ?? "")));
      expect(modelCalls()).toBe(before);
    }, 60_000);

    it("sends a long answer in chunks under Telegram's limit, and retries a 5xx without duplicating", async () => {
      const paragraph = (i: number) => `Paragraph ${i}. ` + "lorem ipsum dolor sit amet ".repeat(30).trim() + ".";
      const long = Array.from({ length: 14 }, (_, i) => paragraph(i)).join("\n\n");
      fx.fake.enqueue({ text: long });
      tg.failNext("sendMessage", 1, 502);
      const before = sentTo(ANN.id).length;
      tg.dmFrom(tg.token, ANN, "tell me a lot");
      const chunks = await until("all chunks", () => {
        const mine = sentTo(ANN.id).slice(before);
        return mine.some((s) => (s.text ?? "").includes("Paragraph 13.")) ? mine : undefined;
      }, 20_000);
      expect(chunks.length).toBeGreaterThanOrEqual(3);
      for (const c of chunks) expect((c.text ?? "").length).toBeLessThanOrEqual(4096);
      const firsts = chunks.filter((c) => (c.text ?? "").startsWith("Paragraph 0."));
      expect(firsts).toHaveLength(1); // the 502 was retried once, not sent twice
      expect(chunks.map((c) => c.text).join("\n\n").replace(/\s+/g, " ")).toBe(long.replace(/\s+/g, " "));
    }, 90_000);

    it("starts no second run for a duplicate delivery of the same update", async () => {
      const before = modelCalls();
      const { message } = tg.dmFrom(tg.token, ANN, "only once please");
      await until("the answer", () => sentTo(ANN.id).find((s) => s.text === "echo: only once please"));
      tg.injectUpdate(tg.token, { message: message as Parameters<typeof tg.injectUpdate>[1]["message"] });
      await new Promise((r) => setTimeout(r, 1_500));
      expect(sentTo(ANN.id).filter((s) => s.text === "echo: only once please")).toHaveLength(1);
      expect(modelCalls()).toBe(before + 1);
    }, 60_000);

    it("reports the account's health and traffic to /api/v1/channels, /metrics and 'pincer channels status'", async () => {
      const auth = { authorization: `Bearer ${gw.token}` };
      const api = (await (await fetch(`${gw.url}/api/v1/channels`, { headers: auth })).json()) as { channels: unknown[] };
      expect(api.channels, gw.output().slice(-3000)).toMatchObject([{ channel: "telegram", account: "default", state: "connected", identity: "@pincer_test_bot" }]);
      const metrics = await (await fetch(`${gw.url}/metrics`, { headers: auth })).text();
      expect(metrics).toContain('pincer_channel_state{channel="telegram",account="default",state="connected"} 1');
      expect(metrics).toMatch(/pincer_channel_inbound_total\{channel="telegram",account="default",outcome="paired"\} 1/);
      expect(metrics).toMatch(/pincer_channel_replies_total\{channel="telegram",account="default",result="sent"\} \d+/);
      const status = await home.cli(["channels", "status", "--json"], { env });
      expect(JSON.parse(status.stdout).channels).toMatchObject([{ channel: "telegram", account: "default", state: "connected" }]);
    }, 60_000);
  });
}

describe("Telegram webhook mode through the gateway", () => {
  it("answers only requests that carry the secret; malformed or unsigned ones journal nothing", async () => {
    const tg = await startTelegramFake();
    echo();
    const home = await fx.home(
      fakeProviderConfig(fx.fake.baseURL, telegramAccountConfig(tg, [
        "mode: webhook",
        "webhook_url: https://bot.example.invalid/channels/telegram/default/webhook",
        "webhook_secret: s3cret-token",
        "dm_policy: open",
      ])),
    );
    const gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { env: { PINCER_LOG_LEVEL: "warn" } });
    try {
      await until("the webhook to be set", () => tg.webhookOf(tg.token));
      tg.addChat(tg.token, { id: 77, type: "private" });
      expect(tg.webhookOf(tg.token)).toMatchObject({ secret_token: "s3cret-token" });
      const url = `${gw.url}/channels/telegram/default/webhook`;
      const update = (id: number, text: string) => ({
        update_id: id,
        message: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: 77, type: "private" }, from: { id: 77, is_bot: false, first_name: "Cy" }, text },
      });
      const post = (body: string, headers: Record<string, string>) => fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
      const before = fx.fake.requests.length;
      expect((await post(JSON.stringify(update(1, "no secret")), {})).status).toBe(401);
      expect((await post(JSON.stringify(update(2, "wrong secret")), { "x-telegram-bot-api-secret-token": "nope" })).status).toBe(401);
      expect((await post("{not json", { "x-telegram-bot-api-secret-token": "s3cret-token" })).status).toBe(400);
      // A verified body of the wrong shape is acknowledged (Telegram would resend it otherwise) and only recorded.
      expect((await post(JSON.stringify({ hello: 1 }), { "x-telegram-bot-api-secret-token": "s3cret-token" })).status).toBe(200);
      const ok = await post(JSON.stringify(update(3, "signed hello")), { "x-telegram-bot-api-secret-token": "s3cret-token" });
      expect(ok.status).toBe(200);
      await until("the answer", () => tg.sent.find((s) => s.text === "echo: signed hello")).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${gw.output()}`);
      });
      expect(fx.fake.requests.length).toBe(before + 1);
      // Only the signed update reached ingress: one answer, nothing for the refused ones.
      expect(tg.sent.filter((s) => s.chat_id === "77")).toHaveLength(1);
    } finally {
      gw.child.kill("SIGTERM");
      await gw.exited;
      await tg.close();
    }
  }, 120_000);
});
