// Pure: a Slack Events API body, checked with a zod schema of every field the mapping reads → the InboundMessage
// ingress journals, or nothing when it is not a user message this adapter delivers (edits, deletions, joins, our own
// posts, other event types), or the problem when it is wrongly shaped. No Web API calls: names come in via ctx.
import { z } from "zod";
import type { InboundMedia, InboundMessage } from "../../core/inbound.ts";

const slackFileSchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  title: z.string().optional(),
  mimetype: z.string().optional(),
  size: z.number().optional(),
  url_private: z.string().optional(),
  url_private_download: z.string().optional(),
});
export type SlackFile = z.infer<typeof slackFileSchema>;

/** A `message` or `app_mention` event as Slack sends it (vendor spelling): every field the mapping reads. */
const messageEventSchema = z.object({
  type: z.enum(["message", "app_mention"]),
  subtype: z.string().optional(),
  channel: z.string(),
  channel_type: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  username: z.string().optional(),
  bot_profile: z.object({ name: z.string().optional() }).optional(),
  text: z.string().optional(),
  ts: z.string(),
  thread_ts: z.string().optional(),
  parent_user_id: z.string().optional(),
  files: z.array(slackFileSchema).optional(),
});
export type SlackMessageEvent = z.infer<typeof messageEventSchema>;

/** The bot's own identity, from auth.test. */
export interface SlackSelf {
  userId: string;
  botId?: string;
  name: string;
}

export interface SlackInboundContext {
  account: string;
  self: SlackSelf;
  /** Display names by user id (sender, mentioned users), as far as they are known. */
  userNames?: ReadonlyMap<string, string>;
  /** The sender's handle (users.info `name`). */
  senderUsername?: string;
  /** `#general` for channels, when known. */
  chatTitle?: string;
}

// Plain messages, files, "also send to channel" thread replies, and other apps' posts (ingress' allow_bots decides on
// those). Everything else (message_changed, message_deleted, channel_join, …) is not something a user said to us.
const DELIVERED_SUBTYPES = new Set<string | undefined>([undefined, "file_share", "thread_broadcast", "bot_message"]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export type MessageEventRead =
  | { kind: "message"; event: SlackMessageEvent }
  | { kind: "ignored" }
  | { kind: "malformed"; problem: string };

/**
 * The message event inside an `event_callback` body when it is one to deliver; `ignored` for other events, subtypes
 * and the bot's own posts; `malformed` when the body or a message event to deliver has the wrong shape (the problem
 * names the field, never the content).
 */
export function readMessageEvent(body: unknown, self: SlackSelf): MessageEventRead {
  if (!isRecord(body) || body.type !== "event_callback" || !isRecord(body.event)) {
    return { kind: "malformed", problem: "not a Slack event_callback with an event object" };
  }
  const raw = body.event;
  if (raw.type !== "message" && raw.type !== "app_mention") return { kind: "ignored" };
  if (!DELIVERED_SUBTYPES.has(typeof raw.subtype === "string" ? raw.subtype : undefined)) return { kind: "ignored" };
  const parsed = messageEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: "malformed", problem: `Slack ${String(raw.type)} event: ${issue ? `event.${issue.path.join(".")}: ${issue.message}` : "invalid"}` };
  }
  const event = parsed.data;
  if (event.user === undefined && event.bot_id === undefined) return { kind: "ignored" };
  if (event.user === self.userId || (self.botId !== undefined && event.bot_id === self.botId)) return { kind: "ignored" };
  return { kind: "message", event };
}

/** im → dm; channel, group (private channel) and mpim → group. app_mention events carry no channel_type: DM ids
 * start with "D". */
export function chatKindOf(event: Pick<SlackMessageEvent, "channel" | "channel_type">): "dm" | "group" {
  if (event.channel_type !== undefined) return event.channel_type === "im" ? "dm" : "group";
  return event.channel.startsWith("D") ? "dm" : "group";
}

