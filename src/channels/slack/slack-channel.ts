// SlackChannel: one Slack app account. Web API calls go through @slack/web-api's WebClient with the SDK's retries off;
// inbound arrives over Socket Mode (slack-socket.ts) or, in `mode: http`, through SlackEventsChannel's webhook. Maps
// with slack-inbound.ts, renders with slack-format.ts. Slack shows no typing indicator for bots in ordinary channels,
// so this deliberately does not implement TypingCapable.
import { readFile, stat } from "node:fs/promises";
import { WebClient, type WebClientOptions } from "@slack/web-api";
import type { Logger } from "pino";
import type { SlackAccountConfig } from "../../core/channel-config.ts";
import { ChannelError, ConfigError } from "../../core/errors.ts";
import type { InboundMedia } from "../../core/inbound.ts";
import type { ChannelFactoryOptions } from "../channel-registry.ts";
import { backoffDelay, sleep, type BackoffOptions } from "../kit/backoff.ts";
import type {
  Channel, ChannelHealth, ChannelSink, ChannelState, MediaCapable, OutboundMedia, OutboundMessage, ProbeCapable, ProbeResult, SentMessage, ThreadedReplies,
} from "../kit/channel.ts";
import { toChannelError } from "./slack-errors.ts";
import { downloadSlackFile } from "./slack-download.ts";
import { renderMrkdwn } from "./slack-format.ts";
import { chatKindOf, mentionedUserIds, readMessageEvent, toInbound, type SlackMessageEvent, type SlackSelf } from "./slack-inbound.ts";
import { toSlackLogger } from "./slack-logger.ts";
import type { SlackSocket } from "./slack-socket.ts";

export interface SlackChannelOptions extends ChannelFactoryOptions<SlackAccountConfig> {
  /** Reconnect delays; tests shorten them. */
  backoff?: BackoffOptions;
  /** Socket Mode ping/pong timeout, ms (the SDK's default is 5000). */
  clientPingTimeoutMs?: number;
}

const DEFAULT_API_ROOT = "https://slack.com/api/";
/** Slack truncates `text` past 40,000 characters and asks for at most 4,000 per message. */
const SLACK_TEXT_LIMIT = 4_000;
const API_TIMEOUT_MS = 60_000;
const NAME_CACHE_MAX = 2_000;

/** What files.uploadV2 resolves with: one files.completeUploadExternal response per upload. */
interface CompletedUpload {
  files?: { id?: string; shares?: { public?: Record<string, { ts?: string }[]>; private?: Record<string, { ts?: string }[]> } }[];
}

type ClientOptions = Omit<WebClientOptions, "logger" | "logLevel">;

/** Validates what the schema cannot: which credentials the mode needs. Throws ConfigError naming the key. */
export function checkSlackConfig(opts: SlackChannelOptions): void {
  const keyPath = (key: string): string => `channels.slack.accounts.${opts.account}.${key}`;
  if (opts.config.mode === "socket" && !opts.config.app_token) {
    throw new ConfigError({
      keyPath: keyPath("app_token"),
      problem: "Socket Mode needs an app-level token (xapp-…)",
      fix: "create one with the connections:write scope under your app's Basic Information → App-Level Tokens and set it here, or set mode: http",
    });
  }
  if (opts.config.mode === "http" && !opts.config.signing_secret) {
    throw new ConfigError({
      keyPath: keyPath("signing_secret"),
      problem: "the HTTP Events API needs the app's signing secret to verify Slack's requests",
      fix: "copy the Signing Secret from your app's Basic Information page and set it here, or set mode: socket",
    });
  }
}

export class SlackChannel implements Channel, MediaCapable, ProbeCapable, ThreadedReplies {
  readonly channel = "slack";
  readonly account: string;
  readonly textLimit: number;
  /** A reply to a channel message goes into a thread under it, chunk after chunk. */
  readonly threadedReplies = true as const;
  protected readonly config: SlackAccountConfig;
  protected readonly log: Logger;
  protected readonly now: () => number;
  private readonly opts: SlackChannelOptions;
  private readonly fetchFn: typeof fetch;
  private readonly apiRoot: string;
  private readonly clientOptions: ClientOptions;
  private readonly sdkLogger: ReturnType<typeof toSlackLogger>;
  private readonly web: WebClient;
  private readonly users = new Map<string, { name?: string; username?: string }>();
  private readonly titles = new Map<string, string>();
  private status: ChannelHealth;
  private self: SlackSelf | undefined;
  private sink: ChannelSink | undefined;
  private socket: SlackSocket | undefined;
  private running = false;
  private abort = new AbortController();
  private stopping: Promise<void> | undefined;

