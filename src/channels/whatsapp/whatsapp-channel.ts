// WhatsApp as a linked device (Baileys, WhatsApp Web multi-device): connect and reconnect, hand live messages to the
// sink, send replies, typing, media, probe and QR linking. Mapping, markup, errors and login live beside it.
import { DisconnectReason, downloadMediaMessage } from "baileys";
import type { proto, WAMessage, WAMessageKey } from "baileys";
import type { Logger } from "pino";
import type { WhatsappAccountConfig } from "../../core/channel-config.ts";
import { ChannelError } from "../../core/errors.ts";
import type { ChannelErrorCode } from "../../core/errors.ts";
import type { InboundMedia, InboundMessage, ReplyRoute } from "../../core/inbound.ts";
import type { ChannelFactoryOptions } from "../channel-registry.ts";
import { backoffDelay, sleep } from "../kit/backoff.ts";
import type { BackoffOptions } from "../kit/backoff.ts";
import type {
  Channel, ChannelHealth, ChannelSink, ChannelState, LoginCapable, MediaCapable, OutboundMedia, OutboundMessage,
  ProbeCapable, ProbeResult, SentMessage, TypingCapable,
} from "../kit/channel.ts";
import { authDirOf, clearAuthDir, loginCommand, openAuthState, phoneOf, readLinkedPhone } from "./whatsapp-auth.ts";
import type { AuthFiles } from "./whatsapp-auth.ts";
import { statusOf, toChannelError } from "./whatsapp-errors.ts";
import { renderWhatsapp } from "./whatsapp-format.ts";
import { messageIdOf, toInbound } from "./whatsapp-inbound.ts";
import { linkDevice } from "./whatsapp-login.ts";
import { makeBaileysSocket, quietLogger } from "./whatsapp-socket.ts";
import type { MakeSocket, WhatsappSocket } from "./whatsapp-socket.ts";

/** Downloads an inbound message's media as a byte stream (default: Baileys' downloadMediaMessage). */
export type DownloadMedia = (
  msg: WAMessage,
  ctx: { reupload: (msg: WAMessage) => Promise<WAMessage>; logger: Logger },
) => Promise<AsyncIterable<Uint8Array>>;

export interface WhatsappChannelOptions extends ChannelFactoryOptions<WhatsappAccountConfig> {
  /** Builds one Baileys socket per connection attempt; default makeWASocket. */
  makeSocket?: MakeSocket;
  downloadMedia?: DownloadMedia;
  /** Delays of reconnects and deliver retries. */
  backoff?: BackoffOptions;
}

const TEXT_LIMIT = 4_000; // characters; WhatsApp takes more, but long walls of text read badly on a phone
const RECENT_LIMIT = 200; // raw messages kept for quoting, media downloads and Baileys' retry requests
const DELIVER_ATTEMPTS = 5;
const OFFLINE_MAX_AGE_MS = 24 * 60 * 60 * 1000; // like Telegram's pending updates: older backlog is not answered

const downloadWithBaileys: DownloadMedia = async (msg, ctx) =>
  downloadMediaMessage(msg, "stream", {}, { reuploadRequest: ctx.reupload, logger: ctx.logger });

/** Creates the WhatsApp channel of one account. Contract: never connects before `start` or `login`. */
export function createWhatsappChannel(opts: WhatsappChannelOptions): WhatsappChannel {
  return new WhatsappChannel(opts);
}

