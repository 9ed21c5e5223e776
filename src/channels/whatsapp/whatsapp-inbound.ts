// Pure mapping of one Baileys WAMessage to an InboundMessage, or undefined for what is not a user message (our own,
// status broadcasts, reactions, protocol and poll updates, content without text or media). Group titles come later.
import { isJidBroadcast, isJidGroup, isJidNewsletter, jidDecode, jidNormalizedUser, normalizeMessageContent } from "baileys";
import type { proto, WAMessage } from "baileys";
import type { InboundMedia, InboundMessage } from "../../core/inbound.ts";

export interface InboundContext {
  account: string;
  /** Our own account: `id` `<phone>:<device>@s.whatsapp.net`, `lid` `<lid>:<device>@lid` when known. */
  me: { id: string; lid?: string };
  /** Used when the message carries no timestamp. */
  now: () => number;
}

/** Protobuf numbers arrive as number or Long. */
type NumberLike = number | { toNumber(): number } | null | undefined;

/** `${remoteJid}:${key.id}`: message ids are unique per chat only. */
export function messageIdOf(remoteJid: string, id: string): string {
  return `${remoteJid}:${id}`;
}

export function toInbound(msg: WAMessage, ctx: InboundContext): InboundMessage | undefined {
  const { key } = msg;
  const remoteJid = key.remoteJid;
  if (!remoteJid || !key.id || key.fromMe) return undefined;
  if (isJidBroadcast(remoteJid) || isJidNewsletter(remoteJid)) return undefined; // status@broadcast, lists, channels
  const content = normalizeMessageContent(msg.message);
  if (!content || content.protocolMessage || content.reactionMessage || content.pollUpdateMessage) return undefined;

  const group = isJidGroup(remoteJid) === true;
  const senderJid = group ? key.participant : remoteJid;
  if (!senderJid) return undefined;
  const text =
    content.conversation ??
    content.extendedTextMessage?.text ??
    content.imageMessage?.caption ??
    content.videoMessage?.caption ??
    content.documentMessage?.caption ??
    "";
  const media = mediaOf(content, messageIdOf(remoteJid, key.id));
  if (text === "" && media.length === 0) return undefined;

  const context = contextInfoOf(content);
  const ours = ownUsers(ctx.me);
  const isOurs = (jid: string | null | undefined): boolean => ours.has(jidDecode(jid ?? undefined)?.user ?? "");
  const seconds = toNumber(msg.messageTimestamp as NumberLike);
  const username = (group ? key.participantUsername : key.remoteJidUsername) ?? undefined;
  const inbound: InboundMessage = {
    channel: "whatsapp",
    account: ctx.account,
    messageId: messageIdOf(remoteJid, key.id),
    chat: { kind: group ? "group" : "dm", id: remoteJid },
    sender: {
      id: senderIdOf(senderJid, group ? key.participantAlt : key.remoteJidAlt),
      isBot: false,
      ...(msg.pushName ? { name: msg.pushName } : {}),
      ...(username ? { username } : {}),
    },
    text,
    mentioned: (context?.mentionedJid ?? []).some(isOurs),
    media,
    at: seconds !== undefined ? seconds * 1000 : ctx.now(),
  };
  if (context?.stanzaId) {
    const quotedText = textOf(context.quotedMessage);
    inbound.replyTo = {
      messageId: messageIdOf(remoteJid, context.stanzaId),
      fromBot: isOurs(context.participant),
      ...(quotedText ? { text: quotedText } : {}),
    };
  }
  return inbound;
}

/** A sender's id without device part, preferring the phone-number jid over a LID when Baileys knows both (keeps
 * allowlists and pairings stable when WhatsApp switches a chat to LID addressing). */
function senderIdOf(jid: string, alt: string | null | undefined): string {
  const preferred = jid.endsWith("@lid") && alt?.endsWith("@s.whatsapp.net") ? alt : jid;
  return jidNormalizedUser(preferred);
}

function ownUsers(me: InboundContext["me"]): Set<string> {
  const users = new Set<string>();
  for (const jid of [me.id, me.lid]) {
    const user = jidDecode(jid)?.user;
    if (user) users.add(user);
  }
  return users;
}

function textOf(content: proto.IMessage | null | undefined): string | undefined {
  const c = normalizeMessageContent(content);
  return (
    c?.conversation ?? c?.extendedTextMessage?.text ?? c?.imageMessage?.caption ?? c?.videoMessage?.caption ??
    c?.documentMessage?.caption ?? undefined
  );
}

function contextInfoOf(c: proto.IMessage): proto.IContextInfo | undefined {
  return (
    c.extendedTextMessage?.contextInfo ?? c.imageMessage?.contextInfo ?? c.videoMessage?.contextInfo ??
    c.audioMessage?.contextInfo ?? c.documentMessage?.contextInfo ?? c.stickerMessage?.contextInfo ?? undefined
  );
}

function mediaOf(c: proto.IMessage, ref: string): InboundMedia[] {
  const found: Array<[InboundMedia["kind"], proto.Message.IImageMessage | proto.Message.IAudioMessage | proto.Message.IVideoMessage | proto.Message.IDocumentMessage | null | undefined]> = [
    ["image", c.imageMessage],
    ["audio", c.audioMessage], // voice notes too (audioMessage.ptt)
    ["video", c.videoMessage],
    ["file", c.documentMessage],
  ];
  const media: InboundMedia[] = [];
  for (const [kind, m] of found) {
    if (!m) continue;
    const item: InboundMedia = { kind, ref };
    if (m.mimetype) item.mimeType = m.mimetype;
    const fileName = "fileName" in m ? m.fileName : undefined;
    if (fileName) item.fileName = fileName;
    const size = toNumber(m.fileLength as NumberLike);
    if (size !== undefined) item.sizeBytes = size;
    media.push(item);
  }
  return media;
}

function toNumber(v: NumberLike): number | undefined {
  if (typeof v === "number") return v;
  if (v && typeof v.toNumber === "function") return v.toNumber();
  return undefined;
}
