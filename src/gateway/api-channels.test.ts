// /api/v1/channels and /api/v1/pairing in memory: account states, last errors and inbound counts; pairing requests
// approved (with notify), denied and revoked through the API, audited like the CLI; hostile bodies.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AUTH, openApiTestApp, type ApiTestApp } from "../../test/support/api-app.ts";
import { PROTOTYPE_NAMES, TEST_GATEWAY_TOKEN } from "../../test/e2e/harness.ts";
import type { ChannelsView, GatewayContext } from "./gateway-context.ts";
import { createHttpApp } from "./http-app.ts";
import { createGatewayMetrics } from "./metrics.ts";

let t: ApiTestApp;
const HOUR = 3_600_000;

const yaml = (baseURL: string) =>
  [
    "models:", "  providers:", `    fake: { type: openai-compatible, base_url: '${baseURL}', api_key: test-key }`, "  tiers:", "    default: { primary: fake/gpt-4o-mini }",
    "channels:", "  telegram:", "    accounts:",
    "      default: { token: '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }",
    "      spare: { token: '123457:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', enabled: false }",
    "  slack:", "    accounts:", "      work: { bot_token: xoxb-1-2-abc, app_token: xapp-1-2-abc }",
  ].join("\n");

beforeAll(async () => {
  t = await openApiTestApp({ yaml });
});
afterAll(() => t.close());

describe("GET /api/v1/channels", () => {
  it("lists every configured account with its state, last error (redacted), inbound counts and replies", async () => {
    const channels: ChannelsView = {
      webhook: () => undefined,
      status: () => [
        { channel: "telegram", account: "default", state: "connected", since: 1_000, identity: "@pincer_bot" },
        { channel: "slack", account: "work", state: "reconnecting", since: 2_000, detail: "socket closed", lastError: { at: 1_500, message: "token xoxb-1111111111-SECRETSECRETSECRET rejected" } },
      ],
      stats: {
        inbound: new Map([["telegram/default/run", 3], ["telegram/default/paired", 1], ["slack/work/dropped", 2]]),
        replies: new Map([["telegram/default/sent", 3], ["slack/work/failed", 1]]),
      },
    };
    const http = createHttpApp({ ctx: { ...t.app, channels } as GatewayContext, tokens: { verify: (x) => x === TEST_GATEWAY_TOKEN }, metrics: createGatewayMetrics() });
    const body = await ((await http.request("/api/v1/channels", { headers: AUTH })) as Response).json() as { channels: unknown[] };
    expect(body.channels).toEqual([
      {
        channel: "telegram", account: "default", enabled: true, state: "connected", since: 1_000, identity: "@pincer_bot", detail: null, lastError: null,
        inbound: { total: 4, byOutcome: { run: 3, paired: 1 } }, replies: { sent: 3, failed: 0 },
      },
      { channel: "telegram", account: "spare", enabled: false, state: "disabled", since: null, identity: null, detail: null, lastError: null, inbound: { total: 0, byOutcome: {} }, replies: { sent: 0, failed: 0 } },
      {
        channel: "slack", account: "work", enabled: true, state: "reconnecting", since: 2_000, identity: null, detail: "socket closed",
        lastError: { at: 1_500, message: "token xoxb-*** rejected" }, inbound: { total: 2, byOutcome: { dropped: 2 } }, replies: { sent: 0, failed: 1 },
      },
    ]);
  });

  it("shows enabled accounts as starting before the channels run", async () => {
    const body = await (await t.get("/api/v1/channels")).json();
    expect(body.channels.map((c: { state: string }) => c.state)).toEqual(["starting", "disabled", "starting"]);
  });
});

