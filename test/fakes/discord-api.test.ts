// The Discord fake on its own: REST auth, error bodies and rate-limit headers, multipart messages, and the gateway
// handshake (HELLO, IDENTIFY checks, READY + GUILD_CREATE, heartbeats, sequence numbers, RESUME replay).
import { GatewayIntentBits, GatewayOpcodes } from "discord.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startDiscordFake } from "./discord-api.ts";
import type { DiscordFake } from "./discord-api.ts";

let fake: DiscordFake;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  fake = await startDiscordFake();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await fake.close();
});

const auth = (): Record<string, string> => ({ authorization: `Bot ${fake.token}` });

interface Frame {
  op: number;
  t: string | null;
  s: number | null;
  d: any;
}

/** A raw gateway client: records frames and the close code. */
function connect(url = `${fake.gatewayUrl}?v=10&encoding=json`): { ws: WebSocket; frames: Frame[]; closed: () => number | undefined } {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const frames: Frame[] = [];
  let code: number | undefined;
  ws.on("message", (raw) => frames.push(JSON.parse(String(raw)) as Frame));
  ws.on("close", (c) => (code = c));
  return { ws, frames, closed: () => code };
}

const send = (ws: WebSocket, frame: unknown): void => ws.send(JSON.stringify(frame));
const INTENTS = GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages | GatewayIntentBits.DirectMessages | GatewayIntentBits.MessageContent;

async function identified(intents = INTENTS): Promise<ReturnType<typeof connect>> {
  const client = connect();
  await fake.waitFor(() => client.frames.length === 1);
  send(client.ws, { op: GatewayOpcodes.Identify, d: { token: fake.token, intents, properties: {} } });
  await fake.waitFor(() => client.frames.some((f) => f.t === "GUILD_CREATE"));
  return client;
}

describe("REST", () => {
  it("requires the bot token and tolerates any version prefix", async () => {
    const anon = await fetch(`${fake.apiRoot}/v10/users/@me`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toEqual({ message: "401: Unauthorized", code: 0 });
    for (const prefix of ["/v10", "/v9", ""]) {
      const res = await fetch(`${fake.apiRoot}${prefix}/users/@me`, { headers: auth() });
      expect(((await res.json()) as { id: string }).id).toBe(fake.bot.id);
    }
  });

  it("points GET /gateway/bot at its own WebSocket", async () => {
    const res = await fetch(`${fake.apiRoot}/v10/gateway/bot`, { headers: auth() });
    expect(await res.json()).toMatchObject({ url: fake.gatewayUrl, shards: 1, session_start_limit: { max_concurrency: 1 } });
  });

  it("fails the next calls of a route: 429 with retry_after and rate-limit headers, then 5xx", async () => {
    fake.failNext("GET /users/@me", 1, 429, 1.5);
    const limited = await fetch(`${fake.apiRoot}/v10/users/@me`, { headers: auth() });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ retry_after: 1.5, global: false });
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(limited.headers.get("x-ratelimit-reset-after")).toBe("1.500");
    expect((await fetch(`${fake.apiRoot}/v10/users/@me`, { headers: auth() })).status).toBe(200);
    fake.failNext("GET /users/@me", 1, 503);
    expect((await fetch(`${fake.apiRoot}/v10/users/@me`, { headers: auth() })).status).toBe(503);
  });

  it("records JSON and multipart messages and refuses content over 2,000 characters", async () => {
    const url = `${fake.apiRoot}/v10/channels/${fake.channel.id}/messages`;
    await fetch(url, { method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ content: "hi", allowed_mentions: { parse: [] } }) });
    const form = new FormData();
    form.append("payload_json", JSON.stringify({ content: "with file", attachments: [{ id: 0, filename: "a.txt" }] }));
    form.append("files[0]", new Blob(["abc"], { type: "text/plain" }), "a.txt");
    await fetch(url, { method: "POST", headers: auth(), body: form });
    const long = await fetch(url, { method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ content: "x".repeat(2001) }) });
    expect(await long.json()).toMatchObject({ code: 50035 });
    expect(fake.sent).toMatchObject([
      { content: "hi", allowedMentions: { parse: [] }, multipart: false, files: [] },
      { content: "with file", multipart: true, files: [{ name: "a.txt", size: 3, contentType: "text/plain" }] },
    ]);
  });

  it("answers unknown channels with Discord's error code", async () => {
    const res = await fetch(`${fake.apiRoot}/v10/channels/1/typing`, { method: "POST", headers: auth() });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: "Unknown Channel", code: 10003 });
  });
});

