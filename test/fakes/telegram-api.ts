// Loopback fake of the Telegram Bot API (`/bot<token>/<method>`, `/file/bot<token>/<path>`) speaking the real
// `{ ok, result }` envelopes, so grammY runs unchanged against it. Several bots (tokens) share one fake, each with
// its own identity, chats, update queue and webhook. No traffic leaves 127.0.0.1.
import { once } from "node:events";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Chat, Message, MessageEntity, Update, User } from "grammy/types";
import { parseParams, parseTelegramHtml } from "./telegram-wire.ts";
import type { UploadedPart } from "./telegram-wire.ts";

export interface FakeBotSpec {
  token: string;
  id: number;
  username: string;
  firstName?: string;
}

export interface TelegramFakeOptions {
  /** Default: one bot, token `111:TEST-token`, id 111, @pincer_test_bot. */
  bots?: FakeBotSpec[];
  /** Seconds since epoch for message dates. Default: the wall clock. */
  now?: () => number;
}

export type FakeUser = Pick<User, "id" | "first_name"> & Partial<Pick<User, "last_name" | "username" | "is_bot">>;
export type FakeChat = { id: number; type: "private" | "group" | "supergroup"; title?: string; is_forum?: boolean };
export interface FakeFileInput {
  bytes: Uint8Array;
  mime_type?: string;
  file_name?: string;
  /** Announce no file_size (in the message, getFile and the download's Content-Length). */
  hideSize?: boolean;
}

export interface InjectInput {
  chat: FakeChat;
  from?: FakeUser;
  text?: string;
  caption?: string;
  entities?: MessageEntity[];
  reply_to_message?: Message;
  /** A forum topic: sets message_thread_id and is_topic_message. */
  message_thread_id?: number;
  photo?: FakeFileInput;
  voice?: FakeFileInput;
  document?: FakeFileInput;
}

export interface SentRecord {
  token: string;
  method: string;
  chat_id: string;
  text?: string;
  caption?: string;
  parse_mode?: string;
  reply_to_message_id?: number;
  message_thread_id?: number;
  /** The message as stored (its `text` is the visible text after parsing HTML). */
  message: Message;
  file?: { field: string; name: string; bytes: Buffer };
}

export interface ChatActionRecord {
  token: string;
  chat_id: string;
  action: string;
  message_thread_id?: number;
}

export interface TelegramFake {
  /** Pass as the adapter's api_root. */
  apiRoot: string;
  /** The first bot's token and identity. */
  token: string;
  bot: FakeBotSpec;
  addBot(spec: FakeBotSpec): void;
  /** Queues a `message` update for `token` and wakes a waiting getUpdates. */
  injectMessage(token: string, input: InjectInput): { update: Update; message: Message };
  /** Queues any update (edited_message, callback_query …); `update_id` is assigned. */
  injectUpdate(token: string, update: Omit<Update, "update_id">): Update;
  dmFrom(token: string, user: FakeUser, text: string, extra?: Partial<InjectInput>): { update: Update; message: Message };
  groupMessage(token: string, chat: FakeChat, from: FakeUser, text: string, extra?: Partial<InjectInput>): { update: Update; message: Message };
  /** A group message starting with `@<bot username> ` and its mention entity. */
  groupMention(token: string, chat: FakeChat, from: FakeUser, text: string, extra?: Partial<InjectInput>): { update: Update; message: Message };
  /** Registers a chat the bot may send to without an inbound message first. */
  addChat(token: string, chat: FakeChat): void;
  /** Stores a file as if a user had uploaded it; returns what getFile knows. */
  addFile(input: FakeFileInput): { file_id: string; file_unique_id: string; file_size?: number; file_path: string };
  sent: SentRecord[];
  chatActions: ChatActionRecord[];
  typingCount(chatId?: string | number): number;
  /** The next `count` calls of `method` (any bot) answer `status` with Telegram's description. */
  failNext(method: string, count: number, status: number, retryAfter?: number, description?: string): void;
  waitForSent(n: number, timeoutMs?: number): Promise<SentRecord[]>;
  /** Updates not yet confirmed by a getUpdates offset. */
  pendingUpdates(token: string): Update[];
  /** getUpdates calls seen for `token`, with their offsets. */
  polls(token: string): { offset: number | undefined; timeout: number }[];
  webhookOf(token: string): { url: string; secret_token?: string; allowed_updates?: string[] } | undefined;
  /** A webhook POST as Telegram would send it: to the registered URL (or `url`), with the registered secret
   * header, another `secret`, or none (`secret: null`). */
  webhookRequest(token: string, update: unknown, opts?: { url?: string; secret?: string | null; contentType?: string }): Request;
  close(): Promise<void>;
}

