// Loopback fake of Discord: the REST API under /api/v10 (gateway/bot, users/@me, channels, messages JSON and multipart,
// typing, DMs, attachment downloads) and the gateway WebSocket (discord-gateway.ts), with one guild, a text channel,
// a thread and two users. Records what the bot sent; injects user messages; fails chosen routes with 5xx/429 on demand.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ChannelType, GatewayIntentBits, MessageType } from "discord.js";
import type { APIAttachment, APIChannel, APIMessage, APIThreadChannel, APIUser } from "discord.js";
import { FakeGateway } from "./discord-gateway.ts";
import {
  attachmentObject, createSnowflakes, dmChannelObject, guildCreateObject, memberObject, messageObject, roleObject,
  textChannelObject, threadObject, userObject,
} from "./discord-payloads.ts";
import type { ThreadType } from "./discord-payloads.ts";

export interface DiscordFakeOptions {
  /** The bot token the fake accepts (`Authorization: Bot <token>`, IDENTIFY). */
  token?: string;
  botName?: string;
  /** The Message Content privileged intent is enabled in the Developer Portal (default true). */
  messageContentEnabled?: boolean;
  heartbeatIntervalMs?: number;
}

export type DiscordFakeRoute =
  | "GET /gateway/bot"
  | "GET /users/@me"
  | "GET /channels/:id"
  | "POST /channels/:id/messages"
  | "POST /channels/:id/typing"
  | "GET /channels/:id/messages/:mid"
  | "PATCH /channels/:id/messages/:mid"
  | "POST /users/@me/channels"
  | "GET /attachments";

/** One message the bot created, as the fake received it. */
export interface FakeSentMessage {
  id: string;
  channelId: string;
  content: string;
  allowedMentions: { parse?: string[]; users?: string[]; roles?: string[]; replied_user?: boolean } | undefined;
  messageReference: { message_id?: string; fail_if_not_exists?: boolean } | undefined;
  files: { name: string; size: number; contentType: string }[];
  /** Whether the request was multipart (files) rather than JSON. */
  multipart: boolean;
}

export interface FakeAttachmentInput {
  fileName: string;
  contentType: string;
  data: Uint8Array | string;
  /** The size Discord announces, when a test wants it to differ from the bytes. */
  announcedSize?: number;
}

export interface InjectMessageOptions {
  channelId: string;
  author: APIUser;
  content: string;
  /** Prefix `<@bot>` and list the bot in `mentions`. */
  mentionsBot?: boolean;
  /** Prefix `<@&botRole>` and list the bot's managed role in `mention_roles`. */
  mentionsBotRole?: boolean;
  replyToMessageId?: string;
  attachments?: FakeAttachmentInput[];
  /** Message type; default 0 (or 19 with a reply). System types (e.g. 7 = member join) test filtering. */
  type?: MessageType;
}

type MessageExtras = Partial<Omit<InjectMessageOptions, "channelId" | "author" | "content">>;

