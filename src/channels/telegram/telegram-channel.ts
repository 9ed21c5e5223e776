// The Telegram adapter: one bot account through grammY's Bot API client. Long polling with its own loop (an update
// is acknowledged only after the sink took it), sending with HTML rendering, typing, media download and a probe.
// Webhook intake is the subclass in telegram-webhook.ts. Access rules, chunking, send retries and dedupe are ingress's.
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { Api, InputFile } from "grammy";
import type { Message, Update } from "grammy/types";
import type { Logger } from "pino";
import type { TelegramAccountConfig } from "../../core/channel-config.ts";
import { ChannelError } from "../../core/errors.ts";
import type { InboundMedia, ReplyRoute } from "../../core/inbound.ts";
import type { ChannelFactoryOptions } from "../channel-registry.ts";
import { backoffDelay, sleep } from "../kit/backoff.ts";
import type { BackoffOptions } from "../kit/backoff.ts";
import type {
  Channel, ChannelHealth, ChannelSink, ChannelState, MediaCapable, OutboundMessage, ProbeCapable, ProbeResult, SentMessage,
  TypingCapable,
} from "../kit/channel.ts";
import { fromStatus, isMarkupError, redactToken, toChannelError } from "./telegram-errors.ts";
import { renderTelegramHtml } from "./telegram-format.ts";
import { ALLOWED_UPDATES, toInbound } from "./telegram-inbound.ts";
import { parseUpdate } from "./telegram-update.ts";
import { CAPTION_LIMIT, MB, UPLOAD_LIMIT, formatMb, readCapped, uploadMethodOf } from "./telegram-media.ts";

export interface TelegramChannelOptions extends ChannelFactoryOptions<TelegramAccountConfig> {
  /** getUpdates long-poll timeout, seconds. Default 25. */
  pollTimeoutSec?: number;
  /** Delays between reconnect and redelivery attempts. Default: kit/backoff's (1 s doubling to 60 s). */
  backoff?: BackoffOptions;
}

const DEFAULT_API_ROOT = "https://api.telegram.org";
const TEXT_LIMIT = 4096; // characters per message

type Run = { controller: AbortController; loop: Promise<void> | undefined; stopping: Promise<void> | undefined };
type SendOptions = { message_thread_id?: number; reply_parameters?: { message_id: number; allow_sending_without_reply: true } };

/** A Telegram bot account polling getUpdates. Contract: stop() is idempotent; no `deliver` starts after it resolves. */
export class TelegramChannel implements Channel, TypingCapable, MediaCapable, ProbeCapable {
  readonly channel = "telegram";
  readonly account: string;
  readonly textLimit: number;
  protected readonly config: TelegramAccountConfig;
  protected readonly api: Api;
  protected readonly log: Logger;
  private readonly token: string;
  private readonly apiRoot: string;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly pollTimeoutSec: number;
  private readonly backoff: BackoffOptions;
  private status: ChannelHealth;
  private me: { id: number; username: string } | undefined;
  private sink: ChannelSink | undefined;
  private run: Run | undefined;
  /** Next getUpdates offset: one past the last update the sink took. */
  private offset: number | undefined;
  /** The offset Telegram last saw, i.e. what it has confirmed. */
  private polledOffset: number | undefined;