export class WhatsappChannel implements Channel, TypingCapable, MediaCapable, ProbeCapable, LoginCapable {
  readonly channel = "whatsapp";
  readonly account: string;
  readonly textLimit: number;
  private readonly log: Logger;
  private readonly baileysLog: Logger;
  private readonly authDir: string;
  private readonly makeSocket: MakeSocket;
  private readonly downloadMedia: DownloadMedia;
  private readonly backoff: BackoffOptions | undefined;
  private readonly now: () => number;
  private state: ChannelState = "stopped";
  private since: number;
  private identity: string | undefined;
  private detail: string | undefined;
  private auth: AuthFiles | undefined;
  private sink: ChannelSink | undefined;
  private sock: WhatsappSocket | undefined;
  private stopped = true;
  private abort = new AbortController();
  private attempt = 0;
  private starting: { resolve: () => void; reject: (err: ChannelError) => void } | undefined;
  private inbound: Promise<void> = Promise.resolve();
  private readonly recent = new Map<string, WAMessage>();
  private readonly groupTitles = new Map<string, string>();

  constructor(opts: WhatsappChannelOptions) {
    this.account = opts.account;
    this.textLimit = Math.min(TEXT_LIMIT, opts.config.text_chunk_limit ?? TEXT_LIMIT);
    this.log = opts.log.child({ component: "channel.whatsapp", account: opts.account });
    this.baileysLog = quietLogger(this.log);
    this.authDir = authDirOf({ authDir: opts.config.auth_dir, stateDir: opts.stateDir, account: opts.account });
    this.makeSocket = opts.makeSocket ?? makeBaileysSocket;
    this.downloadMedia = opts.downloadMedia ?? downloadWithBaileys;
    this.backoff = opts.backoff;
    this.now = opts.now ?? Date.now;
    this.since = this.now();
  }

  async start(sink: ChannelSink): Promise<void> {
    if (["starting", "connected", "reconnecting"].includes(this.state)) {
      throw new Error(`whatsapp account ${this.account}: start() while already ${this.state}`);
    }
    this.sink = sink;
    this.stopped = false;
    this.abort = new AbortController();
    this.attempt = 0;
    this.setState("starting");
    try {
      this.auth = await openAuthState(this.authDir);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw this.fail("unavailable", `cannot open the credentials folder ${this.authDir}: ${reason}. Fix: check auth_dir and its permissions`, err);
    }
    if (this.stopped) throw this.error("unavailable", "stopped before it connected", false);
    if (!this.auth.state.creds.me) {
      throw this.fail("auth_failed", `not linked yet. Fix: run '${loginCommand(this.account)}'`);
    }
    this.identity = phoneOf(this.auth.state.creds.me.id);
    const connected = new Promise<void>((resolve, reject) => {
      this.starting = { resolve, reject };
    });
    void this.connect();
    return connected;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    const sock = this.sock;
    this.sock = undefined;
    this.starting?.reject(this.error("unavailable", "stopped before it connected", false));
    this.starting = undefined;
    this.setState("stopped");
    if (sock) await sock.end(undefined).catch(() => undefined);
    this.log.info("channel stopped");
  }

  async send(msg: OutboundMessage): Promise<SentMessage> {
    const sock = this.requireSocket("sendMessage");
    const jid = msg.route.chatId;
    const quoted = msg.replyToMessageId ? this.recent.get(msg.replyToMessageId) : undefined;
    // WhatsApp markup is plain text with markers: the server never rejects it, so there is no plain-text resend.
    const text = renderWhatsapp(msg.text);
    let sent: WAMessage | undefined;
    try {
      if (!msg.media) sent = await sock.sendMessage(jid, { text }, quoted ? { quoted } : undefined);
      else {
        sent = await sock.sendMessage(jid, mediaContent(msg.media, text), quoted ? { quoted } : undefined);
        // Audio has no caption on WhatsApp: the text follows as its own message.
        if (msg.media.kind === "audio" && text !== "") sent = await sock.sendMessage(jid, { text });
      }
    } catch (err) {
      throw toChannelError(err, { method: "sendMessage", account: this.account });
    }
    if (!sent?.key.id) throw this.error("unavailable", "sendMessage returned no message", false);
    const messageId = messageIdOf(jid, sent.key.id);
    this.remember(messageId, sent);
    this.log.debug({ chatId: jid, messageId, chars: text.length, media: msg.media?.kind }, "message sent");
    return { messageId };
  }

