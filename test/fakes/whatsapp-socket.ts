// A fake of the socket Baileys' makeWASocket returns (there is no WhatsApp server fake: the Noise/Signal protocol is
// out of reach), with the same event names and payload shapes, plus test controls: open, QR, close with a status,
// inject messages, fail sends. Also seeds a linked auth dir in Baileys' own creds.json format.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BufferJSON, initAuthCreds } from "baileys";
import type {
  AnyMessageContent, BaileysEventMap, Contact, GroupMetadata, MiscMessageGenerationOptions, proto, WAMessage,
  WAMessageKey, WAPresence,
} from "baileys";
import type { MakeSocketOptions, WhatsappSocket } from "../../src/channels/whatsapp/whatsapp-socket.ts";

export interface FakeIdentity {
  phone: string;
  device: number;
  lid: string;
  name: string;
}

export const FAKE_IDENTITY: FakeIdentity = { phone: "15550001111", device: 7, lid: "987654321098765", name: "Pincer" };

/** Our own account as Baileys stores it in creds.me. */
export function meOf(identity: FakeIdentity = FAKE_IDENTITY): Contact {
  return {
    id: `${identity.phone}:${identity.device}@s.whatsapp.net`,
    lid: `${identity.lid}:${identity.device}@lid`,
    name: identity.name,
  };
}

/** Writes a linked creds.json (fresh keys + `me`) into `dir`, as a finished `pincer channels login` leaves it. */
export async function seedLinkedAuthDir(dir: string, identity: FakeIdentity = FAKE_IDENTITY): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const creds = { ...initAuthCreds(), me: meOf(identity) };
  await writeFile(join(dir, "creds.json"), JSON.stringify(creds, BufferJSON.replacer));
}

/** An Error shaped like the Boom errors Baileys puts in lastDisconnect.error and throws from calls. */
export function boom(statusCode: number, message = `fake error ${statusCode}`): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode, payload: { statusCode, message } } });
}

type Listener = (arg: never) => void;

/** on/off/emit over Baileys' event map. Emits synchronously (Baileys buffers, then emits in order). */
export class FakeEvents {
  private readonly listeners = new Map<keyof BaileysEventMap, Set<Listener>>();

  on<T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void): void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener as Listener);
    this.listeners.set(event, set);
  }

  off<T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void): void {
    this.listeners.get(event)?.delete(listener as Listener);
  }

  removeAllListeners<T extends keyof BaileysEventMap>(event: T): void {
    this.listeners.delete(event);
  }

  emit<T extends keyof BaileysEventMap>(event: T, arg: BaileysEventMap[T]): boolean {
    const set = this.listeners.get(event);
    // A copy: listeners may unsubscribe while being called.
    for (const listener of Array.from(set ?? [])) (listener as (a: BaileysEventMap[T]) => void)(arg);
    return (set?.size ?? 0) > 0;
  }

  listenerCount(event: keyof BaileysEventMap): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}

export interface SentRecord {
  /** Which makeSocket() call's socket sent it (0-based). */
  socket: number;
  jid: string;
  content: AnyMessageContent;
  options: MiscMessageGenerationOptions | undefined;
  /** `content.text` or a media caption. */
  text: string | undefined;
  /** key.id of the quoted message, when replying. */
  quotedId: string | undefined;
  message: WAMessage;
}

export interface InjectMedia {
  mimetype?: string;
  fileLength?: number;
  fileName?: string;
  /** Voice note (audio only). */
  ptt?: boolean;
}

export interface InjectOptions {
  remoteJid: string;
  /** Group sender. */
  participant?: string;
  /** Baileys 7: the phone-number jid when the primary one is a LID. */
  remoteJidAlt?: string;
  participantAlt?: string;
  id?: string;
  text?: string;
  pushName?: string;
  mentionedJid?: string[];
  /** Reply to an earlier message: its key.id, who wrote it, its text. */
  quoted?: { id: string; participant?: string; text?: string };
  image?: InjectMedia;
  audio?: InjectMedia;
  video?: InjectMedia;
  document?: InjectMedia;
  fromMe?: boolean;
  /** Seconds since the epoch. */
  timestamp?: number;
  /** Use this message content as is (reactions, protocol messages, …). */
  content?: proto.IMessage;
}

/** One socket, as returned by one makeWASocket() call. */
export class FakeWhatsappSocket implements WhatsappSocket {
  readonly ev = new FakeEvents();
  readonly ws = { close: (): void => void this.end(undefined) };
  ended = false;
  loggedOut = false;

