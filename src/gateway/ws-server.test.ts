// The /ws protocol over a real loopback HTTP server and `ws` client, with the core wired by createApp against the fake OpenAI API.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { WebSocket } from "ws";
import { createApp, type App } from "../app.ts";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { fakeProviderConfig, makeHome, PROTOTYPE_NAMES, TEST_GATEWAY_TOKEN, type Home } from "../../test/e2e/harness.ts";
import { createAuthLockout } from "./auth-lockout.ts";
import { createTokenVerifier } from "./gateway-token.ts";
import { PROTOCOL_VERSION, type ServerFrame } from "./ws-protocol.ts";
import { attachWebSocket, type WebSocketEndpoint } from "./ws-server.ts";

const TOKEN = TEST_GATEWAY_TOKEN;
let fake: FakeModelServer;
let home: Home;
let app: App;
let server: Server;
let endpoint: WebSocketEndpoint;
let url: string;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
  home = await makeHome();
  await home.writeConfig(fakeProviderConfig(fake.baseURL));
  app = await createApp({ env: { PINCER_HOME: home.dir }, logger: pino({ level: "silent" }) });
  server = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const tokens = createTokenVerifier(createHash("sha256").update(TOKEN).digest());
  endpoint = attachWebSocket({ server, ctx: app, tokens, maxFrameBytes: 4096, authTimeoutMs: 200 });
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
});

afterAll(async () => {
  await endpoint.close();
  await new Promise((done) => server.close(done));
  await app.close();
  await fake.close();
  await home.cleanup();
});

interface Client {
  ws: WebSocket;
  frames: ServerFrame[];
  send(frame: unknown): void;
  /** Unread frames up to and including the first that matches. */
  until(match: (f: ServerFrame) => boolean): Promise<ServerFrame[]>;
  closed: Promise<{ code: number; reason: string }>;
}