  constructor(opts: TelegramChannelOptions) {
    this.account = opts.account;
    this.config = opts.config;
    this.token = opts.config.token;
    this.textLimit = Math.min(TEXT_LIMIT, opts.config.text_chunk_limit ?? TEXT_LIMIT);
    this.apiRoot = (opts.config.api_root ?? DEFAULT_API_ROOT).replace(/\/+$/, "");
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.now = opts.now ?? Date.now;
    this.pollTimeoutSec = opts.pollTimeoutSec ?? 25;
    this.backoff = opts.backoff ?? {};
    this.log = opts.log.child({ component: "channel.telegram", account: opts.account });
    this.api = new Api(this.token, { apiRoot: this.apiRoot, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
    this.status = { state: "stopped", since: this.now() };
  }

  health(): ChannelHealth {
    return { ...this.status };
  }

  async start(sink: ChannelSink): Promise<void> {
    if (this.run) throw new Error(`telegram account "${this.account}" is already started`);
    const controller = new AbortController();
    const run: Run = { controller, loop: undefined, stopping: undefined };
    this.run = run;
    this.sink = sink;
    this.setState("starting");
    try {
      const me = await this.retryTransient("getMe", () => this.api.getMe(grammySignal(controller.signal)), controller.signal);
      this.me = { id: me.id, username: me.username };
      this.status.identity = `@${me.username}`;
      await this.beginIntake(controller.signal);
      if (controller.signal.aborted) return;
      this.setState("connected");
      this.log.info({ identity: this.status.identity, mode: this.config.mode }, "telegram connected");
    } catch (err) {
      if (controller.signal.aborted) return; // stop() during start: not a failure
      const e = this.toError(err, "start");
      this.run = undefined;
      this.setState("failed", e.message);
      this.log.error({ code: e.code, detail: e.message }, "telegram start failed");
      throw e;
    }
  }

  async stop(): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.stopping ??= (async () => {
      run.controller.abort();
      await run.loop?.catch(() => undefined);
      await this.confirmOffset();
      if (this.run === run) this.run = undefined;
      this.sink = undefined;
      this.setState("stopped");
      this.log.info({}, "telegram stopped");
    })();
    return run.stopping;
  }

  async send(msg: OutboundMessage): Promise<SentMessage> {
    const chatId = msg.route.chatId;
    const extra = sendOptionsOf(msg);
    const sent = msg.media ? await this.sendMedia(chatId, msg, extra) : await this.sendText(chatId, msg.text, extra);
    this.log.debug({ chatId, messageId: sent.message_id, chars: msg.text.length, media: msg.media?.kind }, "message sent");
    return { messageId: `${chatId}:${sent.message_id}` };
  }

  async sendTyping(route: ReplyRoute): Promise<void> {
    const thread = threadIdOf(route.threadId);
    try {
      await this.api.sendChatAction(route.chatId, "typing", thread !== undefined ? { message_thread_id: thread } : {});
    } catch (err) {
      throw this.toError(err, "sendChatAction");
    }
  }

  async fetchMedia(media: InboundMedia, maxBytes: number): Promise<{ bytes: Uint8Array; mimeType: string; fileName?: string }> {
    const tooLarge = (size?: number): ChannelError =>
      new ChannelError({
        code: "too_large",
        channel: "telegram",
        method: "getFile",
        message: `telegram account "${this.account}": the ${media.kind} is ${size !== undefined ? `${formatMb(size)}, ` : ""}more than the ${formatMb(maxBytes)} allowed (media_max_mb)`,
      });
    if (media.sizeBytes !== undefined && media.sizeBytes > maxBytes) throw tooLarge(media.sizeBytes);
    let file;
    try {
      file = await this.api.getFile(media.ref);
    } catch (err) {
      throw this.toError(err, "getFile");
    }
    if (file.file_size !== undefined && file.file_size > maxBytes) throw tooLarge(file.file_size);
    if (!file.file_path) throw new ChannelError({ code: "not_found", channel: "telegram", method: "getFile", message: `telegram account "${this.account}" getFile: Telegram gave no file_path for the file` });

    const ctx = { account: this.account, method: "download", token: this.token };
    let res: Response;
    try {
      res = await this.fetchFn(`${this.apiRoot}/file/bot${this.token}/${file.file_path}`);
    } catch (err) {
      throw toChannelError(err, ctx);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw fromStatus(res.status, res.statusText || "download failed", { where: `telegram account "${this.account}" download`, ctx });
    }
    const announced = Number(res.headers.get("content-length") ?? Number.NaN);
    if (announced > maxBytes) {
      await res.body?.cancel();
      throw tooLarge(announced);
    }
    const bytes = await readCapped(res, maxBytes).catch((err: unknown) => {
      throw toChannelError(err, ctx);
    });
    if (bytes === undefined) throw tooLarge();
    // Telegram's file server answers application/octet-stream for everything: the message's own type is better.
    const mimeType = media.mimeType ?? res.headers.get("content-type") ?? "application/octet-stream";
    return { bytes, mimeType, fileName: media.fileName ?? basename(file.file_path) };
  }

  async probe(signal?: AbortSignal): Promise<ProbeResult> {
    try {
      const me = await this.api.getMe(grammySignal(signal));
      return { ok: true, identity: `@${me.username}`, detail: `bot @${me.username} (id ${me.id}) answers at ${this.apiRoot}` };
    } catch (err) {
      return { ok: false, detail: this.toError(err, "getMe").message };
    }
  }

  // --- intake -------------------------------------------------------------------------------------------------

  /** Polling mode: remove any webhook (getUpdates refuses to run beside one) and start the poll loop. */
  protected async beginIntake(signal: AbortSignal): Promise<void> {
    await this.retryTransient("deleteWebhook", () => this.api.deleteWebhook({ drop_pending_updates: false }, grammySignal(signal)), signal);
    if (this.run && !signal.aborted) this.run.loop = this.pollLoop(signal);
  }

  /** True while started and not stopping: the only time a delivery may start. */
  protected get accepting(): boolean {
    return this.run !== undefined && !this.run.controller.signal.aborted && this.sink !== undefined && this.me !== undefined;
  }

  /** Hands a wrongly shaped payload to the sink, which records it. */
  protected reportMalformed(problem: string): void {
    this.sink?.reportMalformed(problem);
  }

  /** Checks, maps and delivers one update. Resolves true when it may be acknowledged: delivered, nothing to deliver,
   * or wrongly shaped (reported to the sink, so a poison update is skipped rather than fetched again forever). */
  protected async deliverUpdate(body: unknown): Promise<boolean> {
    const sink = this.sink;
    if (!this.accepting || !sink || !this.me) return false;
    const parsed = parseUpdate(body);
    if (!parsed.ok) {
      this.reportMalformed(parsed.problem);
      return true;
    }
    const msg = toInbound(parsed.update, { account: this.account, botId: this.me.id, botUsername: this.me.username });
    if (!msg) return true;
    this.log.debug({ messageId: msg.messageId, chatId: msg.chat.id, kind: msg.chat.kind, text: msg.text }, "message received");
    try {
      await sink.deliver(msg);
      return true;
    } catch (err) {
      this.log.warn({ messageId: msg.messageId, err: err instanceof Error ? err.message : String(err) }, "delivery failed, update not acknowledged");
      return false;
    }
  }

  private async pollLoop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let undelivered = 0;
    while (!signal.aborted) {
      let updates: Update[];
      try {
        this.polledOffset = this.offset;
        updates = await this.api.getUpdates(
          { ...(this.offset !== undefined ? { offset: this.offset } : {}), timeout: this.pollTimeoutSec, allowed_updates: [...ALLOWED_UPDATES] },
          grammySignal(signal),
        );
      } catch (err) {
        if (signal.aborted) return;
        const e = this.toError(err, "getUpdates");
        if (e.code === "auth_failed" || e.code === "conflict") {
          this.setState("failed", e.message);
          this.log.error({ code: e.code, detail: e.message }, "telegram polling stopped");
          return;
        }
        failures += 1;
        const delayMs = e.retryAfterMs ?? backoffDelay(failures, this.backoff);
        this.setState("reconnecting", `${e.message}; retrying in ${Math.ceil(delayMs / 1000)} s`);
        this.log.warn({ code: e.code, delayMs, detail: e.message }, "telegram polling failed, retrying");
        if (!(await pause(delayMs, signal))) return;
        continue;
      }
      if (this.status.state !== "connected") this.setState("connected");
      failures = 0;
      for (const update of updates) {
        if (signal.aborted) return;
        if (!(await this.deliverUpdate(update))) {
          // Not acknowledged: the next getUpdates starts at this update again, after a pause.
          undelivered += 1;
          if (!(await pause(backoffDelay(undelivered, this.backoff), signal))) return;
          break;
        }
        undelivered = 0;
        // Telegram numbers every update; the check keeps a garbage entry from turning the offset into NaN.
        if (Number.isInteger(update.update_id)) this.offset = update.update_id + 1;
      }
    }
  }