export interface DiscordFake {
  /** REST root for discord.js's `rest.api` (`config.api_root`). */
  apiRoot: string;
  gatewayUrl: string;
  token: string;
  bot: APIUser;
  guild: { id: string; name: string };
  channel: { id: string; name: string };
  thread: { id: string; name: string; parentId: string };
  botRoleId: string;
  users: { alice: APIUser; bob: APIUser };
  sent: FakeSentMessage[];
  /** Channel ids of every POST /channels/:id/typing. */
  typing: string[];
  /** Accepted IDENTIFYs (intents asked for). */
  identifies: { intents: number }[];
  /** Every authenticated REST call and attachment download, by route. */
  calls: DiscordFakeRoute[];
  resumes(): number;
  /** Gateway sockets open right now. */
  connected(): number;
  injectMessage(opts: InjectMessageOptions): APIMessage;
  dm(author: APIUser, content: string, extra?: MessageExtras): APIMessage;
  guildMessage(author: APIUser, content: string, extra?: MessageExtras): APIMessage;
  threadMessage(author: APIUser, content: string, extra?: MessageExtras): APIMessage;
  mention(author: APIUser, content: string, extra?: MessageExtras): APIMessage;
  /** MESSAGE_CREATE of an earlier message once more, to every session (Discord may deliver an event twice). */
  redeliver(message: APIMessage): void;
  /** A new thread under the text channel; `announce: false` skips THREAD_CREATE, so the bot first sees it in a message. */
  createThread(name: string, opts?: { type?: ThreadType; announce?: boolean }): string;
  dmChannelId(user: APIUser): string;
  /** The next `count` calls of `route` fail with `status` (429: `retryAfter` seconds, default 1). */
  failNext(route: DiscordFakeRoute, count: number, status: number, retryAfter?: number): void;
  /** Sends to this channel fail with 403 Missing Permissions (50013). */
  denyChannel(channelId: string): void;
  setMessageContentEnabled(enabled: boolean): void;
  /** The next IDENTIFY is closed with `closeCode` (e.g. 4004: the token was reset after REST accepted it). */
  failIdentify(closeCode: number): void;
  /** Closes open gateway sockets (resumable close 4000 by default, or abruptly); returns how many. */
  dropConnection(opts?: { code?: number; abrupt?: boolean }): number;
  waitForSent(count: number, timeoutMs?: number): Promise<FakeSentMessage[]>;
  waitFor(check: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const TEXT_LIMIT = 2000;

/** Starts the fake on 127.0.0.1 (random port). */
export async function startDiscordFake(opts: DiscordFakeOptions = {}): Promise<DiscordFake> {
  const nextId = createSnowflakes();
  const token = opts.token ?? "fake-discord-token";
  let messageContentEnabled = opts.messageContentEnabled ?? true;
  const joinedAt = new Date().toISOString();
  const bot = userObject(nextId(), opts.botName ?? "pincer", { globalName: "Pincer", bot: true });
  const alice = userObject(nextId(), "alice", { globalName: "Alice" });
  const bob = userObject(nextId(), "bob");
  const guildId = nextId();
  const botRoleId = nextId();
  const roles = [roleObject({ id: guildId, name: "@everyone", position: 0 }), roleObject({ id: botRoleId, name: "Pincer", position: 1, botId: bot.id })];
  const botMember = memberObject(bot, [botRoleId], joinedAt);
  const general = textChannelObject({ id: nextId(), guildId, name: "general", position: 0 });
  const channels = new Map<string, APIChannel>([[general.id, general]]);
  const threads: APIThreadChannel[] = [];
  const dmByUser = new Map<string, string>();
  const messages = new Map<string, APIMessage>();
  const files = new Map<string, { bytes: Uint8Array; contentType: string }>();
  const failures = new Map<DiscordFakeRoute, { count: number; status: number; retryAfter: number }>();
  const denied = new Set<string>();
  const sent: FakeSentMessage[] = [];
  const calls: DiscordFakeRoute[] = [];
  const typing: string[] = [];
  const waiters = new Set<() => void>();
  let base = "";

  const addThread = (name: string, type: ThreadType): APIThreadChannel => {
    const thread = threadObject({ id: nextId(), guildId, parentId: general.id, ownerId: alice.id, name, type });
    channels.set(thread.id, thread);
    threads.push(thread);
    return thread;
  };
  const firstThread = addThread("planning", ChannelType.PublicThread);
  /** Threads the gateway has told sessions about (the first one comes with GUILD_CREATE). */
  const announced = new Set<string>([firstThread.id]);

  const gateway = new FakeGateway({
    token,
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 41_250,
    messageContentEnabled: () => messageContentEnabled,
    ready: (sessionId) => ({
      v: 10,
      user: bot,
      guilds: [{ id: guildId, unavailable: true }],
      session_id: sessionId,
      resume_gateway_url: `${base.replace("http", "ws")}/gateway`,
      session_type: "normal",
      shard: [0, 1],
      application: { id: bot.id, flags: 0 },
      private_channels: [],
      presences: [],
      relationships: [],
      user_settings: {},
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
    }),
    guilds: () => [
      guildCreateObject({
        id: guildId, name: "Pincer Lab", ownerId: alice.id, roles, members: [botMember], channels: [general],
        threads: threads.filter((t) => announced.has(t.id)), joinedAt,
      }),
    ],
  });

  const dmChannelId = (user: APIUser): string => {
    let id = dmByUser.get(user.id);
    if (!id) {
      id = nextId();
      dmByUser.set(user.id, id);
      channels.set(id, dmChannelObject(id, user));
    }
    return id;
  };

  const guildOf = (channelId: string): string | undefined => {
    const channel = channels.get(channelId);
    return channel && "guild_id" in channel ? channel.guild_id : undefined;
  };

  /** MESSAGE_CREATE as each session sees it: guild messages need GUILD_MESSAGES, DMs DIRECT_MESSAGES; without
   * MESSAGE_CONTENT, content and attachments are empty unless it is a DM, mentions the bot or is the bot's own. */
  const dispatchMessage = (message: APIMessage, event: "MESSAGE_CREATE" | "MESSAGE_UPDATE" = "MESSAGE_CREATE"): void => {
    const guild = guildOf(message.channel_id);
    const channel = channels.get(message.channel_id);
    const member = message.author.id === bot.id ? memberObject(undefined, [botRoleId], joinedAt) : memberObject(undefined, [], joinedAt);
    const payload = { ...message, channel_type: channel?.type, ...(guild ? { guild_id: guild, member } : {}) };
    gateway.dispatch(event, payload, (intents) => {
      const needed = guild ? GatewayIntentBits.GuildMessages : GatewayIntentBits.DirectMessages;
      if ((intents & needed) === 0) return undefined;
      const privileged = !guild || message.author.id === bot.id || message.mentions.some((u) => u.id === bot.id);
      if ((intents & GatewayIntentBits.MessageContent) !== 0 || privileged) return payload;
      return { ...payload, content: "", attachments: [], embeds: [] };
    });
  };

  const storeAttachments = (channelId: string, inputs: FakeAttachmentInput[]): APIAttachment[] =>
    inputs.map((input) => {
      const id = nextId();
      const bytes = typeof input.data === "string" ? new TextEncoder().encode(input.data) : input.data;
      const path = `/attachments/${channelId}/${id}/${encodeURIComponent(input.fileName)}`;
      files.set(path, { bytes, contentType: input.contentType });
      // Real CDN URLs are signed (ex/is/hm); the fake does not check them.
      const url = `${base}${path}?ex=${Math.floor(Date.now() / 1000 + 86_400).toString(16)}&is=0&hm=fake`;
      return attachmentObject({ id, fileName: input.fileName, size: input.announcedSize ?? bytes.byteLength, contentType: input.contentType, url });
    });

  const injectMessage = (o: InjectMessageOptions): APIMessage => {
    if (!channels.has(o.channelId)) throw new Error(`fake discord: unknown channel ${o.channelId}`);
    const guild = guildOf(o.channelId);
    const prefix = `${o.mentionsBot ? `<@${bot.id}> ` : ""}${o.mentionsBotRole ? `<@&${botRoleId}> ` : ""}`;
    const referenced = o.replyToMessageId ? messages.get(o.replyToMessageId) : undefined;
    const message = messageObject({
      id: nextId(),
      channelId: o.channelId,
      author: o.author,
      content: prefix + o.content,
      mentions: o.mentionsBot ? [{ ...bot, member: memberObject(undefined, [botRoleId], joinedAt) } as APIUser] : [],
      mentionRoles: o.mentionsBotRole ? [botRoleId] : [],
      attachments: storeAttachments(o.channelId, o.attachments ?? []),
      ...(o.replyToMessageId
        ? { reference: { type: 0, message_id: o.replyToMessageId, channel_id: o.channelId, ...(guild ? { guild_id: guild } : {}) }, referenced }
        : {}),
    });
    if (o.type !== undefined) message.type = o.type;
    messages.set(message.id, message);
    dispatchMessage(message);
    return message;
  };

  const notify = (): void => {
    for (const waiter of waiters) waiter();
  };

  const createMessage = async (channelId: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const channel = channels.get(channelId);
    if (!channel) return json(res, 404, { message: "Unknown Channel", code: 10003 });
    if (denied.has(channelId)) return json(res, 403, { message: "Missing Permissions", code: 50013 });
    const { body, uploads, multipart } = await readMessageBody(req);
    const content = String(body.content ?? "");
    if (content.length > TEXT_LIMIT) {
      return json(res, 400, {
        message: "Invalid Form Body",
        code: 50035,
        errors: { content: { _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: `Must be ${TEXT_LIMIT} or fewer in length.` }] } },
      });
    }
    if (!content && uploads.length === 0) return json(res, 400, { message: "Cannot send an empty message", code: 50006 });
    let reference = body.message_reference as FakeSentMessage["messageReference"];
    const referenced = reference?.message_id ? messages.get(reference.message_id) : undefined;
    if (reference?.message_id && !referenced) {
      if (reference.fail_if_not_exists !== false) {
        return json(res, 400, {
          message: "Invalid Form Body",
          code: 50035,
          errors: { message_reference: { _errors: [{ code: "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", message: "Unknown message" }] } },
        });
      }
      reference = undefined;
    }
    const allowed = body.allowed_mentions as FakeSentMessage["allowedMentions"];
    const parse = allowed ? (allowed.parse ?? []) : ["users", "roles", "everyone"];
    const guild = guildOf(channelId);
    const message = messageObject({
      id: nextId(),
      channelId,
      author: bot,
      content,
      mentionEveryone: parse.includes("everyone") && /@(everyone|here)/.test(content),
      attachments: storeAttachments(channelId, uploads.map((u) => ({ fileName: u.name, contentType: u.contentType, data: u.bytes }))),
      ...(reference?.message_id
        ? { reference: { type: 0, message_id: reference.message_id, channel_id: channelId, ...(guild ? { guild_id: guild } : {}) }, referenced }
        : {}),
    });
    messages.set(message.id, message);
    sent.push({
      id: message.id,
      channelId,
      content,
      allowedMentions: allowed,
      messageReference: body.message_reference as FakeSentMessage["messageReference"],
      files: uploads.map((u) => ({ name: u.name, size: u.bytes.byteLength, contentType: u.contentType })),
      multipart,
    });
    json(res, 200, message);
    dispatchMessage(message);
    notify();
  };