async function connect(target = url): Promise<Client> {
  const ws = new WebSocket(target);
  const frames: ServerFrame[] = [];
  let read = 0;
  let wake = (): void => {};
  ws.on("message", (data) => {
    frames.push(JSON.parse(String(data)) as ServerFrame);
    wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((done) => ws.on("close", (code, reason) => done({ code, reason: String(reason) })));
  await new Promise((done, fail) => ws.once("open", done).once("error", fail));
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    async until(match) {
      for (;;) {
        const at = frames.slice(read).findIndex(match);
        if (at >= 0) {
          const out = frames.slice(read, read + at + 1);
          read += at + 1;
          return out;
        }
        await new Promise<void>((done) => (wake = done));
      }
    },
  };
}

async function authed(client?: string): Promise<Client> {
  const c = await connect();
  c.send({ type: "auth", token: TOKEN, ...(client ? { client } : {}) });
  await c.until((f) => f.type === "hello");
  return c;
}

const isFinal = (f: ServerFrame): boolean => f.type === "run.final";

describe("ws auth", () => {
  it("closes with 4401 when no auth frame arrives in time", async () => {
    const c = await connect();
    expect((await c.closed).code).toBe(4401);
    expect(c.frames[0]).toMatchObject({ type: "error", code: "unauthorized" });
  });

  it("answers a wrong token with an unauthorized error, then closes with 4401", async () => {
    const c = await connect();
    c.send({ type: "auth", token: "wrong" });
    expect((await c.closed).code).toBe(4401);
    expect(c.frames).toEqual([{ type: "error", code: "unauthorized", message: expect.stringContaining("not accepted") }]);
  });

  it("greets a good token with hello", async () => {
    const c = await connect();
    c.send({ type: "auth", token: TOKEN, client: "laptop" });
    const [hello] = await c.until((f) => f.type === "hello");
    expect(hello).toEqual({ type: "hello", protocol: PROTOCOL_VERSION, serverVersion: expect.any(String), defaultAgent: "default", defaultSession: "agent:default:webchat:dm:laptop" });
    c.ws.close();
  });

  it("serves every upgrade that arrives on a fresh endpoint while it is still setting up", async () => {
    const fresh = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((done) => fresh.listen(0, "127.0.0.1", done));
    const tokens = createTokenVerifier(createHash("sha256").update(TOKEN).digest());
    const freshEndpoint = attachWebSocket({ server: fresh, ctx: app, tokens });
    const target = `ws://127.0.0.1:${(fresh.address() as AddressInfo).port}/ws`;

    const clients = await Promise.all([1, 2, 3].map(() => connect(target)));
    for (const c of clients) c.send({ type: "auth", token: TOKEN });
    const hellos = await Promise.all(clients.map((c) => c.until((f) => f.type === "hello")));

    expect(hellos.map((frames) => frames.at(-1)?.type)).toEqual(["hello", "hello", "hello"]);
    await freshEndpoint.close();
    await new Promise((done) => fresh.close(done));
  });

  it("locks an address out after repeated wrong tokens: an error frame and close 4429, without checking the token", async () => {
    let t = 9_000_000;
    const other = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((done) => other.listen(0, "127.0.0.1", done));
    const tokens = createTokenVerifier(createHash("sha256").update(TOKEN).digest());
    const guarded = attachWebSocket({ server: other, ctx: app, tokens, now: () => t, authLockout: createAuthLockout({ now: () => t, freeFailures: 2, baseMs: 30_000 }) });
    const target = `ws://127.0.0.1:${(other.address() as AddressInfo).port}/ws`;
    try {
      for (const guess of ["guess-1", "guess-2", "guess-3"]) {
        const c = await connect(target);
        c.send({ type: "auth", token: guess });
        expect((await c.closed).code).toBe(4401);
      }
      const locked = await connect(target);
      locked.send({ type: "auth", token: TOKEN });
      expect((await locked.closed).code).toBe(4429);
      expect(locked.frames).toEqual([{ type: "error", code: "rate_limited", message: "too many failed authentication attempts from this address; retry in 30 s" }]);
      t += 30_000;
      const again = await connect(target);
      again.send({ type: "auth", token: TOKEN });
      expect((await again.until((f) => f.type === "hello"))[0]).toMatchObject({ type: "hello" });
      again.ws.close();
    } finally {
      await guarded.close();
      await new Promise((done) => other.close(done));
    }
  });

  it("refuses a cross-origin upgrade with 403 before any frame, and accepts the gateway's own origin", async () => {
    const upgrade = (headers: { origin?: string; host?: string }) =>
      new Promise<{ status: number; body: string } | "open">((done) => {
        const ws = new WebSocket(url, { ...(headers.origin ? { origin: headers.origin } : {}), ...(headers.host ? { headers: { host: headers.host } } : {}) });
        ws.on("open", () => (ws.close(), done("open")));
        ws.on("unexpected-response", (_req, res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => done({ status: res.statusCode ?? 0, body }));
        });
      });
    const crossSite = await upgrade({ origin: "https://evil.example" });
    expect(crossSite).toMatchObject({ status: 403 });
    expect(crossSite !== "open" && JSON.parse(crossSite.body).error).toMatchObject({ type: "forbidden_origin", message: expect.stringContaining("gateway.allowed_origins") });
    expect(await upgrade({ origin: url.replace("ws://", "http://").replace("/ws", "") })).toBe("open");
    expect(await upgrade({})).toBe("open");
    const rebound = await upgrade({ host: "evil.example", origin: "http://evil.example" });
    expect(rebound !== "open" && JSON.parse(rebound.body).error).toMatchObject({ type: "forbidden_host", message: expect.stringContaining("gateway.allowed_hosts") });
  });

  it("refuses upgrades on other paths with 404", async () => {
    const status = await new Promise<number | undefined>((done) => {
      const ws = new WebSocket(url.replace("/ws", "/other"));
      ws.on("unexpected-response", (_req, res) => done(res.statusCode));
      ws.on("error", () => done(undefined));
    });
    expect(status).toBe(404);
  });
});

