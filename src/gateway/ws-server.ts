// The `/ws` WebSocket endpoint: refuses upgrades from foreign origins and hosts, authenticates each connection, turns
// client frames into dispatcher and store calls, and forwards run events of the sessions a connection follows.
// Frame shapes and mappings live in ws-protocol.ts. The `ws` package is imported on the first upgrade request.
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { RawData, WebSocket, WebSocketServer } from "ws";
import { buildSessionKey, newId, parseSessionKey } from "../core/ids.ts";
import { hasOwnEntry } from "../core/own-entry.ts";
import { addressKey, createAuthLockout, type AuthLockout } from "./auth-lockout.ts";
import type { GatewayContext, TokenVerifier } from "./gateway-context.ts";
import { createOriginGuard, type OriginGuard } from "./origin-guard.ts";
import { createRateLimiter, type RateLimiter } from "./rate-limit.ts";
import { loadChatHistory } from "./chat-history.ts";
import {
  MAX_ATTACHMENTS, MAX_MESSAGE_ATTACHMENT_BYTES, PROTOCOL_VERSION, parseClientFrame, toRunFrame, type ClientFrame, type ErrorCode, type ParsedFrame, type RequestId, type ServerFrame,
} from "./ws-protocol.ts";

export const CLOSE_UNAUTHORIZED = 4401;
/** Closes a connection from an address locked out after failed authentication. */
export const CLOSE_LOCKED_OUT = 4429;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_SHUTDOWN = 1001;

export interface WebSocketOptions {
  server: Server;
  path?: "/ws";
  ctx: GatewayContext;
  tokens: TokenVerifier;
  /** Largest accepted client frame; bigger ones close the connection with 1009. Default 64 KiB. An authenticated
   * chat.send carrying images may be bigger by the images' base64 size (at most 10 MB decoded in all). */
  maxFrameBytes?: number;
  now?: () => number;
  /** Failed-authentication backoff; the gateway shares one with its HTTP app. Default: one of its own on `now`. */
  authLockout?: AuthLockout;
  /** Host and Origin rules for upgrades. Default: Host checked when `gateway.bind` is loopback; Origin always. */
  originGuard?: OriginGuard;
  /** Time allowed for the auth frame. Default 10 000 ms. */
  authTimeoutMs?: number;
  /** Ping interval; a client that missed the previous pong is terminated. Default 30 000 ms. */
  heartbeatMs?: number;
  /** chat.send frames allowed per connection per one-minute window. Default 30. */
  sendsPerMinute?: number;
  /** Sessions one connection follows at most; past it the one it followed longest ago is dropped. Default 1,000. */
  maxFollowedSessions?: number;
  serverVersion?: string;
}

export interface WebSocketEndpoint {
  /** Closes every connection with 1001 and stops accepting upgrades. */
  close(): Promise<void>;
  /** Open connections, authenticated or not. */
  clients(): number;
}

interface Connection {
  ws: WebSocket;
  remote: string | undefined;
  authed: boolean;
  /** The credential it authenticated with, checked again on each frame and heartbeat: a rotated token or an
   * expired UI session ends the connection. */
  token: string | undefined;
  closing: boolean;
  alive: boolean;
  client: string | undefined;
  /** Sessions whose run events this connection receives. */
  follows: Set<string>;
  /** Run frames held back while a chat.send on that session awaits its ack. */
  holds: Map<string, { count: number; frames: ServerFrame[] }>;
  sends: RateLimiter; // chat.send frames per minute
  queue: Promise<void>;
}

const MAX_BUFFERED_BYTES = 8 * 1024 * 1024; // a client this far behind is dropped rather than buffered forever

/** Serves the WebSocket protocol on `path` of an existing HTTP server.
 * Contract: frames of one connection are handled in order; acks follow request order. */