  async sendTyping(route: ReplyRoute): Promise<void> {
    const sock = this.requireSocket("sendPresenceUpdate");
    await sock.sendPresenceUpdate("composing", route.chatId).catch((err: unknown) => {
      throw toChannelError(err, { method: "sendPresenceUpdate", account: this.account });
    });
  }

  async fetchMedia(media: InboundMedia, maxBytes: number): Promise<{ bytes: Uint8Array; mimeType: string; fileName?: string }> {
    const msg = this.recent.get(media.ref);
    if (!msg) {
      throw this.error("not_found", `media ${media.ref} is no longer at hand (the last ${RECENT_LIMIT} messages are kept)`, false, "downloadMediaMessage");
    }
    const tooLarge = (): ChannelError =>
      this.error("too_large", `media ${media.ref} is larger than ${maxBytes} bytes (media_max_mb)`, false, "downloadMediaMessage");
    if (media.sizeBytes !== undefined && media.sizeBytes > maxBytes) throw tooLarge();
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      const stream = await this.downloadMedia(msg, { reupload: (m) => this.requireSocket("updateMediaMessage").updateMediaMessage(m), logger: this.baileysLog });
      for await (const chunk of stream) {
        total += chunk.byteLength;
        if (total > maxBytes) throw tooLarge(); // leaving the loop destroys the stream
        chunks.push(chunk);
      }
    } catch (err) {
      throw toChannelError(err, { method: "downloadMediaMessage", account: this.account });
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return { bytes, mimeType: media.mimeType ?? "application/octet-stream", ...(media.fileName ? { fileName: media.fileName } : {}) };
  }

  /** Reads the saved credentials only: connecting would replace a running gateway's session. */
  async probe(): Promise<ProbeResult> {
    const phone = await readLinkedPhone(this.authDir);
    if (!phone) return { ok: false, detail: `whatsapp account ${this.account} is not linked yet. Fix: run '${loginCommand(this.account)}'` };
    return { ok: true, identity: phone, detail: `linked as ${phone} (credentials in ${this.authDir}; not checked online)` };
  }

  /** Already linked → that number, without connecting; else shows QR codes until the phone links. */
  async login(opts: { onQr: (qr: string) => void; signal: AbortSignal }): Promise<{ identity: string }> {
    const phone = await readLinkedPhone(this.authDir);
    if (phone) return { identity: phone };
    const linked = await linkDevice({
      account: this.account, authDir: this.authDir, makeSocket: this.makeSocket, log: this.log, baileysLog: this.baileysLog,
      onQr: opts.onQr, signal: opts.signal, ...(this.backoff ? { backoff: this.backoff } : {}),
    });
    this.log.info({ identity: linked.identity }, "device linked");
    return linked;
  }

  health(): ChannelHealth {
    return {
      state: this.state,
      since: this.since,
      ...(this.identity ? { identity: this.identity } : {}),
      ...(this.detail ? { detail: this.detail } : {}),
    };
  }

