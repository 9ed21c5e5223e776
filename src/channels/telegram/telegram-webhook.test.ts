// Webhook mode against the fake Bot API: config checks, setWebhook at start, and the request handler's
// verification (secret, content type, Update shape) before anything is delivered.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTelegramFake } from "../../../test/fakes/telegram-api.ts";
import type { TelegramFake } from "../../../test/fakes/telegram-api.ts";
import { RecordingSink, makeTestChannel } from "../../../test/support/telegram.ts";
import { ConfigError } from "../../core/errors.ts";
import { hasWebhook } from "../kit/channel.ts";
import type { Channel, WebhookCapable } from "../kit/channel.ts";

const TOKEN = "111:TEST-token";
const SECRET = "s3cret_value-1";
const URL_ = "https://bot.example.test/channels/telegram/main/webhook";
const ALICE = { id: 42, first_name: "Alice" };

let fake: TelegramFake;
let channels: Channel[];

beforeEach(async () => {
  fake = await startTelegramFake({ bots: [{ token: TOKEN, id: 111, username: "pincer_test_bot" }] });
  channels = [];
});
afterEach(async () => {
  await Promise.all(channels.map((c) => c.stop()));
  await fake.close();
});

function webhookChannel(config: Record<string, unknown> = { webhook_url: URL_, webhook_secret: SECRET }): Channel & WebhookCapable {
  const ch = makeTestChannel({ token: TOKEN, apiRoot: fake.apiRoot, account: "main", config: { mode: "webhook", ...config } });
  channels.push(ch);
  if (!hasWebhook(ch)) throw new Error("webhook mode should be WebhookCapable");
  return ch;
}

async function startedWebhook(): Promise<{ ch: Channel & WebhookCapable; sink: RecordingSink }> {
  const ch = webhookChannel();
  const sink = new RecordingSink();
  await ch.start(sink);
  return { ch, sink };
}

/** An update as Telegram would POST it (built by the fake, never queued for polling consumers here). */
function dmUpdate(text: string): unknown {
  return fake.dmFrom(TOKEN, ALICE, text).update;
}

describe("TelegramWebhookChannel", () => {
  it("registers the webhook URL and secret at start", async () => {
    const { ch } = await startedWebhook();
    expect(ch.webhookPath).toBe("/channels/telegram/main/webhook");
    expect(fake.webhookOf(TOKEN)).toEqual({ url: URL_, secret_token: SECRET, allowed_updates: ["message"] });
    expect(ch.health()).toMatchObject({ state: "connected", identity: "@pincer_test_bot" });
    expect(fake.polls(TOKEN)).toEqual([]);
  });

  it("refuses to start without a webhook URL or secret, naming the key", async () => {
    const noUrl = webhookChannel({ webhook_secret: SECRET });
    const err = await noUrl.start(new RecordingSink()).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).keyPath).toBe("channels.telegram.accounts.main.webhook_url");
    expect(noUrl.health().state).toBe("failed");
    const noSecret = webhookChannel({ webhook_url: URL_ });
    await expect(noSecret.start(new RecordingSink())).rejects.toMatchObject({ keyPath: "channels.telegram.accounts.main.webhook_secret" });
    expect(fake.webhookOf(TOKEN)).toBeUndefined();
  });

  it("delivers a verified update and answers 200", async () => {
    const { ch, sink } = await startedWebhook();
    const res = await ch.handleWebhook(fake.webhookRequest(TOKEN, dmUpdate("via webhook")));
    expect(res.status).toBe(200);
    expect(sink.messages.map((m) => [m.text, m.chat.kind, m.account])).toEqual([["via webhook", "dm", "main"]]);
  });

  it("answers 401 without the right secret and delivers nothing", async () => {
    const { ch, sink } = await startedWebhook();
    const missing = await ch.handleWebhook(fake.webhookRequest(TOKEN, dmUpdate("a"), { secret: null }));
    const wrong = await ch.handleWebhook(fake.webhookRequest(TOKEN, dmUpdate("b"), { secret: "guess" }));
    expect([missing.status, wrong.status]).toEqual([401, 401]);
    expect(await missing.json()).toEqual({ ok: false, error: "missing X-Telegram-Bot-Api-Secret-Token header" });
    expect(sink.attempts).toBe(0);
  });

  it("answers 415 for a non-JSON content type and 400 for a body that is not JSON; acknowledges and reports a wrongly shaped update", async () => {
    const { ch, sink } = await startedWebhook();
    const statuses = await Promise.all([
      ch.handleWebhook(fake.webhookRequest(TOKEN, "update_id=1", { contentType: "text/plain" })),
      ch.handleWebhook(fake.webhookRequest(TOKEN, "{not json")),
      ch.handleWebhook(fake.webhookRequest(TOKEN, { message: { text: "no id" } })),
      ch.handleWebhook(fake.webhookRequest(TOKEN, [1, 2])),
    ]).then((all) => all.map((r) => r.status));
    expect(statuses).toEqual([415, 400, 200, 200]);
    expect(sink.attempts).toBe(0);
    expect(sink.malformed).toEqual([
      "the webhook body is not valid JSON",
      "not a Telegram Update: update_id: Invalid input: expected number, received undefined",
      "not a Telegram Update: Invalid input: expected object, received array",
    ]);
  });

  it("refuses a missing or wrong secret and a non-JSON content type before reading the body; 413 past 1 MiB", async () => {
    const { ch, sink } = await startedWebhook();
    const big = (headers: Record<string, string>): Request => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({ pull: (c) => (sent++ < 2_048 ? c.enqueue(new Uint8Array(1024)) : c.close()) }); // 2 MiB
      return new Request(URL_, { method: "POST", headers, body, duplex: "half" } as RequestInit);
    };
    const secret = { "x-telegram-bot-api-secret-token": SECRET };
    const requests = [
      big({ "content-type": "application/json" }),
      big({ "content-type": "application/json", "x-telegram-bot-api-secret-token": "guess" }),
      big({ "content-type": "text/plain", ...secret }),
      big({ "content-type": "application/json", ...secret }),
    ];
    const answers = [];
    for (const req of requests) answers.push(await ch.handleWebhook(req));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 415, 413]);
    expect(requests.map((r) => r.bodyUsed)).toEqual([false, false, false, true]);
    expect(answers[3]?.headers.get("connection")).toBe("close");
    expect(sink.attempts).toBe(0);
  });

  it("answers 500 when the sink refuses (Telegram retries), 200 for ignored updates, 503 once stopped", async () => {
    const { ch, sink } = await startedWebhook();
    sink.refuse = 1;
    const update = dmUpdate("retry me");
    expect((await ch.handleWebhook(fake.webhookRequest(TOKEN, update))).status).toBe(500);
    expect((await ch.handleWebhook(fake.webhookRequest(TOKEN, update))).status).toBe(200);
    expect(sink.messages).toHaveLength(1);
    expect((await ch.handleWebhook(fake.webhookRequest(TOKEN, { update_id: 5, edited_message: {} }))).status).toBe(200);
    await ch.stop();
    expect((await ch.handleWebhook(fake.webhookRequest(TOKEN, dmUpdate("late")))).status).toBe(503);
    expect(sink.messages).toHaveLength(1);
  });
});