/** User ids written as `<@U…>` in a message, for name look-ups before mapping. */
export function mentionedUserIds(text: string): string[] {
  return [...new Set([...text.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)].map((m) => m[1] ?? ""))].filter(Boolean);
}

/**
 * Maps one message event. A channel message that @mentions the bot arrives twice, as `message` and as `app_mention`;
 * both map to the same messageId (`<channel>:<ts>`) with mentioned = true, so whichever arrives first is journaled and
 * the journal drops the other as a duplicate.
 */
export function toInbound(event: SlackMessageEvent, ctx: SlackInboundContext): InboundMessage {
  const raw = event.text ?? "";
  const threadId = event.thread_ts !== undefined && event.thread_ts !== event.ts ? event.thread_ts : undefined;
  const senderId = event.user ?? event.bot_id ?? "";
  const kind = chatKindOf(event);
  const name = ctx.userNames?.get(senderId) ?? event.username ?? event.bot_profile?.name;
  const msg: InboundMessage = {
    channel: "slack",
    account: ctx.account,
    messageId: `${event.channel}:${event.ts}`,
    chat: { kind, id: event.channel, ...(ctx.chatTitle ? { title: ctx.chatTitle } : {}) },
    sender: { id: senderId, ...(name ? { name } : {}), ...(ctx.senderUsername ? { username: ctx.senderUsername } : {}), isBot: event.bot_id !== undefined },
    text: toReadableText(raw, ctx),
    mentioned: event.type === "app_mention" || mentionedUserIds(raw).includes(ctx.self.userId),
    media: (event.files ?? []).flatMap(toMedia),
    at: Math.round(Number.parseFloat(event.ts) * 1000),
  };
  if (threadId) msg.threadId = threadId;
  // Slack has no reply-to; a reply in a thread answers the thread's parent. parent_user_id says cheaply whose it was.
  if (threadId && event.parent_user_id) {
    msg.replyTo = { messageId: `${event.channel}:${threadId}`, fromBot: event.parent_user_id === ctx.self.userId };
  }
  return msg;
}

function toMedia(file: SlackFile): InboundMedia[] {
  const ref = file.url_private_download ?? file.url_private;
  if (!ref) return []; // hidden_by_limit / tombstoned files carry no URL
  const mime = file.mimetype ?? "";
  const kind = mime.startsWith("image/") ? "image" : mime.startsWith("audio/") ? "audio" : mime.startsWith("video/") ? "video" : "file";
  const media: InboundMedia = { kind, ref };
  if (file.mimetype) media.mimeType = file.mimetype;
  if (file.name) media.fileName = file.name;
  if (file.size !== undefined) media.sizeBytes = file.size;
  return [media];
}

/** Slack markup → readable text: `<@U1>` → `@name`, `<#C1|general>` → `#general`, `<url|label>` → `label (url)`. */
export function toReadableText(text: string, ctx: Pick<SlackInboundContext, "self" | "userNames">): string {
  const replaced = text.replace(/<([^<>]+)>/g, (_, inner: string) => readableToken(inner, ctx));
  return replaced.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

function readableToken(inner: string, ctx: Pick<SlackInboundContext, "self" | "userNames">): string {
  const bar = inner.indexOf("|");
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? inner.slice(bar + 1) : undefined;
  if (target.startsWith("@")) {
    const id = target.slice(1);
    if (id === ctx.self.userId) return `@${ctx.self.name}`;
    return `@${label ?? ctx.userNames?.get(id) ?? id}`;
  }
  if (target.startsWith("#")) return `#${label ?? target.slice(1)}`;
  if (target.startsWith("!")) {
    const special = target.slice(1);
    if (special === "here" || special === "channel" || special === "everyone") return `@${special}`;
    if (label) return label; // <!subteam^S1|@team>, <!date^…|fallback>
    return `@${special.split("^")[0] ?? special}`;
  }
  const url = target;
  const bare = url.replace(/^mailto:/, "").replace(/^tel:/, "");
  if (!label || label === url || label === bare || label === url.replace(/^https?:\/\//, "")) return label ?? bare;
  return `${label} (${url})`;
}