describe("ws chat", () => {
  it("streams ack, run.started, deltas and run.final for chat.send", async () => {
    fake.enqueue({ text: "Hello from the fake model" });
    const c = await authed("stream");
    c.send({ type: "chat.send", id: "r1", text: "hi" });
    const frames = await c.until(isFinal);
    expect(frames[0]).toEqual({ type: "ack", id: "r1", disposition: "started", session: "agent:default:webchat:dm:stream" });
    expect(frames[1]).toMatchObject({ type: "run.started", session: "agent:default:webchat:dm:stream", agent: "default" });
    const text = frames.flatMap((f) => (f.type === "run.delta" ? [f.text] : [])).join("");
    expect(text).toBe("Hello from the fake model");
    expect(frames.at(-1)).toMatchObject({ type: "run.final", status: "succeeded", reply: "Hello from the fake model" });
    c.ws.close();
  });

  it("journals chat.send: a resend with the same messageId after a reconnect starts no second run and names the run that answered", async () => {
    fake.enqueue({ text: "only once" });
    const first = await authed("dedupe");
    first.send({ type: "chat.send", id: "m", messageId: "msg-0001", text: "once please" });
    const final = (await first.until(isFinal)).at(-1) as { runId: string };
    first.ws.close();
    const second = await authed("dedupe");
    const requests = fake.requests.length;
    second.send({ type: "chat.send", id: "m", messageId: "msg-0001", text: "once please" });
    const [ack] = await second.until((f) => f.type === "ack");
    expect(ack).toEqual({ type: "ack", id: "m", disposition: "duplicate", session: "agent:default:webchat:dm:dedupe", runId: final.runId, runStatus: "succeeded" });
    second.send({ type: "ping", id: "p" });
    await second.until((f) => f.type === "pong");
    expect(fake.requests.length).toBe(requests);
    expect(await app.store.journal.pending()).toEqual([]);
    second.ws.close();
  });

  it("answers a bad frame with bad_frame naming the field and stays usable", async () => {
    const c = await authed();
    c.send({ type: "chat.send", id: "r2" });
    const [error] = await c.until((f) => f.type === "error");
    expect(error).toMatchObject({ type: "error", id: "r2", code: "bad_frame", path: "text" });
    c.send("{not json");
    expect((await c.until((f) => f.type === "error"))[0]).toMatchObject({ code: "bad_frame" });
    c.send({ type: "ping", id: 7 });
    expect(await c.until((f) => f.type === "pong")).toEqual([{ type: "pong", id: 7 }]);
    c.ws.close();
  });

  it("lists sessions and returns a session's history", async () => {
    fake.enqueue({ text: "remembered answer" });
    const c = await authed("history");
    const session = "agent:default:webchat:dm:history";
    c.send({ type: "chat.send", id: "s1", text: "remember this" });
    await c.until(isFinal);
    c.send({ type: "sessions.list", id: "l1" });
    const [list] = await c.until((f) => f.type === "sessions");
    expect(list?.type === "sessions" && list.sessions.map((s) => s.key)).toContain(session);
    c.send({ type: "sessions.history", id: "h1", session });
    const [history] = await c.until((f) => f.type === "history");
    expect(history?.type === "history" && history.messages.map((m) => [m.role, m.text])).toEqual([
      ["user", "remember this"],
      ["assistant", "remembered answer"],
    ]);
    c.ws.close();
  });

  it("chat.abort stops a slow run, which ends cancelled", async () => {
    fake.enqueue({ text: "too slow", delayMs: 5_000 });
    const c = await authed("abort");
    const before = fake.requests.length;
    c.send({ type: "chat.send", id: "a1", text: "take your time" });
    const [, started] = await c.until((f) => f.type === "run.started");
    await waitFor(() => fake.requests.length > before);
    c.send({ type: "chat.abort", id: "a2", session: "agent:default:webchat:dm:abort" });
    const frames = await c.until(isFinal);
    expect(frames[0]).toMatchObject({ type: "ack", id: "a2", runId: started?.type === "run.started" ? started.runId : "?" });
    expect(frames.at(-1)).toMatchObject({ type: "run.final", status: "cancelled" });
    c.ws.close();
  });

  it("does not deliver another connection's run events", async () => {
    fake.enqueue({ text: "for b only" });
    const a = await authed("a");
    const b = await authed("b");
    b.send({ type: "chat.send", id: "b1", text: "hello" });
    expect((await b.until(isFinal)).at(-1)).toMatchObject({ reply: "for b only" });
    a.send({ type: "ping", id: "flush" });
    expect(await a.until((f) => f.type === "pong")).toEqual([{ type: "pong", id: "flush" }]);
    a.ws.close();
    b.ws.close();
  });

  it("answers an agent named like a prototype member with a not_found error naming the agent", async () => {
    const c = await authed("proto");
    for (const name of PROTOTYPE_NAMES) {
      c.send({ type: "chat.send", id: name, agent: name, text: "hi" });
      const [byAgent] = await c.until((f) => f.type === "error");
      expect(byAgent).toEqual({ type: "error", id: name, code: "not_found", path: "agent", message: expect.stringContaining(`unknown agent "${name}"`) });
      c.send({ type: "chat.send", id: name, session: `agent:${name}:webchat:dm:x`, text: "hi" });
      const [bySession] = await c.until((f) => f.type === "error");
      expect(bySession).toMatchObject({ id: name, code: "not_found", message: expect.stringContaining(`unknown agent "${name}"`) });
    }
    c.ws.close();
  });

  it("closes with 1009 on a frame over maxFrameBytes", async () => {
    const c = await authed();
    c.send({ type: "chat.send", id: "big", text: "x".repeat(5_000) });
    expect((await c.closed).code).toBe(1009);
  });
});

