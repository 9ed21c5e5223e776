// The Telegram adapter (polling mode) against the fake Bot API: start/identity/auth, inbound mapping end to end,
// acknowledgement only after delivery, sending (HTML, replies, topics, fallback, media), errors, typing, media
// download, probe, and two bots on one fake.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Api } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTelegramFake } from "../../../test/fakes/telegram-api.ts";
import type { TelegramFake } from "../../../test/fakes/telegram-api.ts";
import { RecordingSink, eventually, makeTestChannel } from "../../../test/support/telegram.ts";
import type { TestChannelInput } from "../../../test/support/telegram.ts";
import { ChannelError } from "../../core/errors.ts";
import type { ReplyRoute } from "../../core/inbound.ts";
import { canFetchMedia, canProbe, canShowTyping, hasWebhook } from "../kit/channel.ts";
import type { TelegramChannel } from "./telegram-channel.ts";

const TOKEN = "111:TEST-token";
const ALICE = { id: 42, first_name: "Alice", last_name: "Liddell", username: "alice" };
const GROUP = { id: -1001234, type: "supergroup" as const, title: "Friends" };
const FORUM = { id: -1005555, type: "supergroup" as const, title: "Forum", is_forum: true };

let fake: TelegramFake;
let channels: TelegramChannel[];
let dir: string;

beforeEach(async () => {
  fake = await startTelegramFake({ bots: [{ token: TOKEN, id: 111, username: "pincer_test_bot" }] });
  channels = [];
  dir = await mkdtemp(join(tmpdir(), "tg-channel-"));
});
afterEach(async () => {
  await Promise.all(channels.map((c) => c.stop()));
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

function channel(input: Partial<TestChannelInput> = {}): TelegramChannel {
  const c = makeTestChannel({ token: TOKEN, apiRoot: fake.apiRoot, ...input });
  channels.push(c);
  return c;
}

async function started(input: Partial<TestChannelInput> = {}): Promise<{ ch: TelegramChannel; sink: RecordingSink }> {
  const ch = channel(input);
  const sink = new RecordingSink();
  await ch.start(sink);
  return { ch, sink };
}

async function rejection(p: Promise<unknown>): Promise<ChannelError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ChannelError);
  return err as ChannelError;
}

const dmRoute: ReplyRoute = { channel: "telegram", account: "default", chatKind: "dm", chatId: String(ALICE.id) };

describe("TelegramChannel start and stop", () => {
  it("connects, learns its identity, removes a webhook and exposes its capabilities", async () => {
    await new Api(TOKEN, { apiRoot: fake.apiRoot }).setWebhook("https://old.example.test/hook");
    const { ch } = await started();
    expect(ch.health()).toMatchObject({ state: "connected", identity: "@pincer_test_bot" });
    expect(fake.webhookOf(TOKEN)).toBeUndefined();
    expect([canShowTyping(ch), canFetchMedia(ch), canProbe(ch), hasWebhook(ch)]).toEqual([true, true, true, false]);
    expect(ch.textLimit).toBe(4096);
    expect(channel({ config: { text_chunk_limit: 1000 } }).textLimit).toBe(1000);
  });

  it("rejects a refused token with auth_failed and the fix", async () => {
    const ch = channel({ token: "999:revoked" });
    const err = await rejection(ch.start(new RecordingSink()));
    expect(err.code).toBe("auth_failed");
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(
      'telegram account "default" getMe: Telegram rejected the bot token (401 Unauthorized). Fix: create a new token with @BotFather ' +
        "(/mybots → API Token), then run 'pincer channels add telegram --token <token>'",
    );
    expect(ch.health()).toMatchObject({ state: "failed", detail: err.message });
  });

  it("retries start-up calls through 5xx before it resolves", async () => {
    fake.failNext("getMe", 2, 502);
    const { ch } = await started();
    expect(ch.health().state).toBe("connected");
  });

  it("stop() aborts the long poll, is idempotent, and no delivery starts afterwards", async () => {
    const { ch, sink } = await started({ options: { pollTimeoutSec: 25 } });
    await eventually(() => fake.polls(TOKEN).length > 0);
    const t0 = Date.now();
    await Promise.all([ch.stop(), ch.stop()]);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(ch.health().state).toBe("stopped");
    fake.dmFrom(TOKEN, ALICE, "too late");
    await new Promise((r) => setTimeout(r, 100));
    expect(sink.attempts).toBe(0);
    await ch.stop();
  });

  it("confirms the last delivered update to Telegram when stopping", async () => {
    const ch = channel();
    let stopping: Promise<void> | undefined;
    await ch.start({ reportMalformed: () => undefined, deliver: async () => void (stopping = ch.stop()) });
    const { update } = fake.dmFrom(TOKEN, ALICE, "last words");
    await eventually(() => stopping !== undefined);
    await stopping;
    expect(fake.pendingUpdates(TOKEN)).toEqual([]);
    expect(fake.polls(TOKEN).at(-1)).toEqual({ offset: update.update_id + 1, timeout: 0 });
  });
});