  private readonly fake: FakeWhatsapp;
  readonly config: MakeSocketOptions;
  readonly index: number;

  constructor(fake: FakeWhatsapp, config: MakeSocketOptions, index: number) {
    this.fake = fake;
    this.config = config;
    this.index = index;
  }

  /** Like Baileys: our account is whatever creds.me says. */
  get user(): Contact | undefined {
    return this.config.auth.creds.me;
  }

  async sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage | undefined> {
    if (this.ended) throw boom(428, "Connection Closed");
    const failure = this.fake.takeSendFailure();
    if (failure) throw failure;
    const c = content as { text?: string; caption?: string };
    const message: WAMessage = {
      key: { remoteJid: jid, fromMe: true, id: `3EB0FAKE${String(this.fake.sent.length + 1).padStart(4, "0")}` },
      message: c.text !== undefined ? { extendedTextMessage: { text: c.text } } : {},
      messageTimestamp: Math.floor(Date.now() / 1000),
    };
    this.fake.sent.push({
      socket: this.index, jid, content, options, text: c.text ?? c.caption, quotedId: options?.quoted?.key.id ?? undefined, message,
    });
    this.fake.notifySent();
    return message;
  }

  async sendPresenceUpdate(type: WAPresence, toJid?: string): Promise<void> {
    if (this.ended) throw boom(428, "Connection Closed");
    this.fake.presence.push({ type, jid: toJid });
  }

  async presenceSubscribe(toJid: string): Promise<void> {
    this.fake.presence.push({ type: "subscribe", jid: toJid });
  }

  async readMessages(keys: WAMessageKey[]): Promise<void> {
    this.fake.read.push(...keys);
  }

  async groupMetadata(jid: string): Promise<GroupMetadata> {
    this.fake.groupMetadataCalls.push(jid);
    const subject = this.fake.groups[jid];
    if (subject === undefined) throw boom(404, "item-not-found");
    return { id: jid, subject, owner: undefined, participants: [] };
  }

  async updateMediaMessage(msg: WAMessage): Promise<WAMessage> {
    return msg;
  }

  async end(error: Error | undefined): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.ev.emit("connection.update", { connection: "close", lastDisconnect: { error, date: new Date() } });
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
    await this.end(boom(401, "Intentional Logout"));
  }
}

export interface FakeWhatsappOptions {
  /** New sockets emit connection "open" by themselves on a 0 ms timer (when creds.me is set). */
  autoOpen?: boolean;
  /** Group jid → subject, answered by groupMetadata. */
  groups?: Record<string, string>;
  identity?: FakeIdentity;
}

/** The test's handle: a makeSocket to inject, the sockets it made, everything they sent, and controls. */
export class FakeWhatsapp {
  readonly sockets: FakeWhatsappSocket[] = [];
  readonly sent: SentRecord[] = [];
  readonly presence: Array<{ type: WAPresence | "subscribe"; jid: string | undefined }> = [];
  readonly read: WAMessageKey[] = [];
  readonly groupMetadataCalls: string[] = [];
  readonly groups: Record<string, string>;
  readonly identity: FakeIdentity;
  autoOpen: boolean;
  private readonly sendFailures: Error[] = [];
  private sentWaiters: Array<() => void> = [];
  private messageCounter = 0;

  constructor(opts: FakeWhatsappOptions = {}) {
    this.autoOpen = opts.autoOpen ?? false;
    this.groups = { ...opts.groups };
    this.identity = opts.identity ?? FAKE_IDENTITY;
  }

  /** Pass as the adapter's `makeSocket`: every call is a new connection attempt. */
  readonly makeSocket = (config: MakeSocketOptions): FakeWhatsappSocket => {
    const sock = new FakeWhatsappSocket(this, config, this.sockets.length);
    this.sockets.push(sock);
    // Like the real socket, it opens after some I/O, never before the caller could attach listeners.
    if (this.autoOpen && config.auth.creds.me) setTimeout(() => !sock.ended && this.open(sock), 0);
    return sock;
  };

  /** The newest socket. */
  get socket(): FakeWhatsappSocket {
    const sock = this.sockets.at(-1);
    if (!sock) throw new Error("fake whatsapp: no socket made yet");
    return sock;
  }

  /** Our jid as WhatsApp shows it to others (no device part). */
  get ownJid(): string {
    return `${this.identity.phone}@s.whatsapp.net`;
  }

  get ownLid(): string {
    return `${this.identity.lid}@lid`;
  }