export function attachWebSocket(opts: WebSocketOptions): WebSocketEndpoint {
  const { ctx, tokens, server } = opts;
  const path = opts.path ?? "/ws";
  const now = opts.now ?? Date.now;
  const authTimeoutMs = opts.authTimeoutMs ?? 10_000;
  const sendsPerMinute = opts.sendsPerMinute ?? 30;
  const maxFollowedSessions = opts.maxFollowedSessions ?? 1_000;
  const log = ctx.log.child({ component: "gateway.ws" });
  const maxFrameBytes = opts.maxFrameBytes ?? 64 * 1024;
  // Room for a chat.send with images: base64 is 4/3 of the bytes, plus the JSON around them.
  const maxPayload = maxFrameBytes + Math.ceil((MAX_MESSAGE_ATTACHMENT_BYTES * 4) / 3) + MAX_ATTACHMENTS * 1024;
  const lockout = opts.authLockout ?? createAuthLockout({ now });
  const guard = opts.originGuard ?? createOriginGuard({
    gateway: () => ctx.config.gateway,
    loopback: ctx.config.gateway.bind === "loopback",
    port: () => (server.address() as AddressInfo | null)?.port,
  });
  const defaultAgent = hasOwnEntry(ctx.config.agents, "default") ? "default" : (Object.keys(ctx.config.agents)[0] ?? "default");
  let wss: Promise<WebSocketServer> | undefined; // created on the first upgrade that passes the checks
  const loadServer = async (): Promise<WebSocketServer> => {
    const { WebSocketServer } = await import("ws");
    return new WebSocketServer({ noServer: true, maxPayload });
  };
  const conns = new Set<Connection>();
  const runSessions = new Map<string, string>(); // runId → session key, for runs in flight
  let closed = false;

  const unsubscribe = ctx.dispatcher.subscribe((event) => {
    if (event.type === "run_started") runSessions.set(event.runId, event.sessionKey);
    const session = "sessionKey" in event ? event.sessionKey : runSessions.get(event.runId);
    if (event.type === "run_finished") runSessions.delete(event.runId);
    if (conns.size === 0) return; // no one to tell: build no frame
    const frame = session === undefined ? undefined : toRunFrame(event, session);
    if (!frame || session === undefined) return;
    for (const c of conns) {
      if (!c.follows.has(session)) continue;
      const hold = c.holds.get(session);
      if (hold) hold.frames.push(frame);
      else send(c, frame);
    }
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const pathname = URL.parse(req.url ?? "/", "http://localhost")?.pathname; // never throws on a malformed target
    if (pathname !== path || closed) {
      socket.write(`HTTP/1.1 ${closed ? "503 Service Unavailable" : "404 Not Found"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
      return;
    }
    // Before the upgrade: a browser page on another site (or a rebinding name) must not reach the auth frame at all.
    const host = guard.checkHost(req.headers.host);
    if (!host.ok) {
      log.warn({ remote: req.socket.remoteAddress, host: req.headers.host }, "upgrade refused: Host not allowed");
      return refuseUpgrade(socket, "forbidden_host", host.message);
    }
    const origin = guard.checkOrigin(req.headers.origin, req.headers.host);
    if (!origin.ok) {
      log.warn({ remote: req.socket.remoteAddress, origin: req.headers.origin }, "upgrade refused: foreign Origin");
      return refuseUpgrade(socket, "forbidden_origin", origin.message);
    }
    // Until the upgrade completes the socket is paused (its bytes wait in its buffer) and its errors are ours to catch.
    const onSocketError = (): void => void socket.destroy();
    socket.on("error", onSocketError);
    wss ??= loadServer();
    wss.then(
      (ready) => {
        socket.off("error", onSocketError);
        if (closed) {
          socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
          return;
        }
        ready.handleUpgrade(req, socket, head, (ws) => accept(ws, req));
      },
      (err: unknown) => {
        log.error({ err }, "upgrade failed: the WebSocket server could not be loaded");
        socket.end("HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      },
    );
  };
  server.on("upgrade", onUpgrade);

  const heartbeat = setInterval(() => {
    for (const c of conns) {
      if (c.authed && !tokens.verify(c.token ?? "")) {
        revoke(c);
        continue;
      }
      if (!c.alive) {
        log.debug({ remote: c.remote }, "no pong; terminating");
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }, opts.heartbeatMs ?? 30_000);
  heartbeat.unref();

  function accept(ws: WebSocket, req: IncomingMessage): void {
    const c: Connection = {
      ws, remote: req.socket.remoteAddress, authed: false, token: undefined, closing: false, alive: true, client: undefined,
      follows: new Set(), holds: new Map(), sends: createRateLimiter({ perMinute: sendsPerMinute, now }), queue: Promise.resolve(),
    };
    conns.add(c);
    const authTimer = setTimeout(() => reject(c, "unauthorized", `no auth frame within ${authTimeoutMs} ms`, "auth timeout"), authTimeoutMs);
    ws.on("message", (data, isBinary) => {
      c.queue = c.queue
        .then(() => onMessage(c, data, isBinary, () => clearTimeout(authTimer)))
        .catch((err: unknown) => log.error({ err }, "frame handler failed"));
    });
    ws.on("pong", () => (c.alive = true));
    ws.on("error", (err: Error & { code?: string }) => log.warn({ remote: c.remote, code: err.code }, "connection error"));
    ws.on("close", (code) => {
      clearTimeout(authTimer);
      conns.delete(c);
      log.debug({ remote: c.remote, code }, "connection closed");
    });
  }

  async function onMessage(c: Connection, data: RawData, isBinary: boolean, authDone: () => void): Promise<void> {
    if (c.closing) return;
    const size = rawSize(data);
    // Only an authenticated chat.send with images may pass the frame limit (up to the socket's maxPayload).
    if (size > maxFrameBytes && (!c.authed || isBinary)) return tooBig(c, size);
    const parsed: ParsedFrame = isBinary ? { ok: false, message: "expected a text frame holding JSON" } : parseClientFrame(rawText(data));
    if (size > maxFrameBytes && !(parsed.ok && parsed.frame.type === "chat.send" && (parsed.frame.attachments?.length ?? 0) > 0)) return tooBig(c, size);
    if (!c.authed) {
      // The same key as HTTP bearer auth: guesses over either surface add up. A locked-out client's token is not checked.
      const lockKey = `gateway:${addressKey(c.remote ?? "unknown")}`;
      const locked = lockout.check(lockKey);
      if (!locked.ok) return lockOut(c, locked.retryAfterSec);
      if (!parsed.ok) return reject(c, "bad_frame", `the first frame must be {"type":"auth","token":…}; ${parsed.message}`, "auth required", parsed.path);
      if (parsed.frame.type !== "auth") return reject(c, "unauthorized", 'the first frame must be {"type":"auth","token":…}', "auth required");
      if (!tokens.verify(parsed.frame.token)) {
        const after = lockout.fail(lockKey);
        log.warn({ remote: c.remote, ...(after.ok ? {} : { retryAfterSec: after.retryAfterSec }) }, after.ok ? "rejected token" : "rejected token: client locked out");
        return reject(c, "unauthorized", "the token was not accepted. Fix: use the current gateway token (PINCER_GATEWAY_TOKEN, or a new one from 'pincer gateway token --rotate')", "unauthorized");
      }
      authDone();
      c.authed = true;
      c.token = parsed.frame.token;
      c.client = parsed.frame.client;
      log.info({ remote: c.remote, client: c.client }, "client connected");
      send(c, { type: "hello", protocol: PROTOCOL_VERSION, serverVersion: opts.serverVersion ?? "0.1.0", defaultAgent, defaultSession: defaultSessionOf(c, defaultAgent) });
      return;
    }
    if (!tokens.verify(c.token ?? "")) return revoke(c);
    if (!parsed.ok) return sendError(c, parsed.id, "bad_frame", parsed.message, parsed.path);
    const frame = parsed.frame;
    const id = "id" in frame ? frame.id : undefined;
    try {
      await onFrame(c, frame);
    } catch (err) {
      log.error({ err, frame: frame.type }, "request failed");
      sendError(c, id, "internal", "the request failed inside the gateway; see the gateway log");
    }
  }

  async function onFrame(c: Connection, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case "auth":
        return sendError(c, undefined, "bad_frame", "type: this connection is already authenticated", "type");
      case "chat.send":
        return onChatSend(c, frame);
      case "chat.abort": {
        const stopped = ctx.dispatcher.stop(frame.session);
        follow(c, frame.session);
        log.debug({ session: frame.session, runId: stopped.runId }, "chat.abort");
        return send(c, { type: "ack", id: frame.id, session: frame.session, ...(stopped.runId ? { runId: stopped.runId } : {}) });
      }
      case "sessions.list": {
        const sessions = await ctx.store.sessions.list({ limit: frame.limit ?? 50 });
        return send(c, {
          type: "sessions",
          id: frame.id,
          sessions: sessions.map((s) => ({
            key: s.key, agentId: s.agentId, channel: s.channel, ...(s.title !== undefined ? { title: s.title } : {}), createdAt: s.createdAt, updatedAt: s.updatedAt,
          })),
        });
      }
      case "sessions.history": {
        const session = await ctx.store.sessions.get(frame.session);
        if (!session) return sendError(c, frame.id, "not_found", `no session "${frame.session}"; list them with sessions.list`, "session");
        follow(c, session.key);
        const { messages, runs } = await loadChatHistory(ctx.store, session.key, frame.limit ?? 100);
        return send(c, { type: "history", id: frame.id, session: session.key, messages, runs });
      }
      case "approval.answer":
        return onApprovalAnswer(c, frame);
      case "ping":
        return send(c, { type: "pong", id: frame.id });
    }
  }

  async function onChatSend(c: Connection, frame: Extract<ClientFrame, { type: "chat.send" }>): Promise<void> {
    const rate = c.sends.take("chat.send");
    if (!rate.ok) return sendError(c, frame.id, "rate_limited", `at most ${sendsPerMinute} chat.send frames per minute; retry in ${rate.retryAfterSec} s`);

    const existing = frame.session ? await ctx.store.sessions.get(frame.session) : undefined;
    const agentId = frame.agent ?? existing?.agentId ?? (frame.session ? parseSessionKey(frame.session)?.agentId : undefined) ?? defaultAgent;
    const sessionKey = frame.session ?? defaultSessionOf(c, agentId);
    const attachments = frame.attachments ?? [];
    if (attachments.length === 0 && frame.text.trimStart().startsWith("/")) {
      // Chat commands need no model: /model must work even while the current one is unavailable.
      try {
        ctx.agentConfig(agentId);
      } catch (err) {
        return sendError(c, frame.id, "not_found", messageOf(err), "agent");
      }
      const { runWebChatCommand } = await import("./webchat-commands.ts");
      const answered = await runWebChatCommand(ctx, { client: c.client ?? "default", sessionKey, agentId, text: frame.text, now: now() });
      if (answered) {
        follow(c, sessionKey);
        log.debug({ session: sessionKey, command: answered.command }, "chat command");
        return send(c, { type: "ack", id: frame.id, disposition: "command", session: sessionKey, command: answered.command, reply: answered.reply });
      }
    }
    let modelRef: string;
    try {
      modelRef = existing?.modelOverride ?? ctx.agentConfig(agentId).model;
    } catch (err) {
      return sendError(c, frame.id, "not_found", messageOf(err), "agent");
    }
    try {
      await ctx.models.preflight(modelRef);
    } catch (err) {
      return sendError(c, frame.id, "model_unavailable", messageOf(err));
    }

    let text = frame.text;
    if (attachments.length > 0) {
      const { decodeAttachments, saveAttachments } = await import("./chat-attachments.ts");
      const decoded = decodeAttachments(attachments);
      if (!decoded.ok) return sendError(c, frame.id, "bad_frame", decoded.message, decoded.path);
      // The same lines a channel's photos become: the agent attaches the pixels to this turn's model call.
      const lines = await saveAttachments(ctx.workspaceFor(agentId), decoded.images, now());
      text = [frame.text, ...lines].filter((s) => s.trim()).join("\n");
    }

    follow(c, sessionKey);
    hold(c, sessionKey);
    try {
      log.debug({ session: sessionKey, chars: frame.text.length, images: attachments.length }, "chat.send");
      const submitted = await ctx.dispatcher.receive({
        agentId, sessionKey, channel: "webchat", text, trigger: "message", ...(existing ? { session: existing } : {}),
        inbound: { account: c.client ?? "default", messageId: frame.messageId ?? newId("wsmsg") },
      });
      if (submitted.duplicate) {
        const run = submitted.runId ? await ctx.store.runs.get(submitted.runId) : undefined;
        // A run resumed at start-up began before this server subscribed to run events: map it to its session now,
        // so its remaining events (run.final above all) reach the clients that follow the session.
        if (run && (run.status === "running" || run.status === "pending" || run.status === "waiting_approval")) runSessions.set(run.id, run.sessionKey);
        const follow = run ? { runId: run.id, runStatus: run.status } : {};
        return send(c, { type: "ack", id: frame.id, disposition: "duplicate", session: sessionKey, ...follow });
      }
      send(c, { type: "ack", id: frame.id, disposition: submitted.disposition, session: sessionKey });
      // A run that failed before it was created emits no events; tell the client instead of leaving it waiting.
      void submitted.result.then((outcome) => {
        if (!outcome.runId) sendError(c, frame.id, "internal", `the run could not start: ${outcome.error ?? "unknown error"}`);
      });
    } finally {
      release(c, sessionKey);
    }
  }

  /** Answers a waiting tool call as the operator (a /ws client holds the gateway token or a UI session). */
  async function onApprovalAnswer(c: Connection, frame: Extract<ClientFrame, { type: "approval.answer" }>): Promise<void> {
    const service = ctx.approvals?.();
    if (!service) return sendError(c, frame.id, "unavailable", "approvals are not available in this gateway (no approval service runs)");
    const result = await service.answer(frame.approvalId, { decision: frame.decision, ...(frame.always ? { always: true } : {}) }, "operator:ui");
    if (result.ok) {
      follow(c, result.request.sessionKey);
      return send(c, { type: "ack", id: frame.id, session: result.request.sessionKey, runId: result.request.runId, approvalStatus: result.request.status });
    }
    if (result.reason === "unknown") return sendError(c, frame.id, "unknown_approval", `no approval request "${frame.approvalId}"`, "approvalId");
    const closed = result.reason === "expired" ? "expired before it was answered" : `was answered already (${result.request?.status ?? "answered"}${result.request?.answeredBy ? ` by ${result.request.answeredBy}` : ""})`;
    return sendError(c, frame.id, "approval_closed", `approval request "${frame.approvalId}" ${closed}`, "approvalId");
  }

  /** Follows `session` as the newest one; bounded, since a client may name any number of sessions. */
  function follow(c: Connection, session: string): void {
    c.follows.delete(session);
    c.follows.add(session);
    if (c.follows.size > maxFollowedSessions) c.follows.delete(c.follows.values().next().value!);
  }

  function hold(c: Connection, session: string): void {
    const h = c.holds.get(session);
    if (h) h.count++;
    else c.holds.set(session, { count: 1, frames: [] });
  }

  function release(c: Connection, session: string): void {
    const h = c.holds.get(session);
    if (!h || --h.count > 0) return;
    c.holds.delete(session);
    for (const frame of h.frames) send(c, frame);
  }

  function defaultSessionOf(c: Connection, agentId: string): string {
    return buildSessionKey({ agentId, channel: "webchat", kind: "dm", peerId: c.client ?? "default" });
  }

  function send(c: Connection, frame: ServerFrame): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    if (c.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      log.warn({ remote: c.remote, buffered: c.ws.bufferedAmount }, "client too slow; terminating");
      c.ws.terminate();
      return;
    }
    c.ws.send(JSON.stringify(frame));
  }

  function sendError(c: Connection, id: RequestId | undefined, code: ErrorCode, message: string, path?: string): void {
    send(c, { type: "error", ...(id !== undefined ? { id } : {}), code, message, ...(path ? { path } : {}) });
  }

  function reject(c: Connection, code: ErrorCode, message: string, reason: string, path?: string): void {
    if (c.authed || c.closing) return;
    c.closing = true;
    sendError(c, undefined, code, message, path);
    c.ws.close(CLOSE_UNAUTHORIZED, reason);
  }

  /** Ends an authenticated connection whose token no longer holds (rotated, or a UI session that expired). */
  function revoke(c: Connection): void {
    if (c.closing) return;
    c.closing = true;
    log.info({ remote: c.remote, client: c.client }, "connection closed: its token was revoked");
    sendError(c, undefined, "unauthorized", "the token is no longer valid (rotated, or the login expired). Fix: log in again, e.g. with a link from 'pincer dashboard'");
    c.ws.close(CLOSE_UNAUTHORIZED, "token revoked");
  }

  function tooBig(c: Connection, size: number): void {
    c.closing = true;
    log.warn({ remote: c.remote, bytes: size }, "frame too big; closing");
    c.ws.close(CLOSE_TOO_BIG, "frame too big");
  }

  function lockOut(c: Connection, retryAfterSec: number): void {
    c.closing = true;
    sendError(c, undefined, "rate_limited", `too many failed authentication attempts from this address; retry in ${retryAfterSec} s`);
    c.ws.close(CLOSE_LOCKED_OUT, "locked out");
  }

  return {
    clients: () => conns.size,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      server.off("upgrade", onUpgrade);
      await Promise.all([...conns].map((c) => closeGracefully(c.ws)));
      const loaded = await wss?.catch(() => undefined);
      if (loaded) await new Promise<void>((done) => loaded.close(() => done()));
    },
  };
}

/** Answers an upgrade request with 403 and a JSON error, and closes the socket once that is sent. */
function refuseUpgrade(socket: Duplex, type: string, message: string): void {
  const body = JSON.stringify({ error: { type, message } });
  socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

function closeGracefully(ws: WebSocket): Promise<void> {
  return new Promise((done) => {
    if (ws.readyState === ws.CLOSED) return done();
    ws.once("close", () => done());
    ws.close(CLOSE_SHUTDOWN, "server shutdown");
    setTimeout(() => ws.terminate(), 2_000).unref(); // a peer that never answers the close handshake
  });
}

function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return Buffer.isBuffer(data) ? data.length : data.byteLength;
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString("utf8");
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