  constructor(opts: SlackChannelOptions) {
    checkSlackConfig(opts);
    this.opts = opts;
    this.account = opts.account;
    this.config = opts.config;
    this.log = opts.log.child({ component: "channel.slack", account: opts.account });
    this.now = opts.now ?? Date.now;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.textLimit = Math.min(SLACK_TEXT_LIMIT, opts.config.text_chunk_limit ?? SLACK_TEXT_LIMIT);
    const root = opts.config.api_root ?? DEFAULT_API_ROOT;
    this.apiRoot = root.endsWith("/") ? root : `${root}/`;
    // Retries off and 429s rejected: the outbound sender retries with idempotency keys; the SDK must not resend.
    this.clientOptions = {
      slackApiUrl: this.apiRoot,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: API_TIMEOUT_MS,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    };
    this.sdkLogger = toSlackLogger(this.log);
    this.web = new WebClient(opts.config.bot_token, { ...this.clientOptions, logger: this.sdkLogger });
    this.status = { state: "stopped", since: this.now() };
  }

  async start(sink: ChannelSink): Promise<void> {
    if (this.running) throw new Error(`slack account ${this.account} is already started`);
    this.running = true;
    this.stopping = undefined;
    this.sink = sink;
    this.abort = new AbortController();
    this.setState("starting");
    try {
      this.self = await this.untilReachable(() => this.authTest(), "auth.test");
      this.status.identity = `${this.self.userId} (${this.self.name})`;
      await this.startInbound();
    } catch (err) {
      if (!this.running) return; // stopped while starting
      const e = toChannelError(err, "auth.test");
      await this.socket?.stop();
      this.socket = undefined;
      this.running = false;
      this.setState("failed", e.message);
      throw e;
    }
  }

  stop(): Promise<void> {
    if (!this.running) return this.stopping ?? Promise.resolve();
    this.running = false;
    this.abort.abort();
    this.stopping = (async () => {
      await this.socket?.stop();
      this.socket = undefined;
      this.setState("stopped");
    })();
    return this.stopping;
  }

  health(): ChannelHealth {
    return { ...this.status };
  }

