// discord.js Message → InboundMessage: the one place Discord's message shape becomes Pincer's. Pure: the caller
// fetches what is missing (thread parent, referenced message, the bot's role) first; filtering own/system messages
// is the caller's too.
import { MessageReferenceType } from "discord.js";
import type { Attachment, Message } from "discord.js";
import type { InboundMedia, InboundMessage } from "../../core/inbound.ts";

export interface DiscordInboundInput {
  message: Message;
  account: string;
  /** The bot's own user id and name (for mentions and fromBot). */
  botId: string;
  botName: string;
  /** The bot's managed role in the message's guild: mentioning that role mentions the bot. */
  botRoleId?: string;
  /** The message `message` replies to, when known. */
  referenced?: Message;
}

/** Maps one Discord message. Contract: pure; snowflake ids are global, so `messageId` is the message id as is. */
export function toInbound(input: DiscordInboundInput): InboundMessage {
  const { message, botId } = input;
  const mentioned =
    message.mentions.users.has(botId) || (input.botRoleId !== undefined && message.mentions.roles.has(input.botRoleId));
  return {
    channel: "discord",
    account: input.account,
    messageId: message.id,
    ...chatOf(message),
    sender: {
      id: message.author.id,
      name: message.author.globalName ?? message.author.username,
      username: message.author.username,
      isBot: message.author.bot,
    },
    text: renderMentions(message, input),
    mentioned,
    replyTo: replyOf(input),
    media: message.attachments.map(toMedia),
    at: message.createdTimestamp,
  };
}

/** DM → dm (chat id = DM channel id); guild channel → group; a thread → its parent channel plus `threadId`. */
function chatOf(message: Message): Pick<InboundMessage, "chat" | "threadId"> {
  const channel = message.channel;
  if (channel.isDMBased()) return { chat: { kind: "dm", id: channel.id } };
  if (channel.isThread()) {
    const parentName = channel.parent?.name;
    return {
      chat: { kind: "group", id: channel.parentId ?? channel.id, title: parentName ? `#${parentName}` : undefined },
      threadId: channel.id,
    };
  }
  return { chat: { kind: "group", id: channel.id, title: "name" in channel && channel.name ? `#${channel.name}` : undefined } };
}

/** Forwards also carry a reference; only a reply (type Default) counts. */
function replyOf(input: DiscordInboundInput): InboundMessage["replyTo"] {
  const ref = input.message.reference;
  if (!ref?.messageId || ref.type !== MessageReferenceType.Default) return undefined;
  const referenced = input.referenced?.id === ref.messageId ? input.referenced : undefined;
  return {
    messageId: ref.messageId,
    fromBot: referenced?.author.id === input.botId,
    text: referenced?.content || undefined,
  };
}

/** `<@id>`, `<@&id>`, `<#id>` → readable names; the bot's own mention becomes `@<botname>`. */
function renderMentions(message: Message, input: DiscordInboundInput): string {
  return message.content.replace(/<(@!?|@&|#)(\d+)>/g, (whole, kind: string, id: string) => {
    if (kind === "@&") {
      const role = message.mentions.roles.get(id);
      return id === input.botRoleId ? `@${input.botName}` : role ? `@${role.name}` : whole;
    }
    if (kind === "#") {
      const channel = message.mentions.channels.get(id);
      return channel && "name" in channel && channel.name ? `#${channel.name}` : whole;
    }
    if (id === input.botId) return `@${input.botName}`;
    const user = message.mentions.users.get(id);
    return user ? `@${user.username}` : whole;
  });
}

function toMedia(attachment: Attachment): InboundMedia {
  return {
    kind: kindOf(attachment.contentType),
    ref: attachment.url,
    mimeType: attachment.contentType ?? undefined,
    fileName: attachment.name,
    sizeBytes: attachment.size,
  };
}

function kindOf(contentType: string | null): InboundMedia["kind"] {
  const type = contentType?.split(";")[0]?.trim() ?? "";
  if (type.startsWith("image/")) return "image";
  if (type.startsWith("audio/")) return "audio";
  if (type.startsWith("video/")) return "video";
  return "file";
}