  const routes: { method: string; pattern: RegExp; route: DiscordFakeRoute; run: (m: string[], req: IncomingMessage, res: ServerResponse) => Promise<void> | void }[] = [
    {
      method: "GET", pattern: /^\/gateway\/bot$/, route: "GET /gateway/bot",
      run: (_m, _req, res) =>
        json(res, 200, {
          url: `${base.replace("http", "ws")}/gateway`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
        }),
    },
    { method: "GET", pattern: /^\/users\/@me$/, route: "GET /users/@me", run: (_m, _req, res) => json(res, 200, bot) },
    {
      method: "GET", pattern: /^\/channels\/(\d+)$/, route: "GET /channels/:id",
      run: ([id = ""], _req, res) => {
        const channel = channels.get(id);
        return channel ? json(res, 200, channel) : json(res, 404, { message: "Unknown Channel", code: 10003 });
      },
    },
    { method: "POST", pattern: /^\/channels\/(\d+)\/messages$/, route: "POST /channels/:id/messages", run: ([id = ""], req, res) => createMessage(id, req, res) },
    {
      method: "POST", pattern: /^\/channels\/(\d+)\/typing$/, route: "POST /channels/:id/typing",
      run: ([id = ""], _req, res) => {
        if (!channels.has(id)) return json(res, 404, { message: "Unknown Channel", code: 10003 });
        typing.push(id);
        res.writeHead(204).end();
      },
    },
    {
      method: "GET", pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/, route: "GET /channels/:id/messages/:mid",
      run: ([id = "", mid = ""], _req, res) => {
        const message = messages.get(mid);
        return message?.channel_id === id ? json(res, 200, message) : json(res, 404, { message: "Unknown Message", code: 10008 });
      },
    },
    {
      method: "PATCH", pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/, route: "PATCH /channels/:id/messages/:mid",
      run: async ([id = "", mid = ""], req, res) => {
        const message = messages.get(mid);
        if (message?.channel_id !== id) return json(res, 404, { message: "Unknown Message", code: 10008 });
        if (message.author.id !== bot.id) return json(res, 403, { message: "Cannot edit a message authored by another user", code: 50005 });
        const { body } = await readMessageBody(req);
        const edited = { ...message, content: String(body.content ?? message.content), edited_timestamp: new Date().toISOString() };
        messages.set(mid, edited);
        json(res, 200, edited);
        dispatchMessage(edited, "MESSAGE_UPDATE");
      },
    },
    {
      method: "POST", pattern: /^\/users\/@me\/channels$/, route: "POST /users/@me/channels",
      run: async (_m, req, res) => {
        const { body } = await readMessageBody(req);
        const user = [alice, bob].find((u) => u.id === String(body.recipient_id));
        if (!user) return json(res, 400, { message: "Invalid Recipient(s)", code: 50033 });
        json(res, 200, channels.get(dmChannelId(user)));
      },
    },
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", base);
    if (req.method === "GET" && url.pathname.startsWith("/attachments/")) {
      calls.push("GET /attachments");
      if (failNow("GET /attachments", res)) return;
      const file = files.get(url.pathname);
      if (!file) return json(res, 404, { message: "404: Not Found", code: 0 });
      res.writeHead(200, { "content-type": file.contentType, "content-length": String(file.bytes.byteLength) }).end(file.bytes);
      return;
    }
    const path = /^\/api(?:\/v\d+)?(\/.*)$/.exec(url.pathname)?.[1];
    const match = path === undefined ? undefined : routes.find((r) => r.method === req.method && r.pattern.test(path));
    if (!match || path === undefined) return json(res, 404, { message: "404: Not Found", code: 0 });
    if (req.headers.authorization !== `Bot ${token}`) return json(res, 401, { message: "401: Unauthorized", code: 0 });
    calls.push(match.route);
    if (failNow(match.route, res)) return;
    await match.run((match.pattern.exec(path) ?? []).slice(1), req, res);
  };

