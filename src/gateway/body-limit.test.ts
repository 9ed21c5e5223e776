// Request body caps on a real listening gateway: chunked bodies far past the cap (generated lazily, written over a raw
// socket) to the Slack and Telegram webhooks and to /v1/chat/completions are refused with 413, or 401 before reading
// for missing signature headers, and the server stops reading near the cap and closes the connection.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { signSlackRequest, startSlackFake, type SlackFake } from "../../test/fakes/slack-api.ts";
import { startTelegramFake, type TelegramFake } from "../../test/fakes/telegram-api.ts";
import { startInProcessGateway, type InProcessGateway } from "../../test/support/in-process-gateway.ts";
import type { RunningGateway } from "./gateway-server.ts";

const MiB = 1024 * 1024;
const FLOOD = 64 * MiB; // what the client offers to send
const V1_LIMIT = 2 * MiB; // gateway.max_body_bytes in this config
const WEBHOOK_LIMIT = 1 * MiB;
/** Read-ahead between the cap and the point where reading stops (socket and stream buffers), bytes. */
const SLACK = 1 * MiB;
const TG_SECRET = "tg-secret";
const SLACK_SECRET = "slack-signing-secret";

let tg: TelegramFake;
let slack: SlackFake;
let model: FakeModelServer;
let served: InProcessGateway | undefined;
let gw: RunningGateway;
/** Bytes each server-side socket has read from the kernel, by the client's local port. */
const serverSockets = new Map<number, Socket>();

beforeAll(async () => {
  tg = await startTelegramFake();
  slack = await startSlackFake();
  model = await startFakeOpenAI({ apiKeys: ["k"] });
  served = await startInProcessGateway({ prefix: "pincer-body-limit-", yaml: [
    "models:",
    `  providers: { fake: { type: openai-compatible, base_url: '${model.baseURL}', api_key: k } }`,
    "  tiers: { default: { primary: fake/m } }",
    `gateway: { max_body_bytes: ${V1_LIMIT} }`,
    "channels:",
    "  telegram:",
    "    accounts:",
    `      default: { token: '${tg.token}', api_root: '${tg.apiRoot}', mode: webhook, webhook_url: 'https://bot.example.test/channels/telegram/default/webhook', webhook_secret: ${TG_SECRET} }`,
    "  slack:",
    "    accounts:",
    `      default: { bot_token: '${slack.botToken}', api_root: '${slack.apiRoot}', mode: http, signing_secret: ${SLACK_SECRET} }`,
  ].join("\n") });
  gw = served.gw;
  gw.server.on("connection", (socket: Socket) => serverSockets.set(socket.remotePort ?? 0, socket));
}, 60_000);

afterAll(async () => {
  await served?.close();
  await Promise.all([tg?.close(), slack?.close(), model?.close()]);
});

interface FloodResult {
  /** The response head as received (status line and headers). */
  head: string;
  status: number;
  body: string;
  /** Bytes of the request the server read off its socket (headers included). */
  serverRead: number;
}

/**
 * POSTs `path` with `Transfer-Encoding: chunked` and a body of up to FLOOD bytes, produced 64 KiB at a time while the
 * socket takes them; stops writing once the answer is in or the socket closes. Resolves when the server closed the
 * connection (a server that keeps reading, or never answers, runs into the test timeout). With `contentLength`, sends
 * only the headers announcing that many bytes.
 */