describe("ws chat: commands, structured history, images", () => {
  // The smallest PNG: the signature and an IHDR chunk are all the gateway checks.
  const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

  it("answers a chat command in the ack without a run, through the channels' command code", async () => {
    const c = await authed("cmd");
    const before = fake.requests.length;
    c.send({ type: "chat.send", id: "c1", text: "/status" });
    const [ack] = await c.until((f) => f.type === "ack");
    expect(ack).toMatchObject({ type: "ack", id: "c1", disposition: "command", command: "status", session: "agent:default:webchat:dm:cmd" });
    expect(ack?.type === "ack" && ack.reply).toContain("Session: agent:default:webchat:dm:cmd");
    c.send({ type: "chat.send", id: "c2", text: "/model nope/nothing" });
    const [bad] = await c.until((f) => f.type === "ack");
    expect(bad?.type === "ack" && bad.reply).toContain('Unknown model "nope/nothing"');
    expect(fake.requests.length).toBe(before);
    c.ws.close();
  });

  it("gives history structured parts and the runs' outcomes: a failed turn keeps its status and error", async () => {
    const c = await authed("parts");
    const session = "agent:default:webchat:dm:parts";
    fake.enqueue({ toolCalls: [{ name: "ls", args: { path: "." } }, { name: "no_such_tool", args: {} }] }, { text: "Listed." });
    c.send({ type: "chat.send", id: "p1", text: "list files" });
    await c.until(isFinal);
    fake.enqueue({ error: { status: 400, message: "model exploded" } });
    c.send({ type: "chat.send", id: "p2", text: "fail please" });
    const [final] = (await c.until(isFinal)).slice(-1);
    expect(final).toMatchObject({ status: "failed" });
    c.send({ type: "sessions.history", id: "h", session });
    const [history] = await c.until((f) => f.type === "history");
    if (history?.type !== "history") throw new Error("expected history");
    const parts = history.messages.flatMap((m) => m.parts ?? []);
    expect(parts.filter((p) => p.type === "tool_call").map((p) => p.type === "tool_call" && [p.name, p.args])).toEqual([["ls", { path: "." }], ["no_such_tool", {}]]);
    expect(parts.filter((p) => p.type === "tool_result").map((p) => p.type === "tool_result" && [p.name, p.isError, p.decision])).toEqual([["ls", false, "allow"], ["no_such_tool", true, "deny"]]);
    expect(history.runs?.map((r) => r.status)).toEqual(["succeeded", "failed"]);
    expect(history.runs?.[1]).toMatchObject({ errorCode: (final as { errorCode?: string }).errorCode, error: (final as { error?: string }).error });
    expect(history.messages.every((m) => m.runId === history.runs?.[0]?.runId || m.runId === history.runs?.[1]?.runId)).toBe(true);
    c.ws.close();
  });

  it("saves attached images to the workspace inbox and sends them to the model as image parts; refuses bytes that are not the type claimed", async () => {
    const c = await authed("img");
    fake.enqueue({ text: "a tiny image" });
    const before = fake.requests.length;
    // Over maxFrameBytes (4 KiB here) is fine for a chat.send with images.
    const big = Buffer.concat([PNG, Buffer.alloc(6000)]);
    c.send({ type: "chat.send", id: "i1", text: "what is this?", attachments: [{ type: "image", mimeType: "image/png", data: big.toString("base64"), name: "shot.png" }] });
    await c.until(isFinal);
    const body = fake.requests[before]?.body as { messages: Array<{ role: string; content: unknown }> };
    const user = body.messages.findLast((m) => m.role === "user");
    expect(user?.content).toEqual([
      { type: "text", text: expect.stringMatching(/^what is this\?\n\[image: inbox\/\d{4}-\d\d-\d\d\/[0-9a-f]{8}-shot\.png\]$/) },
      { type: "image_url", image_url: { url: `data:image/png;base64,${big.toString("base64")}` } },
    ]);

    c.send({ type: "chat.send", id: "i2", text: "", attachments: [{ type: "image", mimeType: "image/jpeg", data: PNG.toString("base64") }] });
    const [err] = await c.until((f) => f.type === "error");
    expect(err).toMatchObject({ code: "bad_frame", path: "attachments.0.data", message: "attachments.0.data: the bytes are not a image/jpeg image" });
    c.send({ type: "chat.send", id: "i3", text: "", attachments: [{ type: "image", mimeType: "image/svg+xml", data: "PHN2Zz4=" }] });
    expect((await c.until((f) => f.type === "error"))[0]).toMatchObject({ code: "bad_frame", path: "attachments.0.mimeType" });
    // A big frame without images still closes the connection.
    c.send({ type: "chat.send", id: "i4", text: "x".repeat(8000) });
    expect((await c.closed).code).toBe(1009);
  });

  it("closes with 1009 on a big frame before authentication, whatever it holds", async () => {
    const c = await connect();
    c.send({ type: "auth", token: TOKEN, pad: "x".repeat(8000) });
    expect((await c.closed).code).toBe(1009);
  });
});