  private async connect(): Promise<void> {
    const auth = this.auth;
    if (this.stopped || !auth) return;
    let sock: WhatsappSocket;
    try {
      sock = await this.makeSocket({ auth: auth.state, logger: this.baileysLog, getMessage: async (key) => this.storedMessage(key) });
    } catch (err) {
      return this.onClose(err);
    }
    if (this.stopped) return void sock.end(undefined).catch(() => undefined);
    this.sock = sock;
    sock.ev.on("creds.update", () => {
      if (this.state === "failed") return; // e.g. logged out: the cleared credentials must stay cleared
      auth.saveCreds().catch((err: unknown) => this.log.warn({ err }, "saving WhatsApp credentials failed"));
    });
    sock.ev.on("connection.update", (update) => {
      if (sock !== this.sock) return; // a socket we replaced or ended
      if (update.qr) {
        this.sock = undefined;
        void sock.end(undefined).catch(() => undefined);
        this.fail("auth_failed", `WhatsApp asks to link this device again. Fix: run '${loginCommand(this.account)}'`);
      } else if (update.connection === "open") {
        this.attempt = 0;
        this.identity = phoneOf(sock.user?.id ?? auth.state.creds.me?.id ?? "");
        this.setState("connected");
        this.log.info({ identity: this.identity }, "channel connected");
        this.starting?.resolve();
        this.starting = undefined;
      } else if (update.connection === "close") {
        this.sock = undefined;
        this.onClose(update.lastDisconnect?.error);
      }
    });
    sock.ev.on("messages.upsert", ({ messages, type }) => {
      if (sock !== this.sock) return;
      for (const msg of messages) {
        // "notify" is live traffic. "append" is what WhatsApp queued while this device was offline (and messages the
        // phone re-sent on request): real user messages, delivered unless older than a day. History sync is another
        // event (messaging-history.set) and is not used.
        if (type === "append" && this.isStale(msg)) continue;
        this.inbound = this.inbound.then(() => this.receive(msg));
      }
    });
  }

  /** Decides what a closed connection means: reconnect (at once after 515, with backoff otherwise) or fail for good. */
  private onClose(error: unknown): void {
    if (this.stopped) return;
    const status = statusOf(error);
    if (status === DisconnectReason.loggedOut) {
      // The phone removed this device: its credentials can never connect again; clear them so login starts fresh.
      void clearAuthDir(this.authDir).catch((err: unknown) => this.log.warn({ err }, "clearing WhatsApp credentials failed"));
      this.fail("auth_failed", `WhatsApp logged this device out. Fix: run '${loginCommand(this.account)}' to link again`, error);
      return;
    }
    if (status === DisconnectReason.forbidden) {
      this.fail("forbidden", "WhatsApp refused this device (403); the number may be banned or restricted. Fix: check WhatsApp on the phone, then link again", error);
      return;
    }
    if (status === DisconnectReason.connectionReplaced) {
      // Another client took over these credentials; reconnecting would kick it out in turn, back and forth.
      this.fail("conflict", "another WhatsApp Web session with these credentials took over (440). Fix: stop the other gateway or client using this auth dir, then restart the channel", error);
      return;
    }
    this.attempt += 1;
    const delayMs = status === DisconnectReason.restartRequired ? 0 : backoffDelay(this.attempt, this.backoff);
    const reason = status !== undefined ? `status ${status}` : error instanceof Error ? error.message : "closed";
    this.setState("reconnecting", `connection closed (${reason}); reconnecting in ${Math.round(delayMs / 1000)} s`);
    this.log.warn({ status, attempt: this.attempt, delayMs }, "connection closed; reconnecting");
    sleep(delayMs, this.abort.signal).then(() => this.connect(), () => undefined);
  }

