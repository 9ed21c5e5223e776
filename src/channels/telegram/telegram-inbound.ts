// Pure mapping of a Bot API Update to an InboundMessage: chat kind, forum topic, sender, mention of this bot,
// reply-to, media. Says nothing about access rules (ingress decides) and fetches nothing.
import type { Message, MessageEntity, Update, User } from "grammy/types";
import type { InboundMedia, InboundMessage } from "../../core/inbound.ts";

export interface InboundContext {
  /** The key under channels.telegram.accounts. */
  account: string;
  /** This bot's user id and username (from getMe). */
  botId: number;
  botUsername: string;
}

/** The update kinds the adapter asks Telegram for (getUpdates / setWebhook `allowed_updates`). */
export const ALLOWED_UPDATES = ["message"] as const;

/** Maps one update to an InboundMessage, or undefined when there is nothing to deliver: not a new message,
 * sent by this bot, or a service message with neither text nor media. */
export function toInbound(update: Update, ctx: InboundContext): InboundMessage | undefined {
  const message = update.message;
  if (!message) return undefined;
  if (message.from?.id === ctx.botId) return undefined;

  const text = message.text ?? message.caption ?? "";
  const media = mediaOf(message);
  if (text === "" && media.length === 0) return undefined;

  const chatId = String(message.chat.id);
  const isDm = message.chat.type === "private";
  const title = "title" in message.chat ? message.chat.title : undefined;
  return {
    channel: "telegram",
    account: ctx.account,
    messageId: `${chatId}:${message.message_id}`,
    chat: { kind: isDm ? "dm" : "group", id: chatId, ...(title !== undefined ? { title } : {}) },
    ...(message.is_topic_message && message.message_thread_id !== undefined ? { threadId: String(message.message_thread_id) } : {}),
    sender: senderOf(message),
    text,
    mentioned: mentionsBot(text, message.entities ?? message.caption_entities ?? [], ctx),
    ...replyToOf(message, ctx.botId),
    media,
    at: message.date * 1000,
  };
}

function senderOf(message: Message): InboundMessage["sender"] {
  const from: User | undefined = message.from;
  if (from) {
    const name = [from.first_name, from.last_name].filter(Boolean).join(" ");
    return { id: String(from.id), ...(name ? { name } : {}), ...(from.username ? { username: from.username } : {}), isBot: from.is_bot };
  }
  // Anonymous group admins and linked channels post as a chat.
  const chat = message.sender_chat ?? message.chat;
  const title = "title" in chat ? chat.title : undefined;
  return { id: String(chat.id), ...(title ? { name: title } : {}), isBot: false };
}

/** A `mention` of @botusername, a `text_mention` of the bot's id, or a `/command@botusername`. */
export function mentionsBot(text: string, entities: readonly MessageEntity[], ctx: Pick<InboundContext, "botId" | "botUsername">): boolean {
  const handle = `@${ctx.botUsername}`.toLowerCase();
  return entities.some((e) => {
    // Offsets and lengths are UTF-16 code units, as JavaScript strings index.
    const part = text.slice(e.offset, e.offset + e.length).toLowerCase();
    if (e.type === "mention") return part === handle;
    if (e.type === "text_mention") return e.user.id === ctx.botId;
    if (e.type === "bot_command") return part.endsWith(handle);
    return false;
  });
}

function replyToOf(message: Message, botId: number): Pick<InboundMessage, "replyTo"> {
  const reply = message.reply_to_message;
  if (!reply) return {};
  // In forum topics every message "replies" to the topic's creation message unless the user replied to another.
  if (reply.forum_topic_created !== undefined) return {};
  const text = reply.text ?? reply.caption;
  return {
    replyTo: {
      messageId: `${message.chat.id}:${reply.message_id}`,
      fromBot: reply.from?.id === botId,
      ...(text !== undefined ? { text } : {}),
    },
  };
}

function mediaOf(message: Message): InboundMedia[] {
  const size = (n: number | undefined): { sizeBytes?: number } => (n !== undefined ? { sizeBytes: n } : {});
  const named = (n: string | undefined): { fileName?: string } => (n !== undefined ? { fileName: n } : {});
  const mime = (m: string | undefined): { mimeType?: string } => (m !== undefined ? { mimeType: m } : {});

  if (message.photo && message.photo.length > 0) {
    const largest = message.photo.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    // Telegram re-encodes photos as JPEG.
    return [{ kind: "image", ref: largest.file_id, mimeType: "image/jpeg", ...size(largest.file_size) }];
  }
  if (message.voice) return [{ kind: "audio", ref: message.voice.file_id, ...mime(message.voice.mime_type ?? "audio/ogg"), ...size(message.voice.file_size) }];
  if (message.audio) {
    const a = message.audio;
    return [{ kind: "audio", ref: a.file_id, ...mime(a.mime_type), ...named(a.file_name), ...size(a.file_size) }];
  }
  // An animation (GIF) also carries `document`: take it as the video it is.
  const video = message.video ?? message.animation;
  if (video) return [{ kind: "video", ref: video.file_id, ...mime(video.mime_type), ...named(video.file_name), ...size(video.file_size) }];
  if (message.video_note) return [{ kind: "video", ref: message.video_note.file_id, mimeType: "video/mp4", ...size(message.video_note.file_size) }];
  if (message.document) {
    const d = message.document;
    return [{ kind: "file", ref: d.file_id, ...mime(d.mime_type), ...named(d.file_name), ...size(d.file_size) }];
  }
  return [];
}
