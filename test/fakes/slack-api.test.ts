// The Slack fake speaks enough of the real protocol: Web API envelopes and errors, the Socket Mode hello / envelope /
// ack / redelivery cycle, file routes, and request signing.
import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { eventCallback, signSlackRequest, startSlackFake, type SlackFake } from "./slack-api.ts";

let fake: SlackFake;
afterEach(async () => {
  await fake.close();
});

async function api(method: string, token: string | undefined, params: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${fake.apiRoot}${method}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  return { status: res.status, body: res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text, headers: res.headers };
}

function openSocket(url: string): Promise<{ ws: WebSocket; messages: any[] }> {
  const ws = new WebSocket(url);
  const messages: any[] = [];
  ws.on("message", (data) => messages.push(JSON.parse(String(data))));
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, messages }));
    ws.once("error", reject);
  });
}

describe("slack fake", () => {
  it("answers the Web API with ok envelopes, token errors and injected failures", async () => {
    fake = await startSlackFake();
    expect((await api("auth.test", fake.botToken)).body).toMatchObject({ ok: true, user_id: "UBOT", bot_id: "BBOT", user: "pincer" });
    expect((await api("auth.test", "xoxb-wrong")).body).toEqual({ ok: false, error: "invalid_auth" });
    expect((await api("apps.connections.open", fake.botToken)).body).toEqual({ ok: false, error: "not_allowed_token_type" });

    const posted = await api("chat.postMessage", fake.botToken, { channel: "C1", text: "*hi*", thread_ts: "1.2" });
    expect(posted.body).toMatchObject({ ok: true, channel: "C1" });
    expect(fake.sent[0]).toMatchObject({ channel: "C1", text: "*hi*", thread_ts: "1.2", ts: posted.body.ts });

    fake.failNext("chat.postMessage", 1, 429, 7);
    const limited = await api("chat.postMessage", fake.botToken, { channel: "C1", text: "x" });
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "7"]);
    fake.failNext("chat.postMessage", 1, 503);
    expect((await api("chat.postMessage", fake.botToken, { channel: "C1", text: "x" })).status).toBe(503);
    fake.rejectNext("chat.postMessage", "channel_not_found");
    expect((await api("chat.postMessage", fake.botToken, { channel: "C1", text: "x" })).body).toEqual({ ok: false, error: "channel_not_found" });
  });

  it("serves files to the bot token only", async () => {
    fake = await startSlackFake();
    const file = fake.addFile({ name: "a.txt", mimetype: "text/plain", bytes: new TextEncoder().encode("hello") });
    const ok = await fetch(file.url_private_download, { headers: { authorization: `Bearer ${fake.botToken}` } });
    expect(await ok.text()).toBe("hello");
    const anon = await fetch(file.url_private_download);
    expect(anon.headers.get("content-type")).toContain("text/html");
  });

  it("says hello on Socket Mode, pushes envelopes, records acks and redelivers what is not acked", async () => {
    fake = await startSlackFake({ redeliverMs: 50 });
    const opened = await api("apps.connections.open", fake.appToken);
    const { ws, messages } = await openSocket(opened.body.url);
    await fake.waitFor(() => messages.length >= 1, 2_000, "hello");
    expect(messages[0]).toMatchObject({ type: "hello" });

    const first = fake.dm("U1", "hi");
    await fake.waitFor(() => messages.length >= 2, 2_000, "envelope");
    expect(messages[1]).toMatchObject({ envelope_id: first.envelopeId, type: "events_api", retry_attempt: 0, payload: { type: "event_callback", event: { type: "message", channel_type: "im", user: "U1", text: "hi" } } });
    ws.send(JSON.stringify({ envelope_id: first.envelopeId, payload: {} }));
    await fake.waitForAcks(1, 2_000);

    const second = fake.channelMessage("C1", "U1", "again");
    await fake.waitFor(() => messages.filter((m) => m.envelope_id === second.envelopeId).length >= 2, 2_000, "redelivery");
    expect(messages.filter((m) => m.envelope_id === second.envelopeId).map((m) => m.retry_attempt)).toEqual([0, 1]);
    ws.close();
  });

  it("refuses a socket without a ticket from apps.connections.open", async () => {
    fake = await startSlackFake();
    await expect(openSocket(fake.apiRoot.replace("http:", "ws:").replace("/api/", "/socket?ticket=forged"))).rejects.toThrow();
  });

  it("signs Events API requests the way Slack does", () => {
    const body = JSON.stringify(eventCallback({ type: "message" }));
    const headers = signSlackRequest(body, "secret", 1_700_000_000);
    const expected = createHmac("sha256", "secret").update(`v0:1700000000:${body}`).digest("hex");
    expect(headers["x-slack-signature"]).toBe(`v0=${expected}`);
  });
});