  /** Tells Telegram about updates delivered since the last poll, so a restart does not fetch them again. Not after a
   * failure: a getUpdates then would cut off the other instance that caused a 409. */
  private async confirmOffset(): Promise<void> {
    if (this.offset === undefined || this.offset === this.polledOffset || this.status.state === "failed") return;
    try {
      await this.api.getUpdates({ offset: this.offset, limit: 1, timeout: 0 }, grammySignal(AbortSignal.timeout(2_000)));
      this.polledOffset = this.offset;
    } catch {
      // Best effort: the journal drops the duplicates a restart would bring.
    }
  }

  // --- sending ------------------------------------------------------------------------------------------------

  private async sendText(chatId: string, markdown: string, extra: SendOptions): Promise<Message> {
    const html = renderTelegramHtml(markdown);
    const plain = { ...extra, link_preview_options: { is_disabled: true } };
    try {
      if (html === "") return await this.api.sendMessage(chatId, markdown, plain);
      try {
        return await this.api.sendMessage(chatId, html, { ...plain, parse_mode: "HTML" });
      } catch (err) {
        if (!isMarkupError(err)) throw err;
        this.log.warn({ chatId, detail: redactToken(String((err as Error).message), this.token) }, "Telegram refused the HTML, sending plain text");
        return await this.api.sendMessage(chatId, markdown, plain);
      }
    } catch (err) {
      throw this.toError(err, "sendMessage");
    }
  }

