// What a channel adapter hands to ingress (InboundMessage) and where a reply goes back to (ReplyRoute).
// Plain data, platform-neutral; each adapter maps its vendor payloads to and from these in exactly one place.

/** A file attached to an inbound message; the bytes stay on the platform until ingress fetches them. */
export interface InboundMedia {
  kind: "image" | "audio" | "video" | "file";
  /** The platform's reference for fetching the bytes (file_id, URL, message key). */
  ref: string;
  mimeType?: string;
  fileName?: string;
  /** As announced by the platform, when it says. */
  sizeBytes?: number;
}

export type InboundChatKind = "dm" | "group";

/** One message as a channel adapter saw it. */
export interface InboundMessage {
  /** `telegram`, `slack`, `discord`, `whatsapp`, … */
  channel: string;
  /** The receiving account: the key under `channels.<channel>.accounts`. */
  account: string;
  /** Unique per channel account (adapters prefix the chat id where the platform's ids are per chat). */
  messageId: string;
  chat: { kind: InboundChatKind; id: string; title?: string };
  /** Forum topic, Slack thread ts, Discord thread channel id; absent for the chat's main timeline. */
  threadId?: string;
  sender: { id: string; name?: string; username?: string; isBot: boolean };
  text: string;
  /** The bot was explicitly mentioned (platform mention entity / <@id>). Name patterns are checked by ingress. */
  mentioned: boolean;
  /** The message answers an earlier one; `fromBot` when that one was this bot's. */
  replyTo?: { messageId: string; fromBot: boolean; text?: string };
  media: InboundMedia[];
  at: number; // epoch ms
}

/** Where a run's reply is delivered: the chat (and thread) a message came from, and the message to answer. */
export interface ReplyRoute {
  channel: string;
  account: string;
  chatKind: InboundChatKind;
  chatId: string;
  threadId?: string;
  /** The platform message id that triggered the run (for reply-to threading). */
  messageId?: string;
  /** The sender of that message (for typing in DMs, `/whoami`, notices). */
  senderId?: string;
  /** That sender's username, when the platform has one (owners may be listed as `@name`). */
  senderUsername?: string;
}