  /** Maps, delivers (retrying in memory) and then marks one message read. */
  private async receive(msg: WAMessage): Promise<void> {
    const me = this.auth?.state.creds.me;
    if (this.stopped || !me) return;
    let inbound: InboundMessage | undefined;
    try {
      inbound = toInbound(msg, { account: this.account, me: { id: me.id, ...(me.lid ? { lid: me.lid } : {}) }, now: this.now });
    } catch (err) {
      // A shape the mapping does not expect must not end the in-order chain of receives: report it and go on.
      this.sink?.reportMalformed(`WhatsApp message could not be mapped: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!inbound) return;
    this.remember(inbound.messageId, msg);
    if (inbound.chat.kind === "group") {
      const title = await this.groupTitleOf(inbound.chat.id);
      if (title) inbound.chat.title = title;
    }
    if (await this.deliver(inbound)) {
      await this.sock?.readMessages([msg.key]).catch((err: unknown) => this.log.debug({ err }, "marking read failed"));
    }
  }

  /** WhatsApp never sends a message again once this device has received it, so a failed deliver is retried here
   * (in memory, with backoff) instead of being left for a redelivery that will not come. */
  private async deliver(inbound: InboundMessage): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopped || !this.sink) return false;
      try {
        this.log.debug({ messageId: inbound.messageId, chatId: inbound.chat.id, text: inbound.text }, "message received");
        await this.sink.deliver(inbound);
        return true;
      } catch (err) {
        if (attempt >= DELIVER_ATTEMPTS) {
          this.log.error({ err, messageId: inbound.messageId, attempts: attempt }, "inbound message dropped: deliver kept failing");
          return false;
        }
        this.log.warn({ err, messageId: inbound.messageId, attempt }, "deliver failed; retrying");
        const ok = await sleep(backoffDelay(attempt, this.backoff), this.abort.signal).then(() => true, () => false);
        if (!ok) return false;
      }
    }
  }

  private isStale(msg: WAMessage): boolean {
    const ts = msg.messageTimestamp;
    const seconds = typeof ts === "number" ? ts : typeof ts?.toNumber === "function" ? ts.toNumber() : undefined;
    return seconds !== undefined && this.now() - seconds * 1000 > OFFLINE_MAX_AGE_MS;
  }

  private async groupTitleOf(jid: string): Promise<string | undefined> {
    const cached = this.groupTitles.get(jid);
    if (cached !== undefined || !this.sock) return cached;
    try {
      const meta = await this.sock.groupMetadata(jid);
      this.groupTitles.set(jid, meta.subject);
      return meta.subject;
    } catch (err) {
      this.log.debug({ err, chatId: jid }, "group metadata unavailable");
      return undefined;
    }
  }

  private storedMessage(key: WAMessageKey): proto.IMessage | undefined {
    if (!key.remoteJid || !key.id) return undefined;
    return this.recent.get(messageIdOf(key.remoteJid, key.id))?.message ?? undefined;
  }

  private remember(id: string, msg: WAMessage): void {
    this.recent.delete(id);
    this.recent.set(id, msg);
    const oldest = this.recent.keys().next().value;
    if (this.recent.size > RECENT_LIMIT && oldest !== undefined) this.recent.delete(oldest);
  }

  private requireSocket(method: string): WhatsappSocket {
    if (this.sock && this.state === "connected") return this.sock;
    const gone = this.state === "failed" || this.state === "stopped";
    throw this.error("unavailable", `not connected (${this.state}${this.detail ? `: ${this.detail}` : ""})`, !gone, method);
  }

  private fail(code: ChannelErrorCode, detail: string, cause?: unknown): ChannelError {
    const err = this.error(code, detail, false, "connect", cause);
    this.setState("failed", detail);
    this.log.error({ code, status: statusOf(cause) }, "channel failed");
    this.starting?.reject(err);
    this.starting = undefined;
    return err;
  }

  private error(code: ChannelErrorCode, detail: string, retryable: boolean, method = "start", cause?: unknown): ChannelError {
    return new ChannelError({ code, message: `whatsapp account ${this.account}: ${detail}`, channel: "whatsapp", method, retryable, cause });
  }

  private setState(state: ChannelState, detail?: string): void {
    this.state = state;
    this.detail = detail;
    this.since = this.now();
  }
}

function mediaContent(media: OutboundMedia, caption: string) {
  const source = { url: media.path }; // Baileys streams a local path from disk
  const withCaption = caption !== "" ? { caption } : {};
  switch (media.kind) {
    case "image":
      return { image: source, mimetype: media.mimeType, ...withCaption };
    case "video":
      return { video: source, mimetype: media.mimeType, ...withCaption };
    case "audio":
      return { audio: source, mimetype: media.mimeType, ptt: /ogg|opus/.test(media.mimeType) };
    case "file":
      return { document: source, mimetype: media.mimeType, fileName: media.fileName, ...withCaption };
  }
}