describe("gateway", () => {
  it("says HELLO, then READY and GUILD_CREATE after IDENTIFY, and ACKs heartbeats", async () => {
    const { ws, frames } = await identified();
    expect(frames[0]).toMatchObject({ op: GatewayOpcodes.Hello, d: { heartbeat_interval: 41_250 } });
    expect(frames[1]).toMatchObject({ op: 0, t: "READY", s: 1, d: { user: { id: fake.bot.id }, guilds: [{ id: fake.guild.id, unavailable: true }] } });
    expect(frames[2]).toMatchObject({ t: "GUILD_CREATE", s: 2, d: { id: fake.guild.id, channels: [{ id: fake.channel.id }], threads: [{ id: fake.thread.id }] } });
    send(ws, { op: GatewayOpcodes.Heartbeat, d: 2 });
    await fake.waitFor(() => frames.some((f) => f.op === GatewayOpcodes.HeartbeatAck));
  });

  it("closes with 4004 on a bad token and 4014 when Message Content is not enabled", async () => {
    const bad = connect();
    await fake.waitFor(() => bad.frames.length === 1);
    send(bad.ws, { op: GatewayOpcodes.Identify, d: { token: "nope", intents: INTENTS, properties: {} } });
    await fake.waitFor(() => bad.closed() === 4004);
    fake.setMessageContentEnabled(false);
    const disallowed = connect();
    await fake.waitFor(() => disallowed.frames.length === 1);
    send(disallowed.ws, { op: GatewayOpcodes.Identify, d: { token: fake.token, intents: INTENTS, properties: {} } });
    await fake.waitFor(() => disallowed.closed() === 4014);
  });

  it("dispatches injected messages with increasing sequence numbers", async () => {
    const { frames } = await identified();
    fake.dm(fake.users.alice, "one");
    fake.mention(fake.users.bob, "two");
    await fake.waitFor(() => frames.filter((f) => f.t === "MESSAGE_CREATE").length === 2);
    const created = frames.filter((f) => f.t === "MESSAGE_CREATE");
    expect(created.map((f) => f.s)).toEqual([3, 4]);
    expect(created[0]?.d).toMatchObject({ content: "one", channel_type: 1, author: { id: fake.users.alice.id } });
    expect(created[1]?.d).toMatchObject({ content: `<@${fake.bot.id}> two`, guild_id: fake.guild.id, mentions: [{ id: fake.bot.id }] });
  });

  it("hides guild message content from a session without the Message Content intent", async () => {
    const { frames } = await identified(GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages);
    fake.guildMessage(fake.users.alice, "secret");
    fake.mention(fake.users.alice, "visible");
    await fake.waitFor(() => frames.filter((f) => f.t === "MESSAGE_CREATE").length === 2);
    expect(frames.filter((f) => f.t === "MESSAGE_CREATE").map((f) => f.d.content)).toEqual(["", `<@${fake.bot.id}> visible`]);
  });

  it("replays missed events on RESUME, then sends RESUMED", async () => {
    const first = await identified();
    const sessionId = first.frames[1]?.d.session_id as string;
    expect(fake.dropConnection()).toBe(1);
    await fake.waitFor(() => first.closed() === 4000);
    fake.dm(fake.users.alice, "missed");
    const again = connect(`${first.frames[1]?.d.resume_gateway_url}?v=10&encoding=json`);
    await fake.waitFor(() => again.frames.length === 1);
    send(again.ws, { op: GatewayOpcodes.Resume, d: { token: fake.token, session_id: sessionId, seq: 2 } });
    await fake.waitFor(() => again.frames.some((f) => f.t === "RESUMED"));
    expect(again.frames.slice(1).map((f) => [f.t, f.s])).toEqual([["MESSAGE_CREATE", 3], ["RESUMED", 4]]);
    expect(fake.resumes()).toBe(1);
  });
});
