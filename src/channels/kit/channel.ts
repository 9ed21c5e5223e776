// The Channel port: one connected account on one chat platform. Adapters (src/channels/<name>) implement it;
// the channel manager starts them, feeds their inbound messages to ingress and sends replies through them.
// Optional capabilities (typing, media download, webhooks, probes, login) are separate interfaces with type guards.
import type { InboundMedia, InboundMessage, ReplyRoute } from "../../core/inbound.ts";

/** Where an adapter hands inbound messages. */
export interface ChannelSink {
  /** Contract: resolves once the message is journaled, so the adapter may acknowledge it to the platform (advance
   * its update offset, ack the socket envelope); rejects when it could not be, and then the adapter must not
   * acknowledge it, so the platform delivers it again. Duplicates resolve normally. */
  deliver(msg: InboundMessage): Promise<void>;
  /** Records a payload from the platform the adapter could not map (wrong shape): `problem` says which field and
   * how, never the content. The adapter then acknowledges it, so the platform does not send it again.
   * Contract: never throws. */
  reportMalformed(problem: string): void;
}

export type ChannelState = "starting" | "connected" | "reconnecting" | "stopped" | "failed";

export interface ChannelHealth {
  state: ChannelState;
  since: number; // epoch ms of the last state change
  /** The bot's identity on the platform once known (`@pincer_bot`, `U0123 (pincer)`, a phone number). */
  identity?: string;
  /** Why it is reconnecting or failed, with the fix when the user must act; never contains a secret. */
  detail?: string;
}

export interface OutboundMedia {
  kind: "image" | "audio" | "video" | "file";
  /** A local file (inside the agent's workspace or Pincer's media dir). */
  path: string;
  fileName: string;
  mimeType: string;
}

export interface OutboundMessage {
  route: ReplyRoute;
  /** Markdown as the model wrote it, at most `textLimit` characters; the adapter renders it to the platform's markup
   * (and falls back to plain text if the platform rejects the markup). May be empty when `media` is set. */
  text: string;
  /** Platform message id to reply to (quote / thread under), when threading applies. */
  replyToMessageId?: string;
  /** A file to send; `text` becomes its caption where the platform supports captions. */
  media?: OutboundMedia;
}

export interface SentMessage {
  /** The platform's id of the message sent. */
  messageId: string;
}

/** One account on one chat platform. Contract: never reads process.env, never exits the process. */
export interface Channel {
  /** `telegram`, `slack`, … */
  readonly channel: string;
  /** The account key under `channels.<channel>.accounts`. */
  readonly account: string;
  /** Longest text (characters of Markdown) one outbound message may carry. */
  readonly textLimit: number;
  /**
   * Connects and starts delivering inbound messages to `sink`. Resolves once connected (or the first poll is under
   * way); afterwards it reconnects with backoff by itself until `stop()`. Contract: rejects with
   * ChannelError("auth_failed") when the platform refuses the credentials at start.
   */
  start(sink: ChannelSink): Promise<void>;
  /** Disconnects. Contract: no `deliver` call starts after it resolves; idempotent. */
  stop(): Promise<void>;
  /** Sends one message. Contract: throws ChannelError only; `retryable` tells a transient failure from a permanent one. */
  send(msg: OutboundMessage): Promise<SentMessage>;
  health(): ChannelHealth;
}

/** Shows "typing…" in a chat for a few seconds (callers repeat it while a run is active). */
export interface TypingCapable {
  sendTyping(route: ReplyRoute): Promise<void>;
}

export function canShowTyping(c: Channel): c is Channel & TypingCapable {
  return typeof (c as Partial<TypingCapable>).sendTyping === "function";
}

/** Downloads an inbound attachment's bytes. */
export interface MediaCapable {
  /** Contract: throws ChannelError("too_large") rather than reading more than `maxBytes`. */
  fetchMedia(media: InboundMedia, maxBytes: number): Promise<{ bytes: Uint8Array; mimeType: string; fileName?: string }>;
}

export function canFetchMedia(c: Channel): c is Channel & MediaCapable {
  return typeof (c as Partial<MediaCapable>).fetchMedia === "function";
}

/** Largest webhook body an adapter reads, bytes. A Telegram Update or a Slack event is a few KB (message text is
 * capped at 4,096 and 40,000 characters); 1 MiB leaves room for long entity lists and file metadata. */
export const WEBHOOK_MAX_BODY_BYTES = 1 << 20;

/** Receives platform callbacks over the gateway's HTTP server (Telegram webhook, Slack Events API). */
export interface WebhookCapable {
  /** Path under the gateway, e.g. `/channels/telegram/default/webhook`; served without the gateway token. */
  readonly webhookPath: string;
  /** Contract: checks what it can before reading the body (secret or signature headers, timestamp, content type),
   * then reads at most WEBHOOK_MAX_BODY_BYTES through core's readRequestBody; an unverified request gets a 4xx and
   * nothing is delivered; a verified payload of the wrong shape is acknowledged and reported to the sink, never a 5xx. */
  handleWebhook(req: Request): Promise<Response>;
}

export function hasWebhook(c: Channel): c is Channel & WebhookCapable {
  return typeof (c as Partial<WebhookCapable>).handleWebhook === "function";
}

export interface ProbeResult {
  ok: boolean;
  /** The bot's identity when the credentials work. */
  identity?: string;
  /** What failed and how to fix it. */
  detail: string;
}

/** Checks credentials and connectivity without starting (for `pincer doctor` and `channels status --probe`). */
export interface ProbeCapable {
  probe(signal?: AbortSignal): Promise<ProbeResult>;
}

export function canProbe(c: Channel): c is Channel & ProbeCapable {
  return typeof (c as Partial<ProbeCapable>).probe === "function";
}

/** Interactive linking (WhatsApp linked device): shows a QR code until the phone links or `signal` aborts. */
export interface LoginCapable {
  login(opts: { onQr: (qr: string) => void; signal: AbortSignal }): Promise<{ identity: string }>;
}

export function canLogin(c: Channel): c is Channel & LoginCapable {
  return typeof (c as Partial<LoginCapable>).login === "function";
}

/** Replying to a message opens a thread under it (Slack): every message of one reply must carry the reply-to, or
 * only the first would land in the thread. */
export interface ThreadedReplies {
  readonly threadedReplies: true;
}

export function repliesInThreads(c: Channel): c is Channel & ThreadedReplies {
  return (c as Partial<ThreadedReplies>).threadedReplies === true;
}
