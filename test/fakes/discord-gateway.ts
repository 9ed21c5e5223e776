// The fake Discord gateway: one WebSocket endpoint speaking gateway v10 with JSON encoding (HELLO, IDENTIFY with token
// and intent checks, heartbeat ACKs, READY + GUILD_CREATE, RESUME with replay) and dispatching events to every session.
// No compression, no sharding, no presence; enough for discord.js to run unchanged.
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { GatewayDispatchEvents, GatewayIntentBits, GatewayOpcodes } from "discord.js";
import { WebSocket, WebSocketServer } from "ws";

export interface FakeGatewayOptions {
  token: string;
  heartbeatIntervalMs: number;
  /** Whether the Message Content privileged intent is enabled for the app; IDENTIFY asking for it otherwise → 4014. */
  messageContentEnabled: () => boolean;
  /** READY's `d` for a new session. */
  ready: (sessionId: string) => Record<string, unknown>;
  /** One GUILD_CREATE `d` per guild, sent right after READY. */
  guilds: () => Record<string, unknown>[];
}

interface DispatchFrame {
  op: GatewayOpcodes.Dispatch;
  t: string;
  s: number;
  d: unknown;
}

interface Session {
  id: string;
  intents: number;
  seq: number;
  /** Every frame of the session, replayed after a RESUME from the client's last seen sequence. */
  log: DispatchFrame[];
  socket: WebSocket | undefined;
}

/** Per-session view of an event: the payload that session receives, or undefined to skip it (intents). */
export type DispatchFilter = (intents: number) => unknown;

export class FakeGateway {
  /** Every accepted IDENTIFY, in order. */
  readonly identifies: { intents: number }[] = [];
  resumes = 0;
  private identifyCloseCode: number | undefined;
  private readonly opts: FakeGatewayOptions;
  private readonly sessions = new Map<string, Session>();
  private readonly server = new WebSocketServer({ noServer: true });

  constructor(opts: FakeGatewayOptions) {
    this.opts = opts;
    this.server.on("connection", (socket, req) => this.accept(socket, req));
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.server.handleUpgrade(req, socket, head, (ws) => this.server.emit("connection", ws, req));
  }

  /** Sends an event to every session (connected now, or buffered for its RESUME). */
  dispatch(t: string, d: unknown, filter: DispatchFilter = () => d): void {
    for (const session of this.sessions.values()) {
      const payload = filter(session.intents);
      if (payload !== undefined) this.push(session, t, payload);
    }
  }

  /** The next IDENTIFY is answered by closing with `closeCode`. */
  failNextIdentify(closeCode: number): void {
    this.identifyCloseCode = closeCode;
  }

  /** Sessions whose socket is open right now. */
  connected(): number {
    return [...this.sessions.values()].filter((s) => s.socket?.readyState === WebSocket.OPEN).length;
  }

  /** Closes every open gateway socket: with a close code (4000 = unknown error, resumable) or abruptly (no close frame). */
  drop(opts: { code?: number; abrupt?: boolean } = {}): number {
    let dropped = 0;
    for (const session of this.sessions.values()) {
      const socket = session.socket;
      if (socket?.readyState !== WebSocket.OPEN) continue;
      dropped++;
      if (opts.abrupt) socket.terminate();
      else socket.close(opts.code ?? 4000, "fake: connection dropped");
    }
    return dropped;
  }

  close(): void {
    for (const client of this.server.clients) client.terminate();
    this.server.close();
  }

  private accept(socket: WebSocket, req: IncomingMessage): void {
    const query = new URL(req.url ?? "/", "http://fake").searchParams;
    if (query.get("v") !== "10") return socket.close(4012, "Invalid API version.");
    if ((query.get("encoding") ?? "json") !== "json") return socket.close(4002, "Error while decoding payload.");
    let session: Session | undefined;
    send(socket, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.opts.heartbeatIntervalMs }, s: null, t: null });
    socket.on("message", (raw) => {
      let payload: { op?: number; d?: any };
      try {
        payload = JSON.parse(String(raw));
      } catch {
        return socket.close(4002, "Error while decoding payload.");
      }
      if (payload.op === GatewayOpcodes.Heartbeat) return send(socket, { op: GatewayOpcodes.HeartbeatAck, d: null, s: null, t: null });
      if (payload.op === GatewayOpcodes.Identify) {
        if (session) return socket.close(4005, "Already authenticated.");
        session = this.identify(socket, payload.d);
        return;
      }
      if (payload.op === GatewayOpcodes.Resume) {
        if (session) return socket.close(4005, "Already authenticated.");
        session = this.resume(socket, payload.d);
        return;
      }
      if (!session) socket.close(4003, "Not authenticated.");
    });
    socket.on("close", (code) => {
      if (!session || session.socket !== socket) return;
      session.socket = undefined;
      // A clean close (1000/1001) ends the session; anything else leaves it resumable.
      if (code === 1000 || code === 1001) this.sessions.delete(session.id);
    });
  }

  private identify(socket: WebSocket, d: { token?: string; intents?: number } | undefined): Session | undefined {
    if (d?.token !== this.opts.token) {
      socket.close(4004, "Authentication failed.");
      return undefined;
    }
    if (this.identifyCloseCode !== undefined) {
      socket.close(this.identifyCloseCode, "fake: identify refused");
      this.identifyCloseCode = undefined;
      return undefined;
    }
    const intents = Number(d.intents ?? 0);
    if ((intents & GatewayIntentBits.MessageContent) !== 0 && !this.opts.messageContentEnabled()) {
      socket.close(4014, "Disallowed intent(s).");
      return undefined;
    }
    this.identifies.push({ intents });
    const session: Session = { id: randomBytes(16).toString("hex"), intents, seq: 0, log: [], socket };
    this.sessions.set(session.id, session);
    this.push(session, GatewayDispatchEvents.Ready, this.opts.ready(session.id));
    if ((intents & GatewayIntentBits.Guilds) !== 0) {
      for (const guild of this.opts.guilds()) this.push(session, GatewayDispatchEvents.GuildCreate, guild);
    }
    return session;
  }

  private resume(socket: WebSocket, d: { token?: string; session_id?: string; seq?: number } | undefined): Session | undefined {
    if (d?.token !== this.opts.token) {
      socket.close(4004, "Authentication failed.");
      return undefined;
    }
    const session = this.sessions.get(String(d.session_id));
    if (!session) {
      send(socket, { op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
      return undefined;
    }
    if (session.socket && session.socket !== socket) session.socket.terminate();
    session.socket = socket;
    this.resumes++;
    const from = Number(d.seq ?? 0);
    for (const frame of session.log) if (frame.s > from) send(socket, frame);
    this.push(session, GatewayDispatchEvents.Resumed, {});
    return session;
  }

  private push(session: Session, t: string, d: unknown): void {
    const frame: DispatchFrame = { op: GatewayOpcodes.Dispatch, t, s: ++session.seq, d };
    session.log.push(frame);
    if (session.socket?.readyState === WebSocket.OPEN) send(session.socket, frame);
  }
}

function send(socket: WebSocket, frame: unknown): void {
  socket.send(JSON.stringify(frame));
}