  open(sock = this.socket): void {
    sock.ev.emit("connection.update", { connection: "open", receivedPendingNotifications: false });
  }

  showQr(qr: string, sock = this.socket): void {
    sock.ev.emit("connection.update", { qr });
  }

  /** The connection drops with `statusCode` (DisconnectReason), as Baileys reports it. */
  close(statusCode: number, sock = this.socket): void {
    sock.ended = true;
    sock.ev.emit("connection.update", { connection: "close", lastDisconnect: { error: boom(statusCode), date: new Date() } });
  }

  /** The phone scanned the QR: creds.me is set and saved, then WhatsApp asks for a restart (515). */
  pair(sock = this.socket): void {
    sock.config.auth.creds.me = meOf(this.identity);
    sock.ev.emit("creds.update", { me: sock.config.auth.creds.me });
    sock.ev.emit("connection.update", { isNewLogin: true });
    this.close(515, sock);
  }

  /** A user message arriving live (messages.upsert type "notify"); returns the WAMessage. */
  injectMessage(opts: InjectOptions): WAMessage {
    const msg = this.buildMessage(opts);
    this.upsert([msg], "notify");
    return msg;
  }

  upsert(messages: WAMessage[], type: "notify" | "append", sock = this.socket): void {
    sock.ev.emit("messages.upsert", { messages, type });
  }

  buildMessage(opts: InjectOptions): WAMessage {
    this.messageCounter += 1;
    const key: WAMessageKey = { remoteJid: opts.remoteJid, fromMe: opts.fromMe ?? false, id: opts.id ?? `IN${this.messageCounter}` };
    if (opts.participant) key.participant = opts.participant;
    if (opts.remoteJidAlt) key.remoteJidAlt = opts.remoteJidAlt;
    if (opts.participantAlt) key.participantAlt = opts.participantAlt;
    return {
      key,
      message: opts.content ?? contentOf(opts),
      messageTimestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
      ...(opts.pushName ? { pushName: opts.pushName } : {}),
    };
  }

  /** The next `count` sendMessage calls reject with `error` (a status becomes a Boom-like error). */
  failNextSend(count: number, error: number | Error): void {
    for (let i = 0; i < count; i++) this.sendFailures.push(typeof error === "number" ? boom(error) : error);
  }

  takeSendFailure(): Error | undefined {
    return this.sendFailures.shift();
  }

  notifySent(): void {
    for (const wake of this.sentWaiters.splice(0)) wake();
  }

  /** Resolves once `count` messages have been sent in total. */
  async waitForSent(count: number, timeoutMs = 2_000): Promise<SentRecord[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.sent.length < count) {
      if (Date.now() > deadline) throw new Error(`fake whatsapp: ${this.sent.length} of ${count} messages sent in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.sentWaiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
    return this.sent.slice(0, count);
  }
}

function contentOf(opts: InjectOptions): proto.IMessage {
  const contextInfo: proto.IContextInfo = {};
  if (opts.mentionedJid) contextInfo.mentionedJid = opts.mentionedJid;
  if (opts.quoted) {
    contextInfo.stanzaId = opts.quoted.id;
    if (opts.quoted.participant) contextInfo.participant = opts.quoted.participant;
    contextInfo.quotedMessage = { conversation: opts.quoted.text ?? "" };
  }
  const hasContext = Object.keys(contextInfo).length > 0;
  const media = (m: InjectMedia, mimetype: string) => ({
    mimetype: m.mimetype ?? mimetype,
    ...(m.fileLength !== undefined ? { fileLength: m.fileLength } : {}),
    url: "https://mmg.whatsapp.net/fake",
    directPath: "/fake",
    mediaKey: new Uint8Array(32),
    ...(hasContext ? { contextInfo } : {}),
  });
  if (opts.image) return { imageMessage: { ...media(opts.image, "image/jpeg"), caption: opts.text ?? null } };
  if (opts.video) return { videoMessage: { ...media(opts.video, "video/mp4"), caption: opts.text ?? null } };
  if (opts.audio) return { audioMessage: { ...media(opts.audio, "audio/ogg; codecs=opus"), ptt: opts.audio.ptt ?? false } };
  if (opts.document) {
    return { documentMessage: { ...media(opts.document, "application/pdf"), fileName: opts.document.fileName ?? "file.pdf", caption: opts.text ?? null } };
  }
  if (hasContext) return { extendedTextMessage: { text: opts.text ?? "", contextInfo } };
  return { conversation: opts.text ?? "" };
}
