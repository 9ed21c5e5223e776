// The Discord adapter: a discord.js Client on the gateway for inbound messages, REST for sends (discord.js's own retries
// off, so 5xx and 429 reach the caller), typing, attachment download and a token probe. Mapping lives in
// discord-inbound.ts / discord-format.ts, error codes in discord-errors.ts; routing and chunking are not done here.
import { Client, Events, GatewayIntentBits, Partials, REST, Routes } from "discord.js";
import type { APIUser, Message, MessageCreateOptions, SendableChannels } from "discord.js";
import type { Logger } from "pino";
import type { DiscordAccountConfig } from "../../core/channel-config.ts";
import { ChannelError } from "../../core/errors.ts";
import type { InboundMedia, ReplyRoute } from "../../core/inbound.ts";
import type { ChannelFactoryOptions } from "../channel-registry.ts";
import { backoffDelay, sleep } from "../kit/backoff.ts";
import type { BackoffOptions } from "../kit/backoff.ts";
import type {
  Channel, ChannelHealth, ChannelSink, ChannelState, MediaCapable, OutboundMessage, ProbeCapable, ProbeResult, SentMessage,
  TypingCapable,
} from "../kit/channel.ts";
import { apiCodeOf, GatewayCloseError, INVALID_FORM_BODY, toChannelError } from "./discord-errors.ts";
import { DISCORD_TEXT_LIMIT, renderDiscord, renderDiscordPlain } from "./discord-format.ts";
import { toInbound } from "./discord-inbound.ts";
import { readCapped } from "../../core/capped-body.ts";

const DEFAULT_API_ROOT = "https://discord.com/api";
/** Deliveries of one message before it is dropped (Discord never redelivers a gateway event). */
const DELIVER_ATTEMPTS = 5;
const PROBE_TIMEOUT_MS = 10_000;
const MEDIA_TIMEOUT_MS = 60_000;

export interface DiscordChannelOptions extends ChannelFactoryOptions<DiscordAccountConfig> {
  /** Delays of the start-up reconnect loop and of deliver retries (tests shorten them). */
  backoff?: BackoffOptions;
}

/** Builds the Discord channel of one account. Contract: connects nothing until `start`. */
export function createDiscordChannel(opts: DiscordChannelOptions): DiscordChannel {
  return new DiscordChannel(opts);
}

export class DiscordChannel implements Channel, TypingCapable, MediaCapable, ProbeCapable {
  readonly channel = "discord";
  readonly account: string;
  readonly textLimit: number;
  private readonly config: DiscordAccountConfig;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  private readonly backoff: BackoffOptions | undefined;
  private readonly apiRoot: string;
  private client: Client | undefined;
  private sink: ChannelSink | undefined;
  private stopping = new AbortController();
  private deliveries: Promise<void> = Promise.resolve();
  private bot: { id: string; name: string } | undefined;
  private state: ChannelHealth;

  constructor(opts: DiscordChannelOptions) {
    this.account = opts.account;
    this.config = opts.config;
    this.log = opts.log.child({ component: "channel.discord", account: opts.account });
    this.now = opts.now ?? Date.now;
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.backoff = opts.backoff;
    this.apiRoot = (opts.config.api_root ?? DEFAULT_API_ROOT).replace(/\/+$/, "");
    this.textLimit = Math.min(DISCORD_TEXT_LIMIT, opts.config.text_chunk_limit ?? DISCORD_TEXT_LIMIT);
    this.state = { state: "stopped", since: this.now() };
  }

  health(): ChannelHealth {
    return { ...this.state };
  }