describe("TelegramChannel inbound", () => {
  it("maps a DM", async () => {
    const { sink } = await started();
    const { message } = fake.dmFrom(TOKEN, ALICE, "hello there");
    const [msg] = await sink.waitFor(1);
    expect(msg).toEqual({
      channel: "telegram",
      account: "default",
      messageId: `42:${message.message_id}`,
      chat: { kind: "dm", id: "42" },
      sender: { id: "42", name: "Alice Liddell", username: "alice", isBot: false },
      text: "hello there",
      mentioned: false,
      media: [],
      at: message.date * 1000,
    });
  });

  it("maps group messages, mentions and forum topics", async () => {
    const { sink } = await started();
    fake.groupMessage(TOKEN, GROUP, ALICE, "just chatting");
    fake.groupMention(TOKEN, GROUP, ALICE, "what's up?");
    fake.groupMessage(TOKEN, FORUM, ALICE, "in a topic", { message_thread_id: 77 });
    const [plain, mention, topic] = await sink.waitFor(3);
    expect(plain).toMatchObject({ chat: { kind: "group", id: "-1001234", title: "Friends" }, mentioned: false });
    expect(plain?.threadId).toBeUndefined();
    expect(mention).toMatchObject({ text: "@pincer_test_bot what's up?", mentioned: true });
    expect(topic).toMatchObject({ chat: { id: "-1005555" }, threadId: "77", messageId: expect.stringMatching(/^-1005555:\d+$/) });
  });

  it("marks a reply to the bot's own message and never delivers the bot's messages", async () => {
    const { ch, sink } = await started();
    fake.addChat(TOKEN, GROUP);
    const sent = await ch.send({ route: { ...dmRoute, chatKind: "group", chatId: String(GROUP.id) }, text: "I am the bot" });
    const botMessage = fake.sent[0]!.message;
    fake.injectMessage(TOKEN, { chat: GROUP, from: { id: 111, first_name: "Pincer", is_bot: true }, text: "echo of myself" });
    fake.groupMessage(TOKEN, GROUP, ALICE, "thanks!", { reply_to_message: botMessage });
    const [reply] = await sink.waitFor(1);
    expect(reply?.replyTo).toEqual({ messageId: sent.messageId, fromBot: true, text: "I am the bot" });
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.messages.map((m) => m.text)).toEqual(["thanks!"]);
  });

  it("acknowledges an update only after delivery: a refused one comes again", async () => {
    const { sink } = await started();
    sink.refuse = 1_000;
    const { update } = fake.dmFrom(TOKEN, ALICE, "keep me");
    await eventually(() => sink.attempts >= 3);
    expect(fake.pendingUpdates(TOKEN).map((u) => u.update_id)).toEqual([update.update_id]);
    expect(fake.polls(TOKEN).every((p) => (p.offset ?? 0) <= update.update_id)).toBe(true);
    sink.refuse = 0;
    const [msg] = await sink.waitFor(1);
    expect(msg?.text).toBe("keep me");
    await eventually(() => fake.pendingUpdates(TOKEN).length === 0);
    expect(sink.messages).toHaveLength(1);
  });

  it("delivers photos, voice and documents with fetchable media", async () => {
    const { ch, sink } = await started();
    const photo = new Uint8Array(Array.from({ length: 64 }, (_, i) => i));
    fake.injectMessage(TOKEN, { chat: { id: 42, type: "private" }, from: ALICE, caption: "look", photo: { bytes: photo } });
    fake.injectMessage(TOKEN, { chat: { id: 42, type: "private" }, from: ALICE, voice: { bytes: new Uint8Array([9, 9]) } });
    fake.injectMessage(TOKEN, {
      chat: { id: 42, type: "private" }, from: ALICE,
      document: { bytes: new Uint8Array(300), file_name: "notes.pdf", mime_type: "application/pdf", hideSize: true },
    });
    const [withPhoto, withVoice, withDoc] = await sink.waitFor(3);
    expect(withPhoto).toMatchObject({ text: "look", media: [{ kind: "image", mimeType: "image/jpeg", sizeBytes: 64 }] });
    expect(withVoice?.media[0]).toMatchObject({ kind: "audio", mimeType: "audio/ogg", sizeBytes: 2 });
    expect(withDoc?.media[0]).toMatchObject({ kind: "file", fileName: "notes.pdf", mimeType: "application/pdf" });

    const fetched = await ch.fetchMedia(withPhoto!.media[0]!, 1_000);
    expect(fetched).toMatchObject({ bytes: photo, mimeType: "image/jpeg" });
    expect(fetched.fileName).toMatch(/\.jpg$/);
    expect((await rejection(ch.fetchMedia(withPhoto!.media[0]!, 10))).code).toBe("too_large");
    // No size announced anywhere: the download stops once it passes the cap.
    expect((await rejection(ch.fetchMedia(withDoc!.media[0]!, 100))).code).toBe("too_large");
    expect((await ch.fetchMedia(withDoc!.media[0]!, 300)).bytes).toHaveLength(300);
  });
});