function flood(path: string, headers: Record<string, string>, opts: { contentLength?: number } = {}): Promise<FloodResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(gw.port, "127.0.0.1");
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let response = "";
    let answered = false;
    let offered = 0;
    socket.on("data", (d: Buffer) => {
      response += d.toString("latin1");
      if (response.includes("\r\n\r\n")) answered = true;
    });
    socket.on("error", () => undefined); // EPIPE / ECONNRESET once the server closed: expected
    let local = 0;
    socket.on("close", () => {
      const server = serverSockets.get(local);
      const [head = "", body = ""] = response.split("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      if (!server) return reject(new Error(`no server socket for local port ${String(local)}; response: ${head}`));
      resolve({ head, status, body, serverRead: server.bytesRead });
    });
    socket.on("connect", () => {
      local = socket.localPort ?? 0;
      const framing = opts.contentLength === undefined ? "Transfer-Encoding: chunked" : `Content-Length: ${opts.contentLength}`;
      const lines = [`POST ${path} HTTP/1.1`, "Host: 127.0.0.1", framing, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (opts.contentLength !== undefined) return; // headers only: the answer must come without any body
      const pump = (): void => {
        while (!answered && !socket.destroyed && offered < FLOOD) {
          offered += chunk.length;
          socket.write(`${chunk.length.toString(16)}\r\n`);
          socket.write(chunk);
          if (!socket.write("\r\n")) return void socket.once("drain", pump);
        }
        if (offered >= FLOOD && !socket.destroyed) socket.write("0\r\n\r\n");
      };
      pump();
    });
  });
}

const nowSec = (): number => Math.floor(Date.now() / 1000);

describe("request body caps on a listening gateway", () => {
  it("refuses a chunked flood to the Slack events webhook without signature headers before reading it (401, connection closed)", async () => {
    const res = await flood("/channels/slack/default/events", { "content-type": "application/json" });
    expect(res.status).toBe(401);
    expect(res.head).toMatch(/\r\nconnection: close/i);
    expect(res.serverRead).toBeLessThan(SLACK);
  }, 60_000);

  it("stops reading a signed-looking chunked flood to the Slack events webhook at the 1 MiB cap (413)", async () => {
    const res = await flood("/channels/slack/default/events", signSlackRequest("", SLACK_SECRET, nowSec()));
    expect(res.status).toBe(413);
    expect(res.head).toMatch(/\r\nconnection: close/i);
    expect(res.serverRead).toBeLessThan(WEBHOOK_LIMIT + SLACK);
  }, 60_000);

  it("stops reading a chunked flood to the Telegram webhook at the 1 MiB cap (413)", async () => {
    const res = await flood("/channels/telegram/default/webhook", { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET });
    expect(res.status).toBe(413);
    expect(res.serverRead).toBeLessThan(WEBHOOK_LIMIT + SLACK);
  }, 60_000);

  it("stops reading a chunked flood to /v1/chat/completions at gateway.max_body_bytes (413 naming the key)", async () => {
    const res = await flood("/v1/chat/completions", { "content-type": "application/json", authorization: "Bearer gw-token" });
    expect(res.status).toBe(413);
    expect(res.serverRead).toBeLessThan(V1_LIMIT + SLACK);
  }, 60_000);

  it("answers a Content-Length over the cap before any body byte was sent, with the limit in the JSON error", async () => {
    const res = await flood("/v1/chat/completions", { "content-type": "application/json", authorization: "Bearer gw-token" }, { contentLength: 100 * MiB });
    expect(res.status).toBe(413);
    expect(res.head).toMatch(/\r\nconnection: close/i);
    expect(JSON.parse(res.body)).toEqual({
      error: { type: "payload_too_large", message: "request body too large: this endpoint accepts at most 2 MiB (2097152 bytes). Fix: send a smaller body, or raise gateway.max_body_bytes" },
    });
  }, 60_000);

  it("closes the connection after an answer that left the body unread (401 without a token)", async () => {
    const res = await flood("/v1/chat/completions", { "content-type": "application/json" });
    expect(res.status).toBe(401);
    expect(res.serverRead).toBeLessThan(SLACK);
  }, 60_000);

  it("gives slow senders 20 s for the headers and 60 s for the whole request, not Node's 5 minutes", () => {
    expect([gw.server.headersTimeout, gw.server.requestTimeout]).toEqual([20_000, 60_000]);
  });

  it("still answers a normal-sized request", async () => {
    model.enqueue({ text: "fine" });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer gw-token" },
      body: JSON.stringify({ model: "pincer", messages: [{ role: "user", content: "x".repeat(100_000) }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("connection")).not.toBe("close");
  }, 60_000);
});