  private async sendMedia(chatId: string, msg: OutboundMessage, extra: SendOptions): Promise<Message> {
    const media = msg.media!;
    const size = await stat(media.path).then(
      (s) => s.size,
      (err: unknown) => {
        throw new ChannelError({ code: "bad_request", channel: "telegram", method: "send", message: `telegram account "${this.account}": cannot read the file to send ${media.path}`, cause: err });
      },
    );
    const limit = Math.min(UPLOAD_LIMIT, this.config.media_max_mb * MB);
    if (size > limit) {
      throw new ChannelError({ code: "too_large", channel: "telegram", method: "send", message: `telegram account "${this.account}": ${media.fileName} is ${formatMb(size)}, more than the ${formatMb(limit)} a bot may send` });
    }
    const method = uploadMethodOf(media, size);
    // A caption holds 1,024 characters: longer text follows as its own message.
    const captioned = msg.text.length <= CAPTION_LIMIT ? msg.text : "";
    const upload = (caption: { caption?: string; parse_mode?: "HTML" }): Promise<Message> => {
      const file = new InputFile(media.path, media.fileName);
      const other = { ...extra, ...caption };
      if (method === "sendPhoto") return this.api.sendPhoto(chatId, file, other);
      if (method === "sendAudio") return this.api.sendAudio(chatId, file, other);
      if (method === "sendVideo") return this.api.sendVideo(chatId, file, other);
      return this.api.sendDocument(chatId, file, other);
    };
    let sent: Message;
    try {
      const html = captioned.trim() === "" ? "" : renderTelegramHtml(captioned);
      try {
        sent = await upload(html === "" ? {} : { caption: html, parse_mode: "HTML" });
      } catch (err) {
        if (!isMarkupError(err)) throw err;
        sent = await upload({ caption: captioned });
      }
    } catch (err) {
      throw this.toError(err, method);
    }
    if (captioned === "" && msg.text.trim() !== "") return this.sendText(chatId, msg.text, extra);
    return sent;
  }

  // --- helpers ------------------------------------------------------------------------------------------------

  /** Runs a start-up call again after transient failures (network, 5xx, 429) until it succeeds or stop(). */
  protected async retryTransient<T>(method: string, call: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const e = this.toError(err, method);
        if (signal.aborted || !e.retryable) throw e;
        const delayMs = e.retryAfterMs ?? backoffDelay(attempt, this.backoff);
        this.setState("reconnecting", `${e.message}; retrying in ${Math.ceil(delayMs / 1000)} s`);
        this.log.warn({ code: e.code, delayMs, detail: e.message }, "telegram start-up call failed, retrying");
        await sleep(delayMs, signal);
      }
    }
  }

  protected toError(err: unknown, method: string): ChannelError {
    if (err instanceof ChannelError) return err;
    const e = err as { method?: unknown } | null;
    return toChannelError(err, { account: this.account, method: typeof e?.method === "string" ? e.method : method, token: this.token });
  }

  protected setState(state: ChannelState, detail?: string): void {
    const { identity } = this.status;
    this.status = { state, since: this.now(), ...(identity !== undefined ? { identity } : {}), ...(detail !== undefined ? { detail } : {}) };
  }
}

function sendOptionsOf(msg: OutboundMessage): SendOptions {
  const thread = threadIdOf(msg.route.threadId);
  const replyTo = msg.replyToMessageId !== undefined ? Number(msg.replyToMessageId.slice(msg.replyToMessageId.lastIndexOf(":") + 1)) : Number.NaN;
  return {
    ...(thread !== undefined ? { message_thread_id: thread } : {}),
    ...(Number.isInteger(replyTo) && replyTo > 0 ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true as const } } : {}),
  };
}

function threadIdOf(threadId: string | undefined): number | undefined {
  const n = threadId !== undefined ? Number(threadId) : Number.NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** grammY types signals with its abort-controller polyfill; the platform's AbortSignal is what it really handles. */
export function grammySignal(signal: AbortSignal | undefined): Parameters<Api["getMe"]>[0] {
  return signal as unknown as Parameters<Api["getMe"]>[0];
}

/** Resolves false instead of throwing when `signal` aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}
