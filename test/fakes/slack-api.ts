// Loopback fake of Slack: the Web API under /api/ (form and JSON bodies), the file upload and download routes, and a
// Socket Mode WebSocket (hello, events_api envelopes, acks, redelivery of unacked envelopes, disconnects), enough for
// @slack/web-api and @slack/socket-mode to run unchanged against it. Not a model of Slack's permissions or history.
import { createHmac, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export interface SlackFakeOptions {
  botToken?: string;
  appToken?: string;
  botUserId?: string;
  botId?: string;
  botName?: string;
  teamId?: string;
  /** Unacknowledged envelopes are pushed again after this long, ms. Default 1000. */
  redeliverMs?: number;
  /** Redeliveries per envelope (Slack makes 3). */
  maxRetries?: number;
}

export interface SlackFakeFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  url_private: string;
  url_private_download: string;
}

/** One outbound message the fake accepted: a chat.postMessage, or a file shared by files.completeUploadExternal. */
export interface SlackSentMessage {
  method: "chat.postMessage" | "files.completeUploadExternal";
  channel: string;
  ts: string;
  text: string;
  thread_ts?: string;
  mrkdwn?: boolean;
  unfurl_links?: boolean;
  file?: { id: string; filename: string; title?: string; bytes: Uint8Array };
}

export interface SlackEnvelope {
  envelope_id: string;
  type: "events_api";
  payload: Record<string, unknown>;
  accepts_response_payload: false;
  retry_attempt: number;
  retry_reason: string;
}

export interface InjectMessageOptions {
  channel: string;
  /** im | channel | group | mpim */
  channel_type: string;
  user?: string;
  text: string;
  thread_ts?: string;
  parent_user_id?: string;
  files?: SlackFakeFile[];
  subtype?: string;
  bot_id?: string;
  ts?: string;
}

export interface RecordedCall {
  method: string;
  token: string | undefined;
  params: Record<string, unknown>;
}

