// toInbound on hand-built Bot API updates: mention kinds, captions, forum topics, reply-to, media, and what is skipped.
import type { Message, Update } from "grammy/types";
import { describe, expect, it } from "vitest";
import { toInbound } from "./telegram-inbound.ts";

const CTX = { account: "default", botId: 111, botUsername: "Pincer_Bot" };
const ALICE = { id: 42, is_bot: false, first_name: "Alice" };
const GROUP = { id: -100777, type: "supergroup" as const, title: "Team" };

function update(message: Partial<Message> & Record<string, unknown>): Update {
  return { update_id: 1, message: { message_id: 10, date: 1_700_000_000, chat: GROUP, from: ALICE, ...message } as Message } as Update;
}

describe("toInbound", () => {
  it.each([
    ["a mention entity, any case", { text: "@pincer_bot hi", entities: [{ type: "mention", offset: 0, length: 11 }] }, true],
    ["someone else's mention", { text: "@other_bot hi", entities: [{ type: "mention", offset: 0, length: 10 }] }, false],
    ["a text_mention of the bot", { text: "Pincer hi", entities: [{ type: "text_mention", offset: 0, length: 6, user: { id: 111, is_bot: true, first_name: "P" } }] }, true],
    ["a command addressed to the bot", { text: "/help@Pincer_Bot", entities: [{ type: "bot_command", offset: 0, length: 16 }] }, true],
    ["a bare command", { text: "/help", entities: [{ type: "bot_command", offset: 0, length: 5 }] }, false],
    ["a caption mention", { caption: "see @PINCER_BOT", caption_entities: [{ type: "mention", offset: 4, length: 11 }], document: { file_id: "d", file_unique_id: "u" } }, true],
    ["a mention after an emoji (UTF-16 offsets)", { text: "👋 @pincer_bot", entities: [{ type: "mention", offset: 3, length: 11 }] }, true],
  ])("detects %s", (_name, fields, mentioned) => {
    expect(toInbound(update(fields as Partial<Message>), CTX)?.mentioned).toBe(mentioned);
  });

  it("takes the caption as text and the largest photo", () => {
    const msg = toInbound(
      update({
        caption: "sunset",
        photo: [
          { file_id: "small", file_unique_id: "s", width: 90, height: 60, file_size: 900 },
          { file_id: "big", file_unique_id: "b", width: 1280, height: 853, file_size: 90_000 },
          { file_id: "mid", file_unique_id: "m", width: 320, height: 213 },
        ],
      }),
      CTX,
    );
    expect(msg?.text).toBe("sunset");
    expect(msg?.media).toEqual([{ kind: "image", ref: "big", mimeType: "image/jpeg", sizeBytes: 90_000 }]);
  });

  it("maps voice, audio, animation and documents", () => {
    const media = (fields: Record<string, unknown>) => toInbound(update(fields), CTX)?.media;
    expect(media({ voice: { file_id: "v", file_unique_id: "u", duration: 2 } })).toEqual([{ kind: "audio", ref: "v", mimeType: "audio/ogg" }]);
    expect(media({ audio: { file_id: "a", file_unique_id: "u", duration: 2, file_name: "song.mp3", mime_type: "audio/mpeg", file_size: 5 } })).toEqual([
      { kind: "audio", ref: "a", mimeType: "audio/mpeg", fileName: "song.mp3", sizeBytes: 5 },
    ]);
    const gif = { file_id: "g", file_unique_id: "u", width: 1, height: 1, duration: 1, mime_type: "video/mp4" };
    expect(media({ animation: gif, document: { file_id: "g", file_unique_id: "u" } })).toEqual([{ kind: "video", ref: "g", mimeType: "video/mp4" }]);
    expect(media({ document: { file_id: "d", file_unique_id: "u", file_name: "a.pdf", mime_type: "application/pdf", file_size: 7 } })).toEqual([
      { kind: "file", ref: "d", mimeType: "application/pdf", fileName: "a.pdf", sizeBytes: 7 },
    ]);
  });

  it("maps forum topics, and ignores the topic-creation message as a reply target", () => {
    const created = { message_id: 5, date: 1, chat: GROUP, forum_topic_created: { name: "Ops", icon_color: 1 } };
    const msg = toInbound(update({ text: "in topic", message_thread_id: 5, is_topic_message: true, reply_to_message: created as never }), CTX);
    expect(msg?.threadId).toBe("5");
    expect(msg?.replyTo).toBeUndefined();
    // A reply in a non-forum group also carries message_thread_id, but it is no topic.
    const plainReply = toInbound(update({ text: "re", message_thread_id: 9, reply_to_message: { message_id: 9, date: 1, chat: GROUP, from: ALICE, text: "orig" } as never }), CTX);
    expect(plainReply?.threadId).toBeUndefined();
    expect(plainReply?.replyTo).toEqual({ messageId: "-100777:9", fromBot: false, text: "orig" });
  });

  it("names anonymous admins by their chat", () => {
    const msg = toInbound(update({ text: "hi", from: undefined, sender_chat: { id: -100777, type: "supergroup", title: "Team" } as never }), CTX);
    expect(msg?.sender).toEqual({ id: "-100777", name: "Team", isBot: false });
  });

  it("skips the bot's own messages, edits, and service messages", () => {
    expect(toInbound(update({ text: "mine", from: { id: 111, is_bot: true, first_name: "P" } }), CTX)).toBeUndefined();
    expect(toInbound({ update_id: 2, edited_message: { message_id: 1, date: 1, chat: GROUP, text: "x" } } as Update, CTX)).toBeUndefined();
    expect(toInbound(update({ new_chat_members: [ALICE] } as never), CTX)).toBeUndefined();
  });
});
