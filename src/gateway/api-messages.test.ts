// POST /api/v1/messages in memory, against a recording stand-in for the running channels: which account, what the
// errors name, the idempotency key, and the audit record. The real delivery path is covered end to end in
// test/e2e/everyday-cli.test.ts with the Telegram fake.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { createApp, type App } from "../app.ts";
import { configSchema } from "../core/config-schema.ts";
import { makeHome, TEST_GATEWAY_TOKEN, type Home } from "../../test/e2e/harness.ts";
import type { ChannelsView, GatewayContext } from "./gateway-context.ts";
import type { MessageSending } from "./api-messages.ts";
import { createHttpApp } from "./http-app.ts";
import { createGatewayMetrics } from "./metrics.ts";

const AUTH = { authorization: `Bearer ${TEST_GATEWAY_TOKEN}`, "content-type": "application/json" };
const tokens = { verify: (t: string) => t === TEST_GATEWAY_TOKEN };
let home: Home;
let app: App;
let ctx: GatewayContext;

type Outcome = Awaited<ReturnType<MessageSending["sendMessage"]>>;
const sent: Array<Parameters<MessageSending["sendMessage"]>[0]> = [];
let next: Outcome | Error = { status: "sent", messages: 1 };

const channels: ChannelsView & MessageSending = {
  webhook: () => undefined,
  status: () => [],
  stats: { inbound: new Map(), replies: new Map() },
  async sendMessage(msg) {
    sent.push(msg);
    if (next instanceof Error) throw next;
    return next;
  },
};

beforeAll(async () => {
  home = await makeHome();
  app = await createApp({ env: { PINCER_HOME: home.dir }, logger: pino({ level: "silent" }) });
  const config = configSchema.parse({
    channels: {
      telegram: { accounts: { default: { token: "1:a" }, work: { token: "2:b" } } },
      discord: { accounts: { bot: { token: "d" } } },
      slack: { accounts: { off: { bot_token: "xoxb-1", app_token: "xapp-1", enabled: false } } },
    },
  });
  ctx = { ...app, config, channels, agentConfig: app.agentConfig };
});

afterAll(async () => {
  await app.close();
  await home.cleanup();
});

type JsonResponse = Omit<Response, "json"> & { json(): Promise<any> };
const post = (body: unknown, opts: { headers?: Record<string, string>; on?: GatewayContext } = {}) =>
  createHttpApp({ ctx: opts.on ?? ctx, tokens, metrics: createGatewayMetrics() }).request("/api/v1/messages", {
    method: "POST",
    headers: { ...AUTH, ...opts.headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }) as Promise<JsonResponse>;

describe("POST /api/v1/messages", () => {
  it("sends through the named account with the caller's idempotency key and audits it", async () => {
    next = { status: "sent", messages: 2 };
    const res = await post({ channel: "telegram", account: "work", to: "501", text: "hello" }, { headers: { "idempotency-key": "job-7" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "sent", channel: "telegram", account: "work", to: "501", messages: 2, idempotencyKey: "job-7" });
    expect(sent.at(-1)).toEqual({ channel: "telegram", account: "work", to: "501", text: "hello", idempotencyKey: "job-7" });
    const [audit] = await app.store.audit.list({ kind: "message.sent", limit: 1 });
    expect(audit?.detail).toMatchObject({ channel: "telegram", account: "work", to: "501", chars: 5, idempotencyKey: "job-7", duplicate: false });
  });

  it("picks `default`, or the only account; generates a key when none is given; reports a repeat", async () => {
    next = { status: "duplicate" };
    const tg = await (await post({ channel: "telegram", to: "1", text: "x" })).json();
    expect(tg).toMatchObject({ status: "duplicate", account: "default", messages: 0 });
    expect(tg.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    next = { status: "sent", messages: 1 };
    expect(await (await post({ channel: "discord", to: "1", text: "x" })).json()).toMatchObject({ account: "bot" });
  });

  it("answers unknown channels, accounts and bad fields with a 4xx naming them", async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ channel: "fax", to: "1", text: "x" }, 400, "channel"],
      [{ channel: "telegram", account: "nope", to: "1", text: "x" }, 404, "account"],
      [{ channel: "whatsapp", to: "1", text: "x" }, 404, "channel"],
      [{ channel: "telegram", to: "has space", text: "x" }, 400, "to"],
      [{ channel: "telegram", to: "1", text: "" }, 400, "text"],
      [{ channel: "telegram", to: "1" }, 400, "text"],
      [{ channel: "telegram", to: "1", text: "x", extra: 1 }, 400, "body"],
      ["not json", 400, "body"],
    ];
    for (const [body, status, param] of cases) {
      const res = await post(body);
      expect([res.status, (await res.json()).error.param]).toEqual([status, param]);
    }
    const key = await post({ channel: "telegram", to: "1", text: "x" }, { headers: { "idempotency-key": "no spaces allowed" } });
    expect(key.status).toBe(400);
    const disabled = await post({ channel: "slack", account: "off", to: "1", text: "x" });
    expect([disabled.status, (await disabled.json()).error.type]).toEqual([409, "channel_unavailable"]);
  });

  it("maps what the channel says: not connected → 503, refused → 502, platform down → 503 with Retry-After", async () => {
    next = { status: "unavailable", state: "reconnecting", detail: "network down" };
    const down = await post({ channel: "telegram", to: "1", text: "x" });
    expect([down.status, (await down.json()).error.message]).toEqual([503, "telegram/default is reconnecting: network down. Fix: see 'pincer channels status'"]);
    next = { status: "failed", error: "chat not found" };
    const refused = await post({ channel: "telegram", to: "1", text: "x" });
    expect([refused.status, (await refused.json()).error.type]).toEqual([502, "delivery_failed"]);
    const { ChannelError } = await import("../core/errors.ts");
    next = new ChannelError({ code: "network", message: "Telegram is unreachable", channel: "telegram", retryable: true, retryAfterMs: 3_000 });
    const flaky = await post({ channel: "telegram", to: "1", text: "x" });
    expect([flaky.status, flaky.headers.get("retry-after")]).toEqual([503, "3"]);
    const early = await post({ channel: "telegram", to: "1", text: "x" }, { on: { ...ctx, channels: undefined } });
    expect(early.status).toBe(503);
  });

  it("needs the gateway token", async () => {
    const res = await post({ channel: "telegram", to: "1", text: "x" }, { headers: { authorization: "Bearer wrong-token-wrong-token-1234" } });
    expect(res.status).toBe(401);
  });
});
