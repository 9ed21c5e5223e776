// The Discord adapter (real discord.js) against the loopback fake: start/auth, inbound mapping, delivery retries,
// sends, failures → ChannelError, typing, media, probe and a gateway reconnect.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayIntentBits, MessageType } from "discord.js";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startDiscordFake } from "../../../test/fakes/discord-api.ts";
import type { DiscordFake } from "../../../test/fakes/discord-api.ts";
import { discordAccountSchema } from "../../core/channel-config.ts";
import type { DiscordAccountConfig } from "../../core/channel-config.ts";
import { ChannelError } from "../../core/errors.ts";
import type { InboundMessage, ReplyRoute } from "../../core/inbound.ts";
import type { ChannelSink } from "../kit/channel.ts";
import { createDiscordChannel } from "./index.ts";
import type { DiscordChannel } from "./index.ts";

let fake: DiscordFake;
let channel: DiscordChannel | undefined;
let inbox: InboundMessage[];

beforeEach(async () => {
  fake = await startDiscordFake();
  inbox = [];
});
afterEach(async () => {
  await channel?.stop();
  channel = undefined;
  await fake.close();
});

function makeChannel(config: Partial<DiscordAccountConfig> = {}): DiscordChannel {
  channel = createDiscordChannel({
    account: "default",
    config: discordAccountSchema.parse({ token: fake.token, api_root: fake.apiRoot, ...config }),
    log: pino({ level: "silent" }),
    stateDir: tmpdir(),
    backoff: { baseMs: 10, maxMs: 40 },
  });
  return channel;
}

async function startChannel(sink: ChannelSink = { reportMalformed: () => undefined, deliver: async (m) => void inbox.push(m) }): Promise<DiscordChannel> {
  const c = makeChannel();
  await c.start(sink);
  return c;
}