describe("TelegramChannel polling failures", () => {
  it("honours retry_after on 429 and reconnects after 5xx", async () => {
    fake.failNext("getUpdates", 1, 429, 1);
    const { ch, sink } = await started();
    await eventually(() => ch.health().state === "reconnecting");
    expect(ch.health().detail).toMatch(/rate limited by Telegram \(429\); retry after 1 s; retrying in 1 s$/);
    fake.dmFrom(TOKEN, ALICE, "after the pause");
    await sink.waitFor(1);
    expect(ch.health().state).toBe("connected");

    fake.failNext("getUpdates", 2, 500);
    fake.dmFrom(TOKEN, ALICE, "after 5xx");
    await sink.waitFor(2);
  });

  it("goes to failed with the fix on 409 (another poller) and on 401 (token revoked)", async () => {
    const first = await started();
    await eventually(() => fake.polls(TOKEN).length > 0);
    const second = await started({ account: "copy" });
    await eventually(() => first.ch.health().state === "failed");
    expect(first.ch.health().detail).toMatch(/terminated by other getUpdates request.*\(409\)\. Fix: stop the other process polling with this bot token/);
    expect(second.ch.health().state).toBe("connected");

    fake.failNext("getUpdates", 1, 401);
    fake.dmFrom(TOKEN, ALICE, "wakes the held poll");
    await eventually(() => second.ch.health().state === "failed");
    expect(second.ch.health().detail).toMatch(/Fix: create a new token with @BotFather.*--account copy --token/);
  });

  it("gives each of two bot accounts only its own updates", async () => {
    fake.addBot({ token: "222:OTHER", id: 222, username: "second_bot" });
    const one = await started({ account: "one" });
    const two = await started({ account: "two", token: "222:OTHER" });
    fake.dmFrom(TOKEN, ALICE, "to one");
    fake.dmFrom("222:OTHER", ALICE, "to two");
    const [a] = await one.sink.waitFor(1);
    const [b] = await two.sink.waitFor(1);
    await new Promise((r) => setTimeout(r, 50));
    expect([one.sink.messages.length, two.sink.messages.length]).toEqual([1, 1]);
    expect([a?.text, a?.account, b?.text, b?.account]).toEqual(["to one", "one", "to two", "two"]);
    expect(two.ch.health().identity).toBe("@second_bot");
  });
});