  async send(msg: OutboundMessage): Promise<SentMessage> {
    const channel = msg.route.chatId;
    const threadTs = this.threadTsFor(msg);
    // Slack never rejects mrkdwn (markup it cannot parse shows literally), so there is no plain-text resend.
    const text = renderMrkdwn(msg.text);
    if (msg.media) return this.sendFile(channel, threadTs, text, msg.media);
    try {
      const res = await this.web.chat.postMessage({
        channel, text, mrkdwn: true, unfurl_links: false, ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      this.log.debug({ chatId: channel, threadTs, chars: text.length }, "message sent");
      return { messageId: `${res.channel ?? channel}:${res.ts ?? ""}` };
    } catch (err) {
      throw toChannelError(err, "chat.postMessage");
    }
  }

  fetchMedia(media: InboundMedia, maxBytes: number): Promise<{ bytes: Uint8Array; mimeType: string; fileName?: string }> {
    return downloadSlackFile({ media, maxBytes, botToken: this.config.bot_token, apiRoot: this.apiRoot, fetch: this.fetchFn, timeoutMs: API_TIMEOUT_MS });
  }

  async probe(signal?: AbortSignal): Promise<ProbeResult> {
    let self: SlackSelf;
    try {
      signal?.throwIfAborted();
      self = await this.authTest();
    } catch (err) {
      return { ok: false, detail: toChannelError(err, "auth.test").message };
    }
    const identity = `${self.userId} (${self.name})`;
    if (this.config.mode === "http") return { ok: true, identity, detail: "bot token accepted (HTTP Events API mode)" };
    try {
      signal?.throwIfAborted();
      const appClient = new WebClient(this.config.app_token, { ...this.clientOptions, logger: this.sdkLogger });
      await appClient.apps.connections.open({});
    } catch (err) {
      return { ok: false, identity, detail: toChannelError(err, "apps.connections.open", "app").message };
    }
    return { ok: true, identity, detail: "bot token and app-level token accepted (Socket Mode)" };
  }

  /** The inbound side once the bot's identity is known: Socket Mode here; the HTTP variant overrides it. */
  protected async startInbound(): Promise<void> {
    // Loaded here, once the bot token works: @slack/socket-mode (with undici) is most of the adapter's load time, and
    // the gateway answers requests meanwhile; `mode: http` never loads it.
    const { SlackSocket } = await import("./slack-socket.ts");
    if (!this.running) return; // stopped while loading
    const socket = new SlackSocket({
      appToken: this.config.app_token ?? "",
      clientOptions: this.clientOptions,
      log: this.log,
      sdkLogger: this.sdkLogger,
      now: this.now,
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
      ...(this.opts.clientPingTimeoutMs ? { clientPingTimeoutMs: this.opts.clientPingTimeoutMs } : {}),
      onEvent: (body) => this.receiveEvent(body),
      onState: (state, detail) => this.setState(state, detail),
    });
    this.socket = socket;
    await socket.start();
  }

  /** True between a successful start and stop: events may be delivered. */
  protected isReceiving(): boolean {
    return this.running && this.self !== undefined && this.status.state !== "failed";
  }

  /**
   * One Events API body → at most one deliver. Contract: resolves when the message was journaled, is not one to
   * deliver, or is wrongly shaped (then reported to the sink); rejects when deliver rejected or the channel is stopped,
   * so the caller must not acknowledge it.
   */
  protected async receiveEvent(body: unknown): Promise<void> {
    const self = this.self;
    if (!self) throw new ChannelError({ code: "unavailable", message: "Slack event before the bot's identity is known", channel: "slack" });
    const read = readMessageEvent(body, self);
    if (read.kind === "malformed") return this.reportMalformed(read.problem);
    if (read.kind === "ignored") return;
    const event = read.event;
    const msg = toInbound(event, await this.lookupContext(event, self));
    if (!this.running || !this.sink) throw new ChannelError({ code: "unavailable", message: "Slack channel is stopped", channel: "slack" });
    this.log.debug({ messageId: msg.messageId, chatId: msg.chat.id, senderId: msg.sender.id, text: msg.text }, "inbound message");
    await this.sink.deliver(msg);
  }

  /** Hands a wrongly shaped payload to the sink, which records it. */
  protected reportMalformed(problem: string): void {
    this.sink?.reportMalformed(problem);
  }

  protected setState(state: ChannelState, detail?: string): void {
    const changed = state !== this.status.state || detail !== this.status.detail;
    this.status = { state, since: changed ? this.now() : this.status.since, ...(this.status.identity ? { identity: this.status.identity } : {}), ...(detail ? { detail } : {}) };
    if (!changed) return;
    if (state === "reconnecting" || state === "failed") this.log.warn({ state, detail }, "slack channel state");
    else this.log.info({ state, identity: this.status.identity }, "slack channel state");
  }

  private async authTest(): Promise<SlackSelf> {
    const res = await this.web.auth.test();
    if (!res.user_id) {
      throw new ChannelError({ code: "auth_failed", message: "Slack auth.test returned no user for the bot token. Fix: use the Bot User OAuth Token (xoxb-…)", channel: "slack", method: "auth.test" });
    }
    return { userId: res.user_id, name: res.user ?? res.user_id, ...(res.bot_id ? { botId: res.bot_id } : {}) };
  }

  /** Runs `fn` until it succeeds, retrying transient failures with backoff (state "reconnecting") until stopped. */
  private async untilReachable<T>(fn: () => Promise<T>, method: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const e = toChannelError(err, method);
        if (!e.retryable || !this.running) throw e;
        this.setState("reconnecting", e.message);
        await sleep(e.retryAfterMs ?? backoffDelay(attempt, this.opts.backoff), this.abort.signal);
      }
    }
  }

  /** Thread under route.threadId; otherwise a group reply to a message goes into that message's thread. DMs stay
   * flat: a thread would hide the answer one click away. */
  private threadTsFor(msg: OutboundMessage): string | undefined {
    if (msg.route.threadId) return msg.route.threadId;
    if (!msg.replyToMessageId || msg.route.chatKind !== "group") return undefined;
    const ts = msg.replyToMessageId.slice(msg.replyToMessageId.indexOf(":") + 1);
    return /^\d+\.\d+$/.test(ts) ? ts : undefined;
  }