describe("ws follows", () => {
  it("follows at most maxFollowedSessions sessions per connection, dropping the one followed longest ago", async () => {
    const small = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((done) => small.listen(0, "127.0.0.1", done));
    const tokens = createTokenVerifier(createHash("sha256").update(TOKEN).digest());
    const bounded = attachWebSocket({ server: small, ctx: app, tokens, maxFollowedSessions: 2 });
    const c = await connect(`ws://127.0.0.1:${(small.address() as AddressInfo).port}/ws`);
    c.send({ type: "auth", token: TOKEN });
    await c.until((f) => f.type === "hello");
    const sessions = ["one", "two", "three"].map((peer) => `agent:default:webchat:dm:follow-${peer}`);
    const [first, last] = [sessions[0]!, sessions[2]!];
    for (const [i, session] of sessions.entries()) {
      c.send({ type: "chat.abort", id: `f${i}`, session });
      await c.until((f) => f.type === "ack");
    }

    fake.enqueue({ text: "to the forgotten session" }, { text: "to the followed session" });
    await (await app.dispatcher.send({ agentId: "default", sessionKey: first, channel: "webchat", text: "hi" })).result;
    await (await app.dispatcher.send({ agentId: "default", sessionKey: last, channel: "webchat", text: "hi" })).result;
    const frames = await c.until(isFinal);
    expect(frames.map((f) => ("session" in f ? f.session : undefined))).not.toContain(first);
    expect(frames.at(-1)).toMatchObject({ session: last, reply: "to the followed session" });
    c.ws.close();
    await bounded.close();
    await new Promise((done) => small.close(done));
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}