describe("TelegramChannel send", () => {
  beforeEach(() => {
    fake.addChat(TOKEN, { id: ALICE.id, type: "private" });
    fake.addChat(TOKEN, FORUM);
  });

  it("renders Markdown to HTML, replies in a forum topic and returns chat:message ids", async () => {
    const ch = channel();
    const { message } = fake.groupMessage(TOKEN, FORUM, ALICE, "question", { message_thread_id: 9 });
    const route: ReplyRoute = { ...dmRoute, chatKind: "group", chatId: String(FORUM.id), threadId: "9" };
    const sent = await ch.send({ route, text: "**Yes** & `no`", replyToMessageId: `${FORUM.id}:${message.message_id}` });
    expect(fake.sent[0]).toMatchObject({
      method: "sendMessage", chat_id: String(FORUM.id), text: "<b>Yes</b> &amp; <code>no</code>", parse_mode: "HTML",
      reply_to_message_id: message.message_id, message_thread_id: 9,
    });
    expect(sent.messageId).toBe(`${FORUM.id}:${fake.sent[0]!.message.message_id}`);
  });

  it("resends as plain text when Telegram cannot parse the markup", async () => {
    const ch = channel();
    fake.failNext("sendMessage", 1, 400, undefined, 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0');
    await ch.send({ route: dmRoute, text: "**hi**" });
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]?.text).toBe("**hi**");
    expect(fake.sent[0]?.parse_mode).toBeUndefined();
  });

  it("sends media with the text as caption", async () => {
    const ch = channel();
    const png = join(dir, "chart.png");
    await writeFile(png, Buffer.from([137, 80, 78, 71]));
    await ch.send({ route: dmRoute, text: "_the chart_", media: { kind: "image", path: png, fileName: "chart.png", mimeType: "image/png" } });
    await ch.send({ route: dmRoute, text: "", media: { kind: "file", path: png, fileName: "raw.bin", mimeType: "application/octet-stream" } });
    expect(fake.sent.map((s) => [s.method, s.caption, s.parse_mode, s.file?.name])).toEqual([
      ["sendPhoto", "<i>the chart</i>", "HTML", "chart.png"],
      ["sendDocument", undefined, undefined, "raw.bin"],
    ]);
    expect(fake.sent[0]?.file?.bytes).toEqual(Buffer.from([137, 80, 78, 71]));
    const missing = await rejection(ch.send({ route: dmRoute, text: "", media: { kind: "file", path: join(dir, "nope"), fileName: "nope", mimeType: "text/plain" } }));
    expect(missing.code).toBe("bad_request");
  });

  it("maps 5xx, 429 and 403 to ChannelError codes without double-sending", async () => {
    const ch = channel();
    fake.failNext("sendMessage", 1, 500);
    const down = await rejection(ch.send({ route: dmRoute, text: "a" }));
    expect([down.code, down.retryable, down.status]).toEqual(["unavailable", true, 500]);
    fake.failNext("sendMessage", 1, 429, 7);
    const limited = await rejection(ch.send({ route: dmRoute, text: "b" }));
    expect([limited.code, limited.retryable, limited.retryAfterMs]).toEqual(["rate_limited", true, 7_000]);
    fake.failNext("sendMessage", 1, 403);
    const blocked = await rejection(ch.send({ route: dmRoute, text: "c" }));
    expect([blocked.code, blocked.retryable]).toEqual(["forbidden", false]);
    expect(fake.sent).toHaveLength(0);
    expect((await rejection(ch.send({ route: { ...dmRoute, chatId: "-77" }, text: "d" }))).code).toBe("not_found");
  });

  it("shows typing in a chat and topic", async () => {
    const ch = channel();
    await ch.sendTyping({ ...dmRoute, chatKind: "group", chatId: String(FORUM.id), threadId: "9" });
    expect(fake.chatActions).toEqual([{ token: TOKEN, chat_id: String(FORUM.id), action: "typing", message_thread_id: 9 }]);
    expect(fake.typingCount(FORUM.id)).toBe(1);
  });
});

describe("TelegramChannel probe and secrets", () => {
  it("probes the token without starting", async () => {
    expect(await channel().probe()).toMatchObject({ ok: true, identity: "@pincer_test_bot" });
    const bad = await channel({ token: "999:bad" }).probe();
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(/rejected the bot token \(401 Unauthorized\)\. Fix: create a new token with @BotFather/);
  });

  it("never puts the token in an error when the API is unreachable", async () => {
    const secret = "123456:VERY-secret-token";
    const ch = channel({ token: secret, apiRoot: "http://127.0.0.1:9" });
    const probe = await ch.probe();
    expect(probe.ok).toBe(false);
    expect(probe.detail).not.toContain("VERY-secret");
    const err = await rejection(ch.send({ route: dmRoute, text: "x" }));
    expect([err.code, err.retryable]).toEqual(["network", true]);
    expect(`${err.message} ${String((err.cause as Error).message)}`).not.toContain("VERY-secret");
    const media = await rejection(ch.fetchMedia({ kind: "file", ref: "x" }, 10));
    expect(media.message).not.toContain("VERY-secret");
  });
});