  /** files.uploadV2: getUploadURLExternal → POST the bytes → completeUploadExternal, shared into the chat/thread. */
  private async sendFile(channel: string, threadTs: string | undefined, comment: string, media: OutboundMedia): Promise<SentMessage> {
    const maxBytes = this.config.media_max_mb * 1024 * 1024;
    let bytes: Buffer;
    try {
      const info = await stat(media.path);
      if (info.size > maxBytes) {
        throw new ChannelError({ code: "too_large", message: `${media.fileName} is ${info.size} bytes, over media_max_mb (${this.config.media_max_mb} MB)`, channel: "slack", method: "files.uploadV2" });
      }
      bytes = await readFile(media.path);
    } catch (err) {
      if (err instanceof ChannelError) throw err;
      throw new ChannelError({ code: "not_found", message: `cannot read ${media.fileName} for upload: ${err instanceof Error ? err.message : String(err)}`, channel: "slack", method: "files.uploadV2", cause: err });
    }
    try {
      const upload = { channel_id: channel, file: bytes, filename: media.fileName, title: media.fileName, ...(comment ? { initial_comment: comment } : {}) };
      const res = (await this.web.files.uploadV2(threadTs ? { ...upload, thread_ts: threadTs } : upload)) as { files?: CompletedUpload[] };
      const file = res.files?.[0]?.files?.[0];
      const share = file?.shares?.public?.[channel]?.[0] ?? file?.shares?.private?.[channel]?.[0];
      this.log.debug({ chatId: channel, threadTs, bytes: bytes.length }, "file sent");
      // Slack fills `shares` asynchronously; without the message ts the file id is the best id there is.
      return { messageId: `${channel}:${share?.ts ?? file?.id ?? ""}` };
    } catch (err) {
      throw toChannelError(err, "files.uploadV2");
    }
  }

  private async lookupContext(event: SlackMessageEvent, self: SlackSelf): Promise<Parameters<typeof toInbound>[1]> {
    const ids = [...new Set([event.user, ...mentionedUserIds(event.text ?? "")])].filter((id): id is string => !!id && id !== self.userId);
    const people = await Promise.all(ids.map(async (id) => [id, await this.lookupUser(id)] as const));
    const userNames = new Map(people.flatMap(([id, p]) => (p.name ? [[id, p.name] as const] : [])));
    const sender = event.user ? this.users.get(event.user) : undefined;
    const chatTitle = chatKindOf(event) === "group" ? await this.lookupTitle(event.channel) : undefined;
    return {
      account: this.account, self, userNames,
      ...(sender?.username ? { senderUsername: sender.username } : {}), ...(chatTitle ? { chatTitle } : {}),
    };
  }

  /** users.info, cached; a failed look-up only costs the name. */
  private async lookupUser(id: string): Promise<{ name?: string; username?: string }> {
    const cached = this.users.get(id);
    if (cached) return cached;
    try {
      const { user } = await this.web.users.info({ user: id });
      const name = user?.profile?.display_name || user?.profile?.real_name || user?.real_name || user?.name;
      const entry = { ...(name ? { name } : {}), ...(user?.name ? { username: user.name } : {}) };
      if (this.users.size >= NAME_CACHE_MAX) this.users.clear();
      this.users.set(id, entry);
      return entry;
    } catch (err) {
      this.log.debug({ userId: id, code: toChannelError(err, "users.info").code }, "slack user look-up failed");
      return {};
    }
  }

  private async lookupTitle(channel: string): Promise<string | undefined> {
    const cached = this.titles.get(channel);
    if (cached) return cached;
    try {
      const res = await this.web.conversations.info({ channel });
      if (!res.channel?.name || res.channel.is_mpim) return undefined;
      const title = `#${res.channel.name}`;
      if (this.titles.size >= NAME_CACHE_MAX) this.titles.clear();
      this.titles.set(channel, title);
      return title;
    } catch (err) {
      this.log.debug({ chatId: channel, code: toChannelError(err, "conversations.info").code }, "slack channel look-up failed");
      return undefined;
    }
  }
}