  /** Logs in and resolves on the gateway's ready; transient failures (5xx, network) are retried with backoff here,
   * later drops are resumed by discord.js itself. */
  async start(sink: ChannelSink): Promise<void> {
    if (this.state.state !== "stopped" && this.state.state !== "failed") throw new Error("discord channel already started");
    this.sink = sink;
    this.stopping = new AbortController();
    const stopping = this.stopping.signal;
    this.setState("starting");
    for (let attempt = 1; ; attempt++) {
      try {
        await this.connect(stopping);
        return;
      } catch (err) {
        if (stopping.aborted) return;
        const error = toChannelError(err, "start");
        if (!error.retryable) {
          this.setState("failed", error.message);
          this.log.error({ code: error.code }, "discord start refused");
          throw error;
        }
        const delayMs = backoffDelay(attempt, this.backoff);
        this.setState("reconnecting", error.message);
        this.log.warn({ code: error.code, attempt, delayMs }, "discord connect failed; retrying");
        try {
          await sleep(delayMs, stopping);
        } catch {
          return;
        }
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    const client = this.client;
    this.client = undefined;
    if (this.state.state !== "stopped") this.setState("stopped");
    await client?.destroy().catch((err: unknown) => this.log.warn({ err }, "discord client did not close cleanly"));
  }

  async send(msg: OutboundMessage): Promise<SentMessage> {
    const channel = await this.sendableChannel(msg.route.threadId ?? msg.route.chatId, "send");
    const rendered = renderDiscord(msg.text);
    const plain = renderDiscordPlain(msg.text);
    const base: MessageCreateOptions = {
      // Never ping: a model reply must not reach @everyone, @here, roles or users.
      allowedMentions: { parse: [], repliedUser: false },
      ...(msg.replyToMessageId ? { reply: { messageReference: msg.replyToMessageId, failIfNotExists: false } } : {}),
      ...(msg.media ? { files: [{ attachment: msg.media.path, name: msg.media.fileName }] } : {}),
    };
    const first = rendered.length <= DISCORD_TEXT_LIMIT ? rendered : plain;
    const fields = { chatId: msg.route.chatId, threadId: msg.route.threadId, chars: first.length, media: Boolean(msg.media) };
    try {
      const sent = await channel.send({ ...base, content: first || undefined });
      this.log.debug(fields, "message sent");
      return { messageId: sent.id };
    } catch (err) {
      // Invalid Form Body leaves nothing posted, so sending the text as written once more cannot double-post.
      if (apiCodeOf(err) !== INVALID_FORM_BODY || first === plain) throw toChannelError(err, "send");
      this.log.warn(fields, "discord refused the rendered text; sending it as written");
    }
    try {
      const sent = await channel.send({ ...base, content: plain || undefined });
      return { messageId: sent.id };
    } catch (err) {
      throw toChannelError(err, "send");
    }
  }

  async sendTyping(route: ReplyRoute): Promise<void> {
    const channel = await this.sendableChannel(route.threadId ?? route.chatId, "sendTyping");
    try {
      await channel.sendTyping();
    } catch (err) {
      throw toChannelError(err, "sendTyping");
    }
  }

  /** Downloads an attachment from its CDN URL (signed; the bot token is never sent there). */
  async fetchMedia(media: InboundMedia, maxBytes: number): Promise<{ bytes: Uint8Array; mimeType: string; fileName?: string }> {
    const tooLarge = (size: number | string): ChannelError =>
      new ChannelError({
        code: "too_large",
        message: `discord fetchMedia: ${media.fileName ?? "attachment"} is ${size} bytes, over the ${maxBytes}-byte limit`,
        channel: "discord",
        method: "fetchMedia",
      });
    if (media.sizeBytes !== undefined && media.sizeBytes > maxBytes) throw tooLarge(media.sizeBytes);
    let res: Response;
    try {
      res = await this.fetch(media.ref, { signal: AbortSignal.timeout(MEDIA_TIMEOUT_MS) });
    } catch (err) {
      throw toChannelError(err, "fetchMedia");
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw toChannelError({ status: res.status }, "fetchMedia");
    }
    const announced = Number(res.headers.get("content-length") ?? NaN);
    if (announced > maxBytes) {
      await res.body?.cancel();
      throw tooLarge(announced);
    }
    const bytes = await readCapped(res, maxBytes);
    if (!bytes) throw tooLarge(`more than ${maxBytes}`);
    const mimeType = media.mimeType ?? res.headers.get("content-type") ?? "application/octet-stream";
    return { bytes, mimeType, fileName: media.fileName };
  }

  /** GET /users/@me over REST with the configured token; no gateway connection. */
  async probe(signal?: AbortSignal): Promise<ProbeResult> {
    const rest = new REST({ ...this.restOptions(), timeout: PROBE_TIMEOUT_MS, hashSweepInterval: 0, handlerSweepInterval: 0 });
    rest.setToken(this.config.token);
    try {
      const me = (await rest.get(Routes.user(), { signal })) as APIUser;
      const identity = identityOf(me);
      return { ok: true, identity, detail: `connected to Discord as ${identity}` };
    } catch (err) {
      return { ok: false, detail: toChannelError(err, "probe").message };
    }
  }

  private restOptions(): { api: string; retries: number; rejectOnRateLimit: () => boolean } {
    // retries 0 and reject on every rate limit: the caller retries with its idempotency keys, never discord.js.
    return { api: this.apiRoot, retries: 0, rejectOnRateLimit: () => true };
  }

  private async connect(stopping: AbortSignal): Promise<void> {
    const client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages],
      // Without these, DMs on uncached channels would be dropped by discord.js.
      partials: [Partials.Channel, Partials.Message],
      allowedMentions: { parse: [], repliedUser: false },
      failIfNotExists: false,
      rest: this.restOptions(),
    });
    this.client = client;
    let refuse: (err: Error) => void = () => undefined;
    const refused = new Promise<never>((_, reject) => (refuse = reject));
    // The bot's id is needed before the first MESSAGE_CREATE discord.js held back until ready is handled.
    const ready = new Promise<void>((resolve) =>
      client.once(Events.ClientReady, (c) => {
        this.bot = { id: c.user.id, name: c.user.username };
        resolve();
      }),
    );
    this.watch(client, stopping, refuse);
    // stop() during login: discord.js's login would wait for a ready that never comes.
    let onStop = (): void => undefined;
    const stopped = new Promise<never>((_, reject) => {
      onStop = () => reject(new Error("stopped"));
      stopping.addEventListener("abort", onStop, { once: true });
    });
    const login = client.login(this.config.token);
    for (const p of [login, refused, stopped]) p.catch(() => undefined);
    try {
      await Promise.race([login.then(() => ready), refused, stopped]);
    } catch (err) {
      if (this.client === client) this.client = undefined;
      await client.destroy().catch(() => undefined);
      throw err;
    } finally {
      stopping.removeEventListener("abort", onStop);
    }
    const user = client.user;
    if (!user || this.client !== client) return;
    this.setState("connected", undefined, identityOf({ username: user.username, discriminator: user.discriminator }));
    this.log.info({ identity: this.state.identity }, "discord connected");
  }

  /** Gateway lifecycle → health, and messages → the delivery queue. `refuse` fails a start still under way. */
  private watch(client: Client, stopping: AbortSignal, refuse: (err: Error) => void): void {
    const current = (): boolean => this.client === client && !stopping.aborted;
    client.on(Events.ShardDisconnect, (event) => {
      // discord.js emits this only for close codes it will not recover from (4004, 4014, …).
      const error = toChannelError(new GatewayCloseError(event.code), "gateway");
      refuse(error);
      if (!current() || this.state.state === "starting") return;
      this.setState("failed", error.message);
      this.log.error({ code: error.code, closeCode: event.code }, "discord gateway closed for good");
    });
    client.on(Events.ShardReconnecting, () => {
      if (!current() || this.state.state !== "connected") return;
      this.setState("reconnecting", "gateway connection lost; resuming");
      this.log.warn({}, "discord gateway reconnecting");
    });
    const back = (): void => {
      if (!current() || this.state.state !== "reconnecting") return;
      this.setState("connected");
      this.log.info({}, "discord gateway reconnected");
    };
    client.on(Events.ShardResume, back);
    client.on(Events.ShardReady, back);
    client.on(Events.ShardError, (err) => {
      if (current()) this.log.warn({ err }, "discord gateway error");
    });
    client.on(Events.Error, (err) => this.log.warn({ err }, "discord client error"));
    client.on(Events.MessageCreate, (message) => {
      if (!current() || !this.bot) return;
      if (message.author.id === this.bot.id || message.system) return;
      this.deliveries = this.deliveries.then(() => this.deliver(message, stopping));
    });
  }

  /**
   * Delivers one message, in arrival order. Discord gateway events carry no ack and are never redelivered, so a
   * rejected deliver is retried here in memory with backoff; after DELIVER_ATTEMPTS the message is dropped (logged).
   * Contract: never rejects; no deliver starts once stop() was called.
   */
  private async deliver(message: Message, stopping: AbortSignal): Promise<void> {
    const sink = this.sink;
    const bot = this.bot;
    if (!sink || !bot) return;
    const fields = { messageId: message.id, chatId: message.channelId };
    let inbound;
    try {
      await this.completeChannel(message);
      inbound = toInbound({
        message,
        account: this.account,
        botId: bot.id,
        botName: bot.name,
        botRoleId: message.guild?.roles.botRoleFor(bot.id)?.id,
        referenced: await this.referencedOf(message),
      });
    } catch (err) {
      // Gateway events are never redelivered: a message the mapping cannot read is reported and skipped.
      sink.reportMalformed(`Discord message ${message.id} could not be mapped: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (let attempt = 1; attempt <= DELIVER_ATTEMPTS; attempt++) {
      if (stopping.aborted) return;
      try {
        await sink.deliver(inbound);
        this.log.debug({ ...fields, text: inbound.text }, "message delivered");
        return;
      } catch (err) {
        this.log.warn({ ...fields, attempt, err }, "deliver failed");
      }
      try {
        if (attempt < DELIVER_ATTEMPTS) await sleep(backoffDelay(attempt, this.backoff), stopping);
      } catch {
        return;
      }
    }
    this.log.error(fields, "discord message dropped after repeated deliver failures");
  }

  /** Guild channels and threads first seen in a message are partial (no parent, no name): fetch them once, so
   * `message.channel` (a cache lookup) has them. */
  private async completeChannel(message: Message): Promise<void> {
    const channel = message.channel;
    if (channel.isDMBased()) return;
    const partial = channel.partial || (channel.isThread() && !channel.parentId) || !("name" in channel && channel.name);
    if (partial) await message.client.channels.fetch(channel.id, { force: true }).catch(() => undefined);
  }

  private async referencedOf(message: Message): Promise<Message | undefined> {
    const id = message.reference?.messageId;
    if (!id) return undefined;
    return message.channel.messages.cache.get(id) ?? (await message.fetchReference().catch(() => undefined));
  }

  private async sendableChannel(id: string, method: string): Promise<SendableChannels> {
    const client = this.client;
    if (!client) {
      throw new ChannelError({ code: "unavailable", message: `discord ${method}: the channel is not started`, channel: "discord", method });
    }
    let channel;
    try {
      channel = await client.channels.fetch(id);
    } catch (err) {
      throw toChannelError(err, method);
    }
    if (!channel?.isSendable()) {
      throw new ChannelError({ code: "bad_request", message: `discord ${method}: channel ${id} is not a text channel`, channel: "discord", method });
    }
    return channel;
  }

  private setState(state: ChannelState, detail?: string, identity?: string): void {
    this.state = { state, since: this.now(), identity: identity ?? this.state.identity, ...(detail ? { detail } : {}) };
  }
}

/** `name#1234` for legacy bots, the bare username otherwise. */
function identityOf(user: Pick<APIUser, "username" | "discriminator">): string {
  return user.discriminator && user.discriminator !== "0" ? `${user.username}#${user.discriminator}` : user.username;
}