interface StoredFile {
  file_id: string;
  file_unique_id: string;
  file_path: string;
  bytes: Buffer;
  hideSize: boolean;
}

interface Waiter {
  wake: () => void;
  terminate: () => void;
}

interface BotState {
  spec: FakeBotSpec;
  user: User;
  updates: Update[];
  nextUpdateId: number;
  chats: Map<string, Chat>;
  messages: Map<string, Map<number, Message>>;
  nextMessageId: Map<string, number>;
  waiter: Waiter | undefined;
  webhook: { url: string; secret_token?: string; allowed_updates?: string[] } | undefined;
  polls: { offset: number | undefined; timeout: number }[];
}

class ApiFailure extends Error {
  readonly status: number;
  readonly retryAfter: number | undefined;
  constructor(status: number, description: string, retryAfter?: number) {
    super(description);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

const DESCRIPTIONS: Record<number, string> = {
  400: "Bad Request: something is wrong",
  401: "Unauthorized",
  403: "Forbidden: bot was blocked by the user",
  404: "Not Found",
  409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
  429: "Too Many Requests: retry after {s}",
  500: "Internal Server Error",
  502: "Bad Gateway",
};

const DEFAULT_BOT: FakeBotSpec = { token: "111:TEST-token", id: 111, username: "pincer_test_bot", firstName: "Pincer" };
const UPLOAD_FIELDS: Record<string, string> = { sendPhoto: "photo", sendDocument: "document", sendAudio: "audio", sendVideo: "video", sendVoice: "voice" };
const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;

export async function startTelegramFake(opts: TelegramFakeOptions = {}): Promise<TelegramFake> {
  const nowSec = opts.now ?? ((): number => Math.floor(Date.now() / 1000));
  const bots = new Map<string, BotState>();
  const files = new Map<string, StoredFile>();
  const failures = new Map<string, { remaining: number; status: number; retryAfter?: number; description?: string }>();
  const sent: SentRecord[] = [];
  const chatActions: ChatActionRecord[] = [];
  const sentWaiters = new Set<() => void>();
  let fileCounter = 0;

  const addBot = (spec: FakeBotSpec): void => {
    bots.set(spec.token, {
      spec,
      user: { id: spec.id, is_bot: true, first_name: spec.firstName ?? spec.username, username: spec.username },
      updates: [],
      nextUpdateId: 1000,
      chats: new Map(),
      messages: new Map(),
      nextMessageId: new Map(),
      waiter: undefined,
      webhook: undefined,
      polls: [],
    });
  };
  for (const spec of opts.bots ?? [DEFAULT_BOT]) addBot(spec);

  const botOf = (token: string): BotState => {
    const bot = bots.get(token);
    if (!bot) throw new Error(`fake telegram: unknown bot token ${token}`);
    return bot;
  };

  const addFile = (input: FakeFileInput): StoredFile & { size: number } => {
    fileCounter += 1;
    const file: StoredFile = {
      file_id: `FILE${fileCounter}-${Math.random().toString(36).slice(2, 10)}`,
      file_unique_id: `U${fileCounter}`,
      file_path: `${input.mime_type?.startsWith("image/") ? "photos" : "documents"}/file_${fileCounter}${extensionOf(input)}`,
      bytes: Buffer.from(input.bytes),
      hideSize: input.hideSize === true,
    };
    files.set(file.file_id, file);
    return { ...file, size: file.bytes.length };
  };
  const sizeOf = (f: StoredFile): { file_size?: number } => (f.hideSize ? {} : { file_size: f.bytes.length });

  const rememberChat = (bot: BotState, chat: FakeChat): Chat => {
    const stored = { ...chat } as Chat;
    bot.chats.set(String(chat.id), stored);
    return stored;
  };
  const storeMessage = (bot: BotState, chatId: string, build: (messageId: number) => Message): Message => {
    const id = bot.nextMessageId.get(chatId) ?? 1;
    bot.nextMessageId.set(chatId, id + 1);
    const message = build(id);
    let perChat = bot.messages.get(chatId);
    if (!perChat) bot.messages.set(chatId, (perChat = new Map()));
    perChat.set(id, message);
    return message;
  };

  const queue = (bot: BotState, update: Omit<Update, "update_id">): Update => {
    const full = { update_id: bot.nextUpdateId++, ...update } as Update;
    bot.updates.push(full);
    bot.waiter?.wake();
    return full;
  };

  const injectMessage = (token: string, input: InjectInput): { update: Update; message: Message } => {
    const bot = botOf(token);
    const chat = rememberChat(bot, input.chat);
    const from: User | undefined = input.from ? { is_bot: false, ...input.from } : undefined;
    const message = storeMessage(bot, String(chat.id), (message_id) => {
      const m: Record<string, unknown> = { message_id, date: nowSec(), chat, ...(from ? { from } : {}) };
      if (input.text !== undefined) m["text"] = input.text;
      if (input.caption !== undefined) m["caption"] = input.caption;
      if (input.entities) m[input.text !== undefined ? "entities" : "caption_entities"] = input.entities;
      if (input.reply_to_message) m["reply_to_message"] = input.reply_to_message;
      if (input.message_thread_id !== undefined) Object.assign(m, { message_thread_id: input.message_thread_id, is_topic_message: true });
      Object.assign(m, mediaFields(input));
      return m as unknown as Message;
    });
    return { update: queue(bot, { message } as Omit<Update, "update_id">), message };
  };

  const mediaFields = (input: Partial<InjectInput>): Record<string, unknown> => {
    if (input.photo) {
      // Telegram stores photos as JPEG under photos/.
      const f = addFile({ ...input.photo, mime_type: "image/jpeg" });
      const thumb = addFile({ bytes: input.photo.bytes.subarray(0, Math.max(1, Math.floor(input.photo.bytes.length / 4))), mime_type: "image/jpeg" });
      return {
        photo: [
          { file_id: thumb.file_id, file_unique_id: thumb.file_unique_id, width: 90, height: 60, file_size: thumb.size },
          { file_id: f.file_id, file_unique_id: f.file_unique_id, width: 1280, height: 853, ...sizeOf(f) },
        ],
      };
    }
    if (input.voice) {
      const f = addFile(input.voice);
      return { voice: { file_id: f.file_id, file_unique_id: f.file_unique_id, duration: 3, mime_type: input.voice.mime_type ?? "audio/ogg", ...sizeOf(f) } };
    }
    if (input.document) {
      const f = addFile(input.document);
      const d = input.document;
      return {
        document: {
          file_id: f.file_id,
          file_unique_id: f.file_unique_id,
          ...(d.file_name ? { file_name: d.file_name } : {}),
          ...(d.mime_type ? { mime_type: d.mime_type } : {}),
          ...sizeOf(f),
        },
      };
    }
    return {};
  };

  // --- HTTP ---------------------------------------------------------------------------------------------------

  const server = createServer((req, res) => {
    void serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${String(err)}` });
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", apiRoot);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);

    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (download) return serveDownload(res, download[1] ?? "", decodeURIComponent(download[2] ?? ""));

    const call = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!call) return reply(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const bot = bots.get(call[1] ?? "");
    if (!bot) return reply(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const method = call[2] ?? "";
    try {
      const failure = failures.get(method);
      if (failure && failure.remaining > 0) {
        failure.remaining -= 1;
        const text = failure.description ?? DESCRIPTIONS[failure.status] ?? `Error ${failure.status}`;
        throw new ApiFailure(failure.status, text.replace("{s}", String(failure.retryAfter ?? 1)), failure.retryAfter);
      }
      const { params, files: uploads } = parseParams(url, req.headers["content-type"] ?? "", body);
      if (method === "getUpdates") return await serveGetUpdates(bot, params, res);
      return reply(res, 200, { ok: true, result: callMethod(bot, method, params, uploads) });
    } catch (err) {
      if (!(err instanceof ApiFailure)) throw err;
      const parameters = err.retryAfter !== undefined ? { parameters: { retry_after: err.retryAfter } } : {};
      return reply(res, err.status, { ok: false, error_code: err.status, description: err.message, ...parameters });
    }
  }

  function serveDownload(res: ServerResponse, token: string, path: string): void {
    if (!bots.has(token)) return reply(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const file = [...files.values()].find((f) => f.file_path === path);
    if (!file) return reply(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    res.statusCode = 200;
    res.setHeader("content-type", "application/octet-stream");
    if (!file.hideSize) res.setHeader("content-length", String(file.bytes.length));
    // Two writes, so a reader that stops early really stops mid-body.
    const half = Math.floor(file.bytes.length / 2);
    res.write(file.bytes.subarray(0, half));
    res.end(file.bytes.subarray(half));
  }

  async function serveGetUpdates(bot: BotState, params: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const offset = params["offset"] !== undefined ? Number(params["offset"]) : undefined;
    const timeout = Number(params["timeout"] ?? 0);
    const limit = Number(params["limit"] ?? 100);
    const allowed = Array.isArray(params["allowed_updates"]) ? (params["allowed_updates"] as string[]) : undefined;
    bot.polls.push({ offset, timeout });
    if (bot.webhook) {
      throw new ApiFailure(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    // Another poll of the same bot gets 409, as when two instances run with one token.
    bot.waiter?.terminate();
    if (offset !== undefined && offset > 0) bot.updates = bot.updates.filter((u) => u.update_id >= offset);
    if (allowed && allowed.length > 0) bot.updates = bot.updates.filter((u) => allowed.some((kind) => kind in u));

    if (bot.updates.length === 0 && timeout > 0) {
      const outcome = await new Promise<"wake" | "timeout" | "closed" | "terminated">((settle) => {
        const timer = setTimeout(() => done("timeout"), timeout * 1000);
        const onClose = (): void => done("closed");
        const waiter: Waiter = { wake: () => done("wake"), terminate: () => done("terminated") };
        function done(how: "wake" | "timeout" | "closed" | "terminated"): void {
          clearTimeout(timer);
          res.off("close", onClose);
          if (bot.waiter === waiter) bot.waiter = undefined;
          settle(how);
        }
        bot.waiter = waiter;
        res.on("close", onClose);
      });
      if (outcome === "closed") return;
      if (outcome === "terminated") throw new ApiFailure(409, DESCRIPTIONS[409] ?? "Conflict");
      if (allowed && allowed.length > 0) bot.updates = bot.updates.filter((u) => allowed.some((kind) => kind in u));
    }
    reply(res, 200, { ok: true, result: bot.updates.slice(0, limit) });
  }

  function callMethod(bot: BotState, method: string, p: Record<string, unknown>, uploads: Record<string, UploadedPart>): unknown {
    switch (method) {
      case "getMe":
        return { ...bot.user, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
      case "setWebhook": {
        const url = String(p["url"] ?? "");
        if (url === "") bot.webhook = undefined;
        else {
          const secret = p["secret_token"] !== undefined ? String(p["secret_token"]) : undefined;
          const allowed = Array.isArray(p["allowed_updates"]) ? (p["allowed_updates"] as string[]) : undefined;
          bot.webhook = { url, ...(secret !== undefined ? { secret_token: secret } : {}), ...(allowed ? { allowed_updates: allowed } : {}) };
        }
        if (p["drop_pending_updates"] === true || p["drop_pending_updates"] === "true") bot.updates = [];
        return true;
      }
      case "deleteWebhook":
        bot.webhook = undefined;
        if (p["drop_pending_updates"] === true || p["drop_pending_updates"] === "true") bot.updates = [];
        return true;
      case "getWebhookInfo":
        return { url: bot.webhook?.url ?? "", has_custom_certificate: false, pending_update_count: bot.updates.length };
      case "sendMessage":
        return sendMessage(bot, p);
      case "editMessageText":
        return editMessageText(bot, p);
      case "sendChatAction": {
        const chat = chatOf(bot, p);
        chatActions.push({ token: bot.spec.token, chat_id: String(chat.id), action: String(p["action"] ?? ""), ...threadOf(p) });
        return true;
      }
      case "getFile": {
        const file = files.get(String(p["file_id"] ?? ""));
        if (!file) throw new ApiFailure(400, "Bad Request: invalid file_id");
        return { file_id: file.file_id, file_unique_id: file.file_unique_id, ...sizeOf(file), file_path: file.file_path };
      }
      default:
        if (method in UPLOAD_FIELDS) return sendMedia(bot, method, p, uploads);
        throw new ApiFailure(404, "Not Found");
    }
  }

  function chatOf(bot: BotState, p: Record<string, unknown>): Chat {
    const chat = bot.chats.get(String(p["chat_id"] ?? ""));
    if (!chat) throw new ApiFailure(400, "Bad Request: chat not found");
    return chat;
  }

  function threadOf(p: Record<string, unknown>): { message_thread_id?: number } {
    return p["message_thread_id"] !== undefined ? { message_thread_id: Number(p["message_thread_id"]) } : {};
  }

  /** Visible text after parse_mode, or the 400 Telegram answers. */
  function visibleText(raw: string, parseMode: unknown): string {
    if (parseMode === "HTML") {
      const parsed = parseTelegramHtml(raw);
      if (!parsed.ok) throw new ApiFailure(400, `Bad Request: can't parse entities: ${parsed.reason}`);
      return parsed.text;
    }
    if (parseMode !== undefined) throw new ApiFailure(400, `Bad Request: unsupported parse_mode in the fake: ${String(parseMode)}`);
    return raw;
  }

  function replyTarget(bot: BotState, chat: Chat, p: Record<string, unknown>): { reply_to_message?: Message; reply_to_message_id?: number } {
    const params = (p["reply_parameters"] ?? {}) as { message_id?: number; allow_sending_without_reply?: boolean };
    const id = params.message_id ?? (p["reply_to_message_id"] !== undefined ? Number(p["reply_to_message_id"]) : undefined);
    if (id === undefined) return {};
    const target = bot.messages.get(String(chat.id))?.get(Number(id));
    if (!target && params.allow_sending_without_reply !== true) throw new ApiFailure(400, "Bad Request: message to be replied not found");
    return { ...(target ? { reply_to_message: target } : {}), reply_to_message_id: Number(id) };
  }

  function record(r: SentRecord): void {
    sent.push(r);
    for (const wake of sentWaiters) wake();
  }

  function sendMessage(bot: BotState, p: Record<string, unknown>): Message {
    const chat = chatOf(bot, p);
    const raw = String(p["text"] ?? "");
    if (raw.trim() === "") throw new ApiFailure(400, "Bad Request: message text is empty");
    const text = visibleText(raw, p["parse_mode"]);
    if (text.length > MAX_TEXT) throw new ApiFailure(400, "Bad Request: message is too long");
    const { reply_to_message, reply_to_message_id } = replyTarget(bot, chat, p);
    const thread = threadOf(p);
    const message = storeMessage(bot, String(chat.id), (message_id) =>
      ({
        message_id, date: nowSec(), chat, from: bot.user, text,
        ...(reply_to_message ? { reply_to_message } : {}),
        ...(thread.message_thread_id !== undefined ? { ...thread, is_topic_message: true } : {}),
      }) as unknown as Message);
    record({
      token: bot.spec.token, method: "sendMessage", chat_id: String(chat.id), text: raw,
      ...(p["parse_mode"] !== undefined ? { parse_mode: String(p["parse_mode"]) } : {}),
      ...(reply_to_message_id !== undefined ? { reply_to_message_id } : {}), ...thread, message,
    });
    return message;
  }

  function editMessageText(bot: BotState, p: Record<string, unknown>): Message {
    const chat = chatOf(bot, p);
    const stored = bot.messages.get(String(chat.id))?.get(Number(p["message_id"]));
    if (!stored) throw new ApiFailure(400, "Bad Request: message to edit not found");
    const raw = String(p["text"] ?? "");
    const text = visibleText(raw, p["parse_mode"]);
    if (stored.text === text) throw new ApiFailure(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
    const message = { ...stored, text, edit_date: nowSec() } as Message;
    bot.messages.get(String(chat.id))?.set(message.message_id, message);
    record({
      token: bot.spec.token, method: "editMessageText", chat_id: String(chat.id), text: raw,
      ...(p["parse_mode"] !== undefined ? { parse_mode: String(p["parse_mode"]) } : {}), message,
    });
    return message;
  }

  function sendMedia(bot: BotState, method: string, p: Record<string, unknown>, uploads: Record<string, UploadedPart>): Message {
    const field = UPLOAD_FIELDS[method] ?? "document";
    const chat = chatOf(bot, p);
    const value = p[field];
    const attached = typeof value === "string" && value.startsWith("attach://") ? uploads[value.slice("attach://".length)] : uploads[field];
    const known = typeof value === "string" ? files.get(value) : undefined;
    if (!attached && !known) throw new ApiFailure(400, `Bad Request: there is no ${field} in the request`);
    const rawCaption = p["caption"] !== undefined ? String(p["caption"]) : undefined;
    const caption = rawCaption !== undefined ? visibleText(rawCaption, p["parse_mode"]) : undefined;
    if (caption !== undefined && caption.length > MAX_CAPTION) throw new ApiFailure(400, "Bad Request: message caption is too long");
    const stored = known ?? addFile({ bytes: attached?.bytes ?? Buffer.alloc(0), file_name: attached?.filename });
    const { reply_to_message, reply_to_message_id } = replyTarget(bot, chat, p);
    const thread = threadOf(p);
    const fileRef = { file_id: stored.file_id, file_unique_id: stored.file_unique_id, file_size: stored.bytes.length };
    const media = field === "photo" ? { photo: [{ ...fileRef, width: 800, height: 600 }] } : { [field]: { ...fileRef, ...(attached ? { file_name: attached.filename } : {}) } };
    const message = storeMessage(bot, String(chat.id), (message_id) =>
      ({
        message_id, date: nowSec(), chat, from: bot.user, ...media,
        ...(caption !== undefined ? { caption } : {}),
        ...(reply_to_message ? { reply_to_message } : {}),
        ...(thread.message_thread_id !== undefined ? { ...thread, is_topic_message: true } : {}),
      }) as unknown as Message);
    record({
      token: bot.spec.token, method, chat_id: String(chat.id),
      ...(rawCaption !== undefined ? { caption: rawCaption } : {}),
      ...(p["parse_mode"] !== undefined ? { parse_mode: String(p["parse_mode"]) } : {}),
      ...(reply_to_message_id !== undefined ? { reply_to_message_id } : {}), ...thread, message,
      ...(attached ? { file: { field, name: attached.filename, bytes: attached.bytes } } : {}),
    });
    return message;
  }

  // --- test API -----------------------------------------------------------------------------------------------

  const first = [...bots.values()][0]?.spec ?? DEFAULT_BOT;
  const withExtra = (token: string, base: InjectInput, extra?: Partial<InjectInput>): { update: Update; message: Message } =>
    injectMessage(token, { ...base, ...extra });

  return {
    apiRoot,
    token: first.token,
    bot: first,
    addBot,
    injectMessage,
    injectUpdate: (token, update) => queue(botOf(token), update),
    dmFrom: (token, user, text, extra) => withExtra(token, { chat: { id: user.id, type: "private" }, from: user, text }, extra),
    groupMessage: (token, chat, from, text, extra) => withExtra(token, { chat, from, text }, extra),
    groupMention: (token, chat, from, text, extra) => {
      const handle = `@${botOf(token).spec.username}`;
      return withExtra(token, { chat, from, text: `${handle} ${text}`, entities: [{ type: "mention", offset: 0, length: handle.length }] }, extra);
    },
    addChat: (token, chat) => void rememberChat(botOf(token), chat),
    addFile: (input) => {
      const f = addFile(input);
      return { file_id: f.file_id, file_unique_id: f.file_unique_id, ...sizeOf(f), file_path: f.file_path };
    },
    sent,
    chatActions,
    typingCount: (chatId) => chatActions.filter((a) => a.action === "typing" && (chatId === undefined || a.chat_id === String(chatId))).length,
    failNext: (method, count, status, retryAfter, description) =>
      void failures.set(method, { remaining: count, status, ...(retryAfter !== undefined ? { retryAfter } : {}), ...(description !== undefined ? { description } : {}) }),
    waitForSent: (n, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (sent.length < n) return;
          sentWaiters.delete(check);
          clearTimeout(timer);
          resolve(sent);
        };
        const timer = setTimeout(() => {
          sentWaiters.delete(check);
          reject(new Error(`fake telegram: ${sent.length} of ${n} messages sent within ${timeoutMs} ms: ${JSON.stringify(sent.map((s) => s.text ?? s.caption))}`));
        }, timeoutMs);
        sentWaiters.add(check);
        check();
      }),
    pendingUpdates: (token) => [...botOf(token).updates],
    polls: (token) => [...botOf(token).polls],
    webhookOf: (token) => botOf(token).webhook,
    webhookRequest: (token, update, o = {}) => {
      const hook = botOf(token).webhook;
      const secret = o.secret === undefined ? hook?.secret_token : o.secret;
      const headers: Record<string, string> = { "content-type": o.contentType ?? "application/json" };
      if (secret !== null && secret !== undefined) headers["x-telegram-bot-api-secret-token"] = secret;
      return new Request(o.url ?? hook?.url ?? "http://127.0.0.1/webhook", {
        method: "POST",
        headers,
        body: typeof update === "string" ? update : JSON.stringify(update),
      });
    },
    close: async () => {
      for (const bot of bots.values()) bot.waiter?.terminate();
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}

function extensionOf(input: FakeFileInput): string {
  const name = input.file_name ?? "";
  const dot = name.lastIndexOf(".");
  if (dot > 0) return name.slice(dot);
  if (input.mime_type?.startsWith("audio/ogg")) return ".oga";
  if (input.mime_type?.startsWith("image/")) return ".jpg";
  return ".dat";
}