async function rejection(p: Promise<unknown>): Promise<ChannelError> {
  const err = await p.then(
    () => expect.fail("expected a rejection"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelError);
  return err as ChannelError;
}

const route = (over: Partial<ReplyRoute> = {}): ReplyRoute => ({
  channel: "discord",
  account: "default",
  chatKind: "group",
  chatId: fake.channel.id,
  ...over,
});

const waitInbox = (n: number): Promise<void> => fake.waitFor(() => inbox.length >= n);

describe("start", () => {
  it("connects, reports the bot's identity and asks for the intents it needs", async () => {
    const c = await startChannel();
    expect(c.health()).toMatchObject({ state: "connected", identity: "pincer" });
    const intents = fake.identifies[0]?.intents ?? 0;
    for (const bit of [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages]) {
      expect(intents & bit).toBe(bit);
    }
  });

  it("rejects a bad token with auth_failed and the fix", async () => {
    const c = makeChannel({ token: "wrong" });
    const err = await rejection(c.start({ reportMalformed: () => undefined, deliver: async () => undefined }));
    expect(err.code).toBe("auth_failed");
    expect(err.message).toBe(
      "discord start: Discord rejected the bot token (401). Fix: Developer Portal → Bot → Reset Token, then 'pincer channels add discord --token …'",
    );
    expect(c.health()).toMatchObject({ state: "failed" });
  });

  it("treats gateway close 4004 as auth_failed", async () => {
    fake.failIdentify(4004);
    const err = await rejection(makeChannel().start({ reportMalformed: () => undefined, deliver: async () => undefined }));
    expect(err.code).toBe("auth_failed");
  });

  it("fails with the intents fix when Message Content is not enabled (close 4014)", async () => {
    fake.setMessageContentEnabled(false);
    const c = makeChannel();
    const err = await rejection(c.start({ reportMalformed: () => undefined, deliver: async () => undefined }));
    expect(err.code).toBe("forbidden");
    expect(err.message).toContain("Fix: enable the Message Content intent in the Developer Portal → Bot → Privileged Gateway Intents");
    expect(c.health().state).toBe("failed");
  });

  it("retries transient failures at start with backoff", async () => {
    fake.failNext("GET /gateway/bot", 2, 502);
    const c = await startChannel();
    expect(c.health().state).toBe("connected");
    expect(fake.calls.filter((r) => r === "GET /gateway/bot")).toHaveLength(3);
  });

  it("ends a start still retrying when stopped", async () => {
    fake.failNext("GET /gateway/bot", 1000, 503);
    const c = makeChannel();
    const starting = c.start({ reportMalformed: () => undefined, deliver: async () => undefined });
    await fake.waitFor(() => c.health().state === "reconnecting");
    expect(c.health().detail).toContain("Discord is unavailable");
    await c.stop();
    await starting;
    expect(c.health().state).toBe("stopped");
  });

  it("stops idempotently and delivers nothing afterwards", async () => {
    const c = await startChannel();
    await c.stop();
    await c.stop();
    fake.dm(fake.users.alice, "anyone there?");
    await new Promise((r) => setTimeout(r, 100));
    expect(inbox).toEqual([]);
    expect(c.health().state).toBe("stopped");
  });
});

describe("inbound", () => {
  beforeEach(async () => {
    await startChannel();
  });

  it("maps a DM", async () => {
    const sent = fake.dm(fake.users.alice, "hello **there**");
    await waitInbox(1);
    expect(inbox[0]).toEqual({
      channel: "discord",
      account: "default",
      messageId: sent.id,
      chat: { kind: "dm", id: fake.dmChannelId(fake.users.alice) },
      sender: { id: fake.users.alice.id, name: "Alice", username: "alice", isBot: false },
      text: "hello **there**",
      mentioned: false,
      media: [],
      at: Date.parse(sent.timestamp),
    });
  });

  it("maps a guild channel message to a group with the channel's title", async () => {
    fake.guildMessage(fake.users.bob, "just chatting");
    await waitInbox(1);
    expect(inbox[0]).toMatchObject({
      chat: { kind: "group", id: fake.channel.id, title: "#general" },
      sender: { id: fake.users.bob.id, name: "bob", username: "bob", isBot: false },
      text: "just chatting",
      mentioned: false,
    });
    expect(inbox[0]?.threadId).toBeUndefined();
  });

  it("detects a mention of the bot and of its managed role, and renders them readably", async () => {
    fake.mention(fake.users.bob, "what's up?");
    fake.guildMessage(fake.users.bob, "role ping", { mentionsBotRole: true });
    await waitInbox(2);
    expect(inbox.map((m) => [m.mentioned, m.text])).toEqual([
      [true, "@pincer what's up?"],
      [true, "@pincer role ping"],
    ]);
  });

  it("does not count @everyone as a mention", async () => {
    fake.guildMessage(fake.users.bob, "@everyone lunch");
    await waitInbox(1);
    expect(inbox[0]?.mentioned).toBe(false);
  });

  it("marks a reply to the bot's own message as fromBot", async () => {
    const { messageId } = await channel!.send({ route: route(), text: "I am the bot" });
    const other = fake.guildMessage(fake.users.alice, "a user message");
    fake.guildMessage(fake.users.bob, "replying to the bot", { replyToMessageId: messageId });
    fake.guildMessage(fake.users.bob, "replying to alice", { replyToMessageId: other.id });
    await waitInbox(3);
    expect(inbox[1]?.replyTo).toEqual({ messageId, fromBot: true, text: "I am the bot" });
    expect(inbox[2]?.replyTo).toEqual({ messageId: other.id, fromBot: false, text: "a user message" });
  });

  it("maps a thread message to its parent channel plus threadId, also for a thread first seen in a message", async () => {
    fake.threadMessage(fake.users.alice, "in the thread");
    const unseen = fake.createThread("surprise", { announce: false });
    fake.injectMessage({ channelId: unseen, author: fake.users.alice, content: "in an unseen thread" });
    await waitInbox(2);
    expect(inbox.map((m) => [m.chat, m.threadId])).toEqual([
      [{ kind: "group", id: fake.channel.id, title: "#general" }, fake.thread.id],
      [{ kind: "group", id: fake.channel.id, title: "#general" }, unseen],
    ]);
    expect(fake.calls).toContain("GET /channels/:id");
  });

  it("ignores the bot's own messages and system messages", async () => {
    await channel!.send({ route: route(), text: "from the bot" });
    fake.guildMessage(fake.users.alice, "joined", { type: MessageType.UserJoin });
    fake.guildMessage(fake.users.alice, "last");
    await waitInbox(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(inbox.map((m) => m.text)).toEqual(["last"]);
  });

  it("maps attachments to media", async () => {
    const sent = fake.dm(fake.users.alice, "look", {
      attachments: [
        { fileName: "cat.png", contentType: "image/png", data: "PNG" },
        { fileName: "note.ogg", contentType: "audio/ogg", data: "OGG" },
        { fileName: "report.pdf", contentType: "application/pdf", data: "PDF!" },
      ],
    });
    await waitInbox(1);
    expect(inbox[0]?.media).toEqual([
      { kind: "image", ref: sent.attachments[0]?.url, mimeType: "image/png", fileName: "cat.png", sizeBytes: 3 },
      { kind: "audio", ref: sent.attachments[1]?.url, mimeType: "audio/ogg", fileName: "note.ogg", sizeBytes: 3 },
      { kind: "file", ref: sent.attachments[2]?.url, mimeType: "application/pdf", fileName: "report.pdf", sizeBytes: 4 },
    ]);
  });
});

describe("delivery", () => {
  it("delivers a message again when deliver rejects, keeping order", async () => {
    let failures = 2;
    await startChannel({
      reportMalformed: () => undefined,
      deliver: async (m) => {
        if (m.text === "first" && failures-- > 0) throw new Error("journal down");
        inbox.push(m);
      },
    });
    fake.dm(fake.users.alice, "first");
    fake.dm(fake.users.alice, "second");
    await waitInbox(2);
    expect(inbox.map((m) => m.text)).toEqual(["first", "second"]);
    expect(failures).toBe(-1);
  });
});

describe("send", () => {
  beforeEach(async () => {
    await startChannel();
  });

  it("renders Markdown, never pings and returns the message id", async () => {
    const { messageId } = await channel!.send({ route: route(), text: "#### Done\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nping @everyone" });
    expect(fake.sent).toEqual([
      expect.objectContaining({
        id: messageId,
        channelId: fake.channel.id,
        content: "**Done**\n\n```\na   | b\n----|----\n1   | 2\n```\n\nping @\u200beveryone",
        allowedMentions: { parse: [], replied_user: false },
      }),
    ]);
  });

  it("replies to a message and routes to a thread", async () => {
    const user = fake.threadMessage(fake.users.alice, "question");
    await channel!.send({ route: route({ threadId: fake.thread.id }), text: "answer", replyToMessageId: user.id });
    expect(fake.sent[0]).toMatchObject({
      channelId: fake.thread.id,
      messageReference: { message_id: user.id, fail_if_not_exists: false },
      allowedMentions: { parse: [], replied_user: false },
    });
  });

  it("sends to a DM channel", async () => {
    const dm = fake.dmChannelId(fake.users.bob);
    await channel!.send({ route: route({ chatKind: "dm", chatId: dm }), text: "hi bob" });
    expect(fake.sent[0]).toMatchObject({ channelId: dm, content: "hi bob" });
  });

  it("resends the text as written once when Discord refuses the rendered form", async () => {
    fake.failNext("POST /channels/:id/messages", 1, 400);
    const text = "| a |\n|---|\n| 1 |";
    await channel!.send({ route: route(), text });
    expect(fake.sent.map((s) => s.content)).toEqual([text]);
    expect(fake.calls.filter((r) => r === "POST /channels/:id/messages")).toHaveLength(2);
  });

  it("stays within 2,000 characters: a rendering that grows past it goes out as written", async () => {
    expect(channel!.textLimit).toBe(2000);
    const text = `| k | v |\n|---|---|\n${"| x | y |\n".repeat(200)}`.slice(0, 2000);
    await channel!.send({ route: route(), text });
    expect(fake.sent[0]?.content.length).toBeLessThanOrEqual(2000);
    expect(fake.calls.filter((r) => r === "POST /channels/:id/messages")).toHaveLength(1);
  });

  it("uploads media with the text as its caption", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pincer-discord-"));
    const path = join(dir, "chart.png");
    await writeFile(path, Buffer.from("PNGDATA"));
    await channel!.send({ route: route(), text: "the *chart*", media: { kind: "image", path, fileName: "chart.png", mimeType: "image/png" } });
    expect(fake.sent[0]).toMatchObject({
      content: "the *chart*",
      multipart: true,
      files: [{ name: "chart.png", size: 7 }],
      allowedMentions: { parse: [], replied_user: false },
    });
  });

  it("turns a 5xx into a retryable unavailable error without retrying itself", async () => {
    fake.failNext("POST /channels/:id/messages", 2, 500);
    const err = await rejection(channel!.send({ route: route(), text: "hi" }));
    expect(err).toMatchObject({ code: "unavailable", retryable: true, status: 500 });
    expect(fake.calls.filter((r) => r === "POST /channels/:id/messages")).toHaveLength(1);
  });

  it("turns a 429 into rate_limited with Discord's retry delay", async () => {
    fake.failNext("POST /channels/:id/messages", 1, 429, 2.5);
    const err = await rejection(channel!.send({ route: route(), text: "hi" }));
    expect(err).toMatchObject({ code: "rate_limited", retryable: true });
    expect(err.retryAfterMs).toBeGreaterThanOrEqual(2500);
    expect(fake.sent).toEqual([]);
  });

  it("reports missing permissions with the fix, and unknown channels as not_found", async () => {
    fake.denyChannel(fake.channel.id);
    const denied = await rejection(channel!.send({ route: route(), text: "hi" }));
    expect(denied.code).toBe("forbidden");
    expect(denied.retryable).toBe(false);
    expect(denied.message).toBe(
      "discord send: the bot lacks permission: Missing Permissions (403, code 50013). Fix: give the bot Send Messages / Send Messages in Threads in that channel",
    );
    const missing = await rejection(channel!.send({ route: route({ chatId: "123456789012345678" }), text: "hi" }));
    expect(missing.code).toBe("not_found");
  });

  it("honours a smaller text_chunk_limit", () => {
    expect(makeChannel({ text_chunk_limit: 500 }).textLimit).toBe(500);
  });
});

describe("typing, media, probe", () => {
  it("shows typing in the chat or thread", async () => {
    const c = await startChannel();
    await c.sendTyping(route());
    await c.sendTyping(route({ threadId: fake.thread.id }));
    expect(fake.typing).toEqual([fake.channel.id, fake.thread.id]);
  });

  it("downloads an attachment, refusing one over the limit before and while reading", async () => {
    const c = await startChannel();
    fake.dm(fake.users.alice, "files", {
      attachments: [
        { fileName: "a.txt", contentType: "text/plain", data: "hello" },
        { fileName: "big.bin", contentType: "application/octet-stream", data: "x".repeat(100) },
        { fileName: "liar.bin", contentType: "application/octet-stream", data: "y".repeat(100), announcedSize: 10 },
      ],
    });
    await waitInbox(1);
    const [small, big, liar] = inbox[0]?.media ?? [];
    expect(await c.fetchMedia(small!, 50)).toEqual({ bytes: new TextEncoder().encode("hello"), mimeType: "text/plain", fileName: "a.txt" });
    const downloads = fake.calls.filter((r) => r === "GET /attachments").length;
    expect((await rejection(c.fetchMedia(big!, 50))).code).toBe("too_large");
    expect(fake.calls.filter((r) => r === "GET /attachments").length).toBe(downloads);
    expect((await rejection(c.fetchMedia(liar!, 50))).code).toBe("too_large");
  });

  it("probes the token over REST without connecting", async () => {
    expect(await makeChannel().probe()).toEqual({ ok: true, identity: "pincer", detail: "connected to Discord as pincer" });
    const bad = await makeChannel({ token: "wrong" }).probe();
    expect(bad.ok).toBe(false);
    expect(bad.detail).toContain("Reset Token");
    expect(fake.identifies).toEqual([]);
  });
});

describe("reconnect", () => {
  it.each([
    ["closed with 4000", { code: 4000 }],
    ["cut without a close frame", { abrupt: true }],
  ])("goes reconnecting → connected after the socket is %s, and messages keep arriving", async (_name, drop) => {
    const c = await startChannel();
    expect(fake.dropConnection(drop)).toBe(1);
    await fake.waitFor(() => c.health().state === "reconnecting");
    fake.dm(fake.users.alice, "while away");
    await fake.waitFor(() => c.health().state === "connected");
    fake.dm(fake.users.alice, "after");
    await waitInbox(2);
    expect(inbox.map((m) => m.text)).toEqual(["while away", "after"]);
    expect(fake.resumes()).toBe(1);
  });
});