describe("/api/v1/pairing", () => {
  const ask = (senderId: string, code: string, account = "default") =>
    t.app.store.pairing.request({ channel: "telegram", account, senderId, senderName: `n${senderId}`, chatId: `c${senderId}`, code, ttlMs: HOUR, maxPending: 3 });

  beforeEach(async () => {
    for (const r of await t.app.store.pairing.pending()) await t.app.store.pairing.deny(r.channel, r.code);
    for (const a of await t.app.store.pairing.approved()) await t.app.store.pairing.revoke(a.channel, a.account, a.senderId);
  });

  it("lists pending requests and approved senders, by channel", async () => {
    await ask("u1", "AAAAAAAA");
    expect(await (await t.get("/api/v1/pairing")).json()).toEqual({ pending: [expect.objectContaining({ senderId: "u1", code: "AAAAAAAA" })], approved: [] });
    expect((await (await t.get("/api/v1/pairing?channel=slack")).json()).pending).toEqual([]);
  });

  it("approves a code (any case) on its account, queues the approval message with notify, and audits it", async () => {
    await ask("u1", "AAAAAAAA");
    const wrongAccount = await t.send("POST", "/api/v1/pairing/approve", { channel: "telegram", account: "spare", code: "AAAAAAAA" });
    expect(wrongAccount.status).toBe(404);
    expect((await wrongAccount.json()).error.message).toBe("pending pairing request with code AAAAAAAA on telegram/spare not found");
    const res = await t.send("POST", "/api/v1/pairing/approve", { channel: "telegram", account: "default", code: " aaaaaaaa ", notify: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ approved: { senderId: "u1", account: "default" }, notified: true });
    expect(await t.app.store.pairing.isApproved("telegram", "default", "u1")).toBe(true);
    expect(await t.app.store.notices.pending("telegram", "default")).toMatchObject([{ chatId: "cu1", text: expect.stringContaining("approved") }]);
    expect((await t.app.store.audit.list({ kind: "pairing.approved", limit: 1 }))[0]).toMatchObject({ reason: "approved with the HTTP API", detail: { senderId: "u1" } });
    expect((await t.send("POST", "/api/v1/pairing/approve", { channel: "telegram", code: "AAAAAAAA" })).status).toBe(404);
  });

  it("denies a code and revokes an approved sender", async () => {
    await ask("u2", "BBBBBBBB");
    expect(await (await t.send("POST", "/api/v1/pairing/deny", { channel: "telegram", code: "BBBBBBBB" })).json()).toMatchObject({ denied: { senderId: "u2" } });
    expect(await t.app.store.pairing.pending()).toEqual([]);
    await ask("u3", "CCCCCCCC");
    await t.send("POST", "/api/v1/pairing/approve", { channel: "telegram", code: "CCCCCCCC" });
    const revoke = await t.send("POST", "/api/v1/pairing/revoke", { channel: "telegram", account: "default", senderId: "u3" });
    expect(await revoke.json()).toEqual({ revoked: { channel: "telegram", account: "default", senderId: "u3" } });
    expect(await t.app.store.pairing.isApproved("telegram", "default", "u3")).toBe(false);
    expect((await t.app.store.audit.list({ kind: "pairing.revoked" })).length).toBe(1);
    expect((await t.send("POST", "/api/v1/pairing/revoke", { channel: "telegram", account: "default", senderId: "u3" })).status).toBe(404);
  });

  it("refuses hostile bodies with 4xx naming the field, never a 500", async () => {
    const cases: Array<[unknown, number, string | undefined]> = [
      ["not json", 400, undefined],
      [[], 400, "body"],
      [{}, 400, "channel"],
      [{ channel: "irc", code: "AAAAAAAA" }, 400, "channel"],
      [{ channel: "__proto__", code: "AAAAAAAA" }, 400, "channel"],
      [{ channel: "telegram", code: "short" }, 400, "code"],
      [{ channel: "telegram", code: "AAAAAAAA", notify: "yes" }, 400, "notify"],
      [{ channel: "telegram", code: "AAAAAAAA", account: "../x" }, 400, "account"],
    ];
    for (const [body, status, param] of cases) {
      const res = await t.send("POST", "/api/v1/pairing/approve", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      const error = (await res.json()).error;
      if (param) expect(error.param, JSON.stringify(body)).toBe(param);
    }
    const proto = await t.send("POST", "/api/v1/pairing/approve", '{"__proto__": {"notify": true}, "constructor": 1, "channel": "telegram", "code": "ZZZZZZZZ"}');
    expect(proto.status).toBe(404);
    for (const name of PROTOTYPE_NAMES) {
      expect((await t.send("POST", "/api/v1/pairing/revoke", { channel: "telegram", account: "default", senderId: name })).status).toBe(404);
    }
    const form = await t.http.request("/api/v1/pairing/approve", { method: "POST", headers: { ...AUTH, "content-type": "text/plain" }, body: '{"channel":"telegram","code":"AAAAAAAA"}' });
    expect(form.status).toBe(415);
    const huge = await t.send("POST", "/api/v1/pairing/deny", { channel: "telegram", code: "AAAAAAAA", pad: "x".repeat(300 * 1024) });
    expect(huge.status).toBe(413);
    expect((await t.send("POST", "/api/v1/pairing/approve", { channel: "telegram", code: "AAAAAAAA" }, {})).status).toBe(401);
  });
});