export interface SlackFake {
  /** Web API root for WebClient's slackApiUrl, ending in "/". */
  readonly apiRoot: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly botName: string;
  readonly sent: SlackSentMessage[];
  /** Envelope ids acknowledged over the socket, in order. */
  readonly acks: string[];
  /** Every envelope pushed over a socket, redeliveries included. */
  readonly pushed: SlackEnvelope[];
  readonly calls: RecordedCall[];
  /** Socket Mode connections opened so far. */
  readonly connectionCount: number;
  readonly openSockets: number;
  addUser(id: string, name: string, realName?: string): void;
  addChannel(id: string, name: string): void;
  addFile(file: { name: string; mimetype: string; bytes: Uint8Array }): SlackFakeFile;
  /** Queues one Events API event in an envelope (delivered now, or once a socket connects). */
  injectEvent(event: Record<string, unknown>): { envelopeId: string; eventId: string };
  injectMessage(opts: InjectMessageOptions): { ts: string; envelopeId: string };
  dm(user: string, text: string): { ts: string; envelopeId: string };
  channelMessage(channel: string, user: string, text: string): { ts: string; envelopeId: string };
  /** A channel message containing `<@BOT>`: emits the `message` event and the `app_mention` event, as Slack does. */
  mention(channel: string, user: string, text: string): { ts: string; envelopeIds: string[] };
  /** The next `count` calls of `method` answer HTTP `status` (429 with Retry-After when given). */
  failNext(method: string, count: number, status: number, retryAfter?: number): void;
  /** The next `count` calls of `method` answer `{ ok: false, error }`. */
  rejectNext(method: string, error: string, count?: number): void;
  /** Sends `{type:"disconnect"}` on every socket, as Slack does before recycling a connection. */
  disconnect(reason?: string): void;
  /** Drops every socket without a close frame. */
  dropConnections(): void;
  waitForSent(n: number, timeoutMs?: number): Promise<SlackSentMessage[]>;
  waitForAcks(n: number, timeoutMs?: number): Promise<string[]>;
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

/** The v0 signature headers Slack puts on an Events API request. */
export function signSlackRequest(body: string, signingSecret: string, timestampSec = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac("sha256", signingSecret).update(`v0:${timestampSec}:${body}`).digest("hex")}`;
  return { "x-slack-signature": signature, "x-slack-request-timestamp": String(timestampSec), "content-type": "application/json" };
}

/** An `event_callback` body as Slack posts it (HTTP Events API) or wraps it in an envelope (Socket Mode). */
export function eventCallback(event: Record<string, unknown>, opts: { teamId?: string; botUserId?: string; eventId?: string } = {}): Record<string, unknown> {
  return {
    token: "fake-verification-token",
    team_id: opts.teamId ?? "T0FAKE",
    api_app_id: "A0FAKE",
    event,
    type: "event_callback",
    event_id: opts.eventId ?? `Ev${randomUUID().replaceAll("-", "").slice(0, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: opts.teamId ?? "T0FAKE", user_id: opts.botUserId ?? "UBOT", is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
}

interface Failure {
  count: number;
  status?: number;
  retryAfter?: number;
  error?: string;
}

interface Pending {
  envelope: SlackEnvelope;
  timer?: NodeJS.Timeout;
}

export async function startSlackFake(opts: SlackFakeOptions = {}): Promise<SlackFake> {
  const botToken = opts.botToken ?? "xoxb-fake-bot-token";
  const appToken = opts.appToken ?? "xapp-fake-app-token";
  const botUserId = opts.botUserId ?? "UBOT";
  const botId = opts.botId ?? "BBOT";
  const botName = opts.botName ?? "pincer";
  const teamId = opts.teamId ?? "T0FAKE";
  const redeliverMs = opts.redeliverMs ?? 1_000;
  const maxRetries = opts.maxRetries ?? 3;

  const sent: SlackSentMessage[] = [];
  const acks: string[] = [];
  const pushed: SlackEnvelope[] = [];
  const calls: RecordedCall[] = [];
  const users = new Map<string, { name: string; realName: string }>();
  const channels = new Map<string, string>();
  const files = new Map<string, { meta: SlackFakeFile; bytes: Uint8Array }>();
  const uploads = new Map<string, { filename: string; bytes?: Uint8Array }>();
  const failures = new Map<string, Failure[]>();
  const tickets = new Set<string>();
  const sockets: WebSocket[] = [];
  const unacked = new Map<string, Pending>();
  const queued: SlackEnvelope[] = [];
  let connectionCount = 0;
  let seq = 0;
  const tsBase = Math.floor(Date.now() / 1000);
  const nextTs = (): string => `${tsBase + ++seq}.${String(seq).padStart(6, "0")}`;

  const server = createServer((req, res) => {
    void route(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const ticket = url.searchParams.get("ticket") ?? "";
    if (url.pathname !== "/socket" || !tickets.has(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function onSocket(ws: WebSocket): void {
    connectionCount += 1;
    sockets.push(ws);
    ws.on("message", (data) => {
      let msg: { envelope_id?: unknown };
      try {
        msg = JSON.parse(String(data)) as { envelope_id?: unknown };
      } catch {
        return;
      }
      if (typeof msg.envelope_id !== "string") return;
      acks.push(msg.envelope_id);
      const pending = unacked.get(msg.envelope_id);
      if (pending) clearTimeout(pending.timer);
      unacked.delete(msg.envelope_id);
    });
    ws.on("close", () => {
      const i = sockets.indexOf(ws);
      if (i >= 0) sockets.splice(i, 1);
    });
    ws.send(JSON.stringify({
      type: "hello",
      num_connections: sockets.length,
      debug_info: { host: "fake-slack", build_number: 1, approximate_connection_time: 18060 },
      connection_info: { app_id: "A0FAKE" },
    }));
    for (const envelope of queued.splice(0)) push(envelope);
  }

  function push(envelope: SlackEnvelope): void {
    const ws = sockets.at(-1);
    if (!ws) {
      queued.push(envelope);
      return;
    }
    pushed.push(envelope);
    ws.send(JSON.stringify(envelope));
    const pending: Pending = { envelope };
    unacked.set(envelope.envelope_id, pending);
    pending.timer = setTimeout(() => {
      if (!unacked.has(envelope.envelope_id)) return;
      unacked.delete(envelope.envelope_id);
      if (envelope.retry_attempt >= maxRetries) return;
      push({ ...envelope, retry_attempt: envelope.retry_attempt + 1, retry_reason: "timeout" });
    }, redeliverMs);
  }

  function takeFailure(method: string): Failure | undefined {
    const list = failures.get(method);
    const head = list?.[0];
    if (!list || !head) return undefined;
    head.count -= 1;
    if (head.count <= 0) list.shift();
    return head;
  }

  function json(res: ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  }

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async function parseParams(req: IncomingMessage, raw: Buffer): Promise<Record<string, unknown>> {
    const type = req.headers["content-type"] ?? "";
    if (type.startsWith("application/json")) return raw.length ? (JSON.parse(raw.toString("utf8")) as Record<string, unknown>) : {};
    if (type.startsWith("multipart/form-data")) {
      const form = await new Request(base, { method: "POST", headers: { "content-type": type }, body: raw }).formData();
      const out: Record<string, unknown> = {};
      for (const [key, value] of form) out[key] = typeof value === "string" ? value : new Uint8Array(await value.arrayBuffer());
      return out;
    }
    return Object.fromEntries(new URLSearchParams(raw.toString("utf8")));
  }

  function tokenOf(req: IncomingMessage, params: Record<string, unknown>): string | undefined {
    const auth = req.headers.authorization;
    if (auth?.startsWith("Bearer ")) return auth.slice("Bearer ".length);
    return typeof params.token === "string" ? params.token : undefined;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", base);
    if (url.pathname.startsWith("/api/")) return apiCall(url.pathname.slice("/api/".length), req, res);
    if (url.pathname.startsWith("/upload/")) return uploadBytes(url.pathname.slice("/upload/".length), req, res);
    if (url.pathname.startsWith("/files-pri/")) return downloadFile(url.pathname, req, res);
    res.writeHead(404).end();
  }

  async function apiCall(method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const params = await parseParams(req, await readBody(req));
    const token = tokenOf(req, params);
    calls.push({ method, token, params });
    const failure = takeFailure(method);
    if (failure?.status !== undefined) {
      const headers: Record<string, string> = failure.retryAfter !== undefined ? { "retry-after": String(failure.retryAfter) } : {};
      if (failure.status === 429) return json(res, { ok: false, error: "ratelimited" }, 429, headers);
      res.writeHead(failure.status, { "content-type": "text/html", ...headers });
      res.end(`<html><body>Fake Slack error ${failure.status}</body></html>`);
      return;
    }
    if (failure?.error !== undefined) return json(res, { ok: false, error: failure.error });
    if (!token) return json(res, { ok: false, error: "not_authed" });
    if (method === "apps.connections.open") {
      if (token === botToken) return json(res, { ok: false, error: "not_allowed_token_type" });
      if (token !== appToken) return json(res, { ok: false, error: "invalid_auth" });
      const ticket = randomUUID();
      tickets.add(ticket);
      return json(res, { ok: true, url: `${base.replace("http:", "ws:")}/socket?ticket=${ticket}&app_id=A0FAKE` });
    }
    if (token === appToken) return json(res, { ok: false, error: "not_allowed_token_type" });
    if (token !== botToken) return json(res, { ok: false, error: "invalid_auth" });
    switch (method) {
      case "auth.test":
        return json(res, {
          ok: true, url: "https://fake.slack.com/", team: "Fake Team", user: botName, team_id: teamId, user_id: botUserId, bot_id: botId, is_enterprise_install: false,
        });
      case "chat.postMessage":
        return postMessage(params, res);
      case "users.info":
        return usersInfo(String(params.user ?? ""), res);
      case "conversations.info":
        return conversationsInfo(String(params.channel ?? ""), res);
      case "files.getUploadURLExternal": {
        const fileId = `F${String(++seq).padStart(8, "0")}`;
        uploads.set(fileId, { filename: String(params.filename ?? "file") });
        return json(res, { ok: true, upload_url: `${base}/upload/${fileId}`, file_id: fileId });
      }
      case "files.completeUploadExternal":
        return completeUpload(params, res);
      default:
        return json(res, { ok: false, error: "unknown_method" });
    }
  }

  function postMessage(params: Record<string, unknown>, res: ServerResponse): void {
    const channel = String(params.channel ?? "");
    const text = typeof params.text === "string" ? params.text : "";
    if (!channel) return json(res, { ok: false, error: "channel_not_found" });
    if (!text && !params.blocks) return json(res, { ok: false, error: "no_text" });
    const ts = nextTs();
    const bool = (v: unknown): boolean | undefined => (v === undefined ? undefined : v === true || v === "true");
    const threadTs = typeof params.thread_ts === "string" && params.thread_ts ? params.thread_ts : undefined;
    sent.push({ method: "chat.postMessage", channel, ts, text, thread_ts: threadTs, mrkdwn: bool(params.mrkdwn), unfurl_links: bool(params.unfurl_links) });
    json(res, {
      ok: true, channel, ts,
      message: { type: "message", user: botUserId, bot_id: botId, text, ts, ...(threadTs ? { thread_ts: threadTs } : {}) },
    });
  }

  function usersInfo(id: string, res: ServerResponse): void {
    const user = users.get(id);
    if (!user) return json(res, { ok: false, error: "user_not_found" });
    json(res, {
      ok: true,
      user: { id, team_id: teamId, name: user.name, real_name: user.realName, is_bot: false, profile: { real_name: user.realName, display_name: user.name } },
    });
  }

  function conversationsInfo(id: string, res: ServerResponse): void {
    const name = channels.get(id);
    if (!name) return json(res, { ok: false, error: "channel_not_found" });
    json(res, { ok: true, channel: { id, name, is_channel: true, is_private: false, is_im: false } });
  }

  async function uploadBytes(fileId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const upload = uploads.get(fileId);
    const raw = await readBody(req);
    if (!upload || req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    const params = await parseParams(req, raw);
    const body = Object.values(params).find((v): v is Uint8Array => v instanceof Uint8Array);
    upload.bytes = body ?? new Uint8Array(raw);
    res.writeHead(200, { "content-type": "text/plain" }).end(`OK - ${upload.bytes.length}`);
  }

  function completeUpload(params: Record<string, unknown>, res: ServerResponse): void {
    const list = (typeof params.files === "string" ? JSON.parse(params.files) : params.files) as { id: string; title?: string }[];
    const channel = typeof params.channel_id === "string" ? params.channel_id : "";
    const threadTs = typeof params.thread_ts === "string" ? params.thread_ts : undefined;
    const out: Record<string, unknown>[] = [];
    for (const f of list) {
      const upload = uploads.get(f.id);
      if (!upload?.bytes) return json(res, { ok: false, error: "file_not_found" });
      const ts = nextTs();
      if (channel) {
        sent.push({
          method: "files.completeUploadExternal", channel, ts, text: typeof params.initial_comment === "string" ? params.initial_comment : "",
          thread_ts: threadTs, file: { id: f.id, filename: upload.filename, title: f.title, bytes: upload.bytes },
        });
      }
      out.push({
        id: f.id, name: upload.filename, title: f.title ?? upload.filename, size: upload.bytes.length,
        shares: channel ? { public: { [channel]: [{ ts, channel_name: channels.get(channel) ?? channel, ...(threadTs ? { thread_ts: threadTs } : {}) }] } } : {},
      });
    }
    json(res, { ok: true, files: out });
  }

  function downloadFile(pathname: string, req: IncomingMessage, res: ServerResponse): void {
    const id = pathname.split("/")[2] ?? "";
    const file = files.get(id);
    if (req.headers.authorization !== `Bearer ${botToken}`) {
      // Slack answers an unauthenticated file URL with its sign-in page, not a 401.
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!DOCTYPE html><html><body>Sign in to Slack</body></html>");
      return;
    }
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.meta.mimetype, "content-length": String(file.bytes.length) }).end(Buffer.from(file.bytes));
  }

  function injectEvent(event: Record<string, unknown>): { envelopeId: string; eventId: string } {
    const payload = eventCallback(event, { teamId, botUserId });
    const envelopeId = randomUUID();
    push({ envelope_id: envelopeId, type: "events_api", payload, accepts_response_payload: false, retry_attempt: 0, retry_reason: "" });
    return { envelopeId, eventId: String(payload.event_id) };
  }

  function messageEvent(o: InjectMessageOptions, ts: string): Record<string, unknown> {
    return {
      type: "message",
      ...(o.subtype ? { subtype: o.subtype } : {}),
      ...(o.user ? { user: o.user } : {}),
      ...(o.bot_id ? { bot_id: o.bot_id } : {}),
      text: o.text,
      ts,
      event_ts: ts,
      channel: o.channel,
      channel_type: o.channel_type,
      team: teamId,
      ...(o.thread_ts ? { thread_ts: o.thread_ts } : {}),
      ...(o.parent_user_id ? { parent_user_id: o.parent_user_id } : {}),
      ...(o.files ? { files: o.files, upload: false } : {}),
    };
  }

  function injectMessage(o: InjectMessageOptions): { ts: string; envelopeId: string } {
    const ts = o.ts ?? nextTs();
    return { ts, envelopeId: injectEvent(messageEvent(o, ts)).envelopeId };
  }

  async function waitFor(predicate: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`slack fake: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  return {
    apiRoot: `${base}/api/`,
    botToken, appToken, botUserId, botId, botName,
    sent, acks, pushed, calls,
    get connectionCount() {
      return connectionCount;
    },
    get openSockets() {
      return sockets.length;
    },
    addUser(id, name, realName = name) {
      users.set(id, { name, realName });
    },
    addChannel(id, name) {
      channels.set(id, name);
    },
    addFile({ name, mimetype, bytes }) {
      const id = `F${String(++seq).padStart(8, "0")}`;
      const url = `${base}/files-pri/${id}/${encodeURIComponent(name)}`;
      const meta: SlackFakeFile = {
        id, name, title: name, mimetype, filetype: name.split(".").pop() ?? "bin", size: bytes.length,
        url_private: url, url_private_download: `${url}?download=1`,
      };
      files.set(id, { meta, bytes });
      return meta;
    },
    injectEvent,
    injectMessage,
    dm: (user, text) => injectMessage({ channel: `D${user.slice(1)}`, channel_type: "im", user, text }),
    channelMessage: (channel, user, text) => injectMessage({ channel, channel_type: "channel", user, text }),
    mention(channel, user, text) {
      const ts = nextTs();
      const withMention = `<@${botUserId}> ${text}`;
      const message = injectMessage({ channel, channel_type: "channel", user, text: withMention, ts });
      const mention = injectEvent({ type: "app_mention", user, text: withMention, ts, event_ts: ts, channel, team: teamId });
      return { ts, envelopeIds: [message.envelopeId, mention.envelopeId] };
    },
    failNext(method, count, status, retryAfter) {
      const list = failures.get(method) ?? [];
      list.push({ count, status, retryAfter });
      failures.set(method, list);
    },
    rejectNext(method, error, count = 1) {
      const list = failures.get(method) ?? [];
      list.push({ count, error });
      failures.set(method, list);
    },
    disconnect(reason = "refresh_requested") {
      for (const ws of sockets) ws.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "fake-slack" } }));
    },
    dropConnections() {
      for (const ws of sockets.slice()) ws.terminate();
    },
    async waitForSent(n, timeoutMs) {
      await waitFor(() => sent.length >= n, timeoutMs, `${n} sent message(s)`);
      return sent;
    },
    async waitForAcks(n, timeoutMs) {
      await waitFor(() => acks.length >= n, timeoutMs, `${n} ack(s)`);
      return acks;
    },
    waitFor,
    async close() {
      for (const pending of unacked.values()) clearTimeout(pending.timer);
      unacked.clear();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