  const failNow = (route: DiscordFakeRoute, res: ServerResponse): boolean => {
    const failure = failures.get(route);
    if (!failure || failure.count <= 0) return false;
    failure.count--;
    writeFailure(res, failure.status, failure.retryAfter);
    return true;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { message: `fake discord: ${String(err)}`, code: 0 });
    });
  });
  server.on("upgrade", (req, socket, head) => {
    if (new URL(req.url ?? "/", "http://fake").pathname === "/gateway") gateway.upgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const waitFor = (check: () => boolean, timeoutMs = 5_000): Promise<void> =>
    new Promise((resolve, reject) => {
      if (check()) return resolve();
      const timer = setInterval(() => {
        if (!check()) return;
        clearInterval(timer);
        clearTimeout(deadline);
        resolve();
      }, 10);
      const deadline = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`fake discord: condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
    });

  return {
    apiRoot: `${base}/api`,
    gatewayUrl: `${base.replace("http", "ws")}/gateway`,
    token,
    bot,
    guild: { id: guildId, name: "Pincer Lab" },
    channel: { id: general.id, name: general.name },
    thread: { id: firstThread.id, name: firstThread.name ?? "", parentId: general.id },
    botRoleId,
    users: { alice, bob },
    sent,
    typing,
    identifies: gateway.identifies,
    calls,
    resumes: () => gateway.resumes,
    connected: () => gateway.connected(),
    injectMessage,
    dm: (author, content, extra) => injectMessage({ ...extra, channelId: dmChannelId(author), author, content }),
    guildMessage: (author, content, extra) => injectMessage({ ...extra, channelId: general.id, author, content }),
    threadMessage: (author, content, extra) => injectMessage({ ...extra, channelId: firstThread.id, author, content }),
    mention: (author, content, extra) => injectMessage({ ...extra, channelId: general.id, author, content, mentionsBot: true }),
    redeliver: (message) => dispatchMessage(message),
    createThread: (name, o = {}) => {
      const thread = addThread(name, o.type ?? ChannelType.PublicThread);
      if (o.announce !== false) {
        announced.add(thread.id);
        gateway.dispatch("THREAD_CREATE", { ...thread, newly_created: true });
      }
      return thread.id;
    },
    dmChannelId,
    failNext: (route, count, status, retryAfter = 1) => failures.set(route, { count, status, retryAfter }),
    denyChannel: (channelId) => denied.add(channelId),
    setMessageContentEnabled: (enabled) => {
      messageContentEnabled = enabled;
    },
    failIdentify: (closeCode) => gateway.failNextIdentify(closeCode),
    dropConnection: (o) => gateway.drop(o),
    waitForSent: async (count, timeoutMs = 5_000) => {
      await waitFor(() => sent.length >= count, timeoutMs).catch(() => {
        throw new Error(`fake discord: ${sent.length} of ${count} messages sent within ${timeoutMs} ms`);
      });
      return sent;
    },
    waitFor,
    close: async () => {
      gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Discord's error bodies; a 429 carries retry_after (seconds, float) plus the rate-limit headers. */
function writeFailure(res: ServerResponse, status: number, retryAfter: number): void {
  if (status === 429) {
    return json(res, 429, { message: "You are being rate limited.", retry_after: retryAfter, global: false, code: 0 }, {
      "retry-after": String(Math.ceil(retryAfter)),
      "x-ratelimit-limit": "5",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(Date.now() / 1000 + retryAfter),
      "x-ratelimit-reset-after": retryAfter.toFixed(3),
      "x-ratelimit-bucket": "fakebucket",
      "x-ratelimit-scope": "user",
    });
  }
  const bodies: Record<number, { message: string; code: number }> = {
    400: { message: "Invalid Form Body", code: 50035 },
    401: { message: "401: Unauthorized", code: 0 },
    403: { message: "Missing Permissions", code: 50013 },
    404: { message: "404: Not Found", code: 0 },
  };
  json(res, status, bodies[status] ?? { message: `${status}: Server Error`, code: 0 });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/** A message body: JSON, or multipart with `payload_json` and `files[n]` parts (what discord.js sends with files). */
async function readMessageBody(req: IncomingMessage): Promise<{
  body: Record<string, unknown>;
  uploads: { name: string; contentType: string; bytes: Uint8Array }[];
  multipart: boolean;
}> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("multipart/form-data")) {
    return { body: raw.length ? (JSON.parse(raw.toString("utf8")) as Record<string, unknown>) : {}, uploads: [], multipart: false };
  }
  const form = await new Response(raw, { headers: { "content-type": type } }).formData();
  const payload = form.get("payload_json");
  const uploads: { name: string; contentType: string; bytes: Uint8Array }[] = [];
  for (const [key, value] of form.entries()) {
    if (!/^files\[\d+\]$/.test(key) || typeof value === "string") continue;
    uploads.push({ name: value.name, contentType: value.type || "application/octet-stream", bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  return { body: typeof payload === "string" ? (JSON.parse(payload) as Record<string, unknown>) : {}, uploads, multipart: true };
}
