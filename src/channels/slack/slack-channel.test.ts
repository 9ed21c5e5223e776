// SlackChannel in Socket Mode against the loopback Slack fake: start/identity, inbound mapping and ack-after-journal,
// sends (mrkdwn, threads, files), error codes, media download, probe and reconnects.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSlackFake, type SlackFake } from "../../../test/fakes/slack-api.ts";
import { slackAccountSchema, type SlackAccountConfig } from "../../core/channel-config.ts";
import { ChannelError, ConfigError } from "../../core/errors.ts";
import type { InboundMessage, ReplyRoute } from "../../core/inbound.ts";
import { canShowTyping, hasWebhook, type ChannelSink } from "../kit/channel.ts";
import { createSlackChannel, type SlackChannel } from "./index.ts";

let fake: SlackFake;
const channels: SlackChannel[] = [];

beforeEach(async () => {
  fake = await startSlackFake({ redeliverMs: 100 });
  fake.addUser("U1", "ann", "Ann Smith");
  fake.addChannel("C1", "general");
});

afterEach(async () => {
  await Promise.all(channels.splice(0).map((c) => c.stop()));
  await fake.close();
});

function makeChannel(overrides: Partial<SlackAccountConfig> = {}): SlackChannel {
  const config = slackAccountSchema.parse({ bot_token: fake.botToken, app_token: fake.appToken, api_root: fake.apiRoot, ...overrides });
  const channel = createSlackChannel({
    account: "work", config, log: pino({ level: "silent" }), stateDir: tmpdir(), backoff: { baseMs: 10, maxMs: 40, random: () => 0 },
  });
  channels.push(channel);
  return channel;
}

function recordingSink(): ChannelSink & { got: InboundMessage[] } {
  const got: InboundMessage[] = [];
  return { got, deliver: async (msg) => void got.push(msg), reportMalformed: () => undefined };
}

async function started(overrides: Partial<SlackAccountConfig> = {}): Promise<{ channel: SlackChannel; sink: ReturnType<typeof recordingSink> }> {
  const channel = makeChannel(overrides);
  const sink = recordingSink();
  await channel.start(sink);
  return { channel, sink };
}

const groupRoute: ReplyRoute = { channel: "slack", account: "work", chatKind: "group", chatId: "C1" };

describe("SlackChannel start", () => {
  it("connects over Socket Mode and knows the bot's identity", async () => {
    const { channel } = await started();
    expect(channel.health()).toMatchObject({ state: "connected", identity: "UBOT (pincer)" });
    expect(fake.openSockets).toBe(1);
    expect(channel.textLimit).toBe(4_000);
    expect(canShowTyping(channel)).toBe(false);
    expect(hasWebhook(channel)).toBe(false);
  });

  it("rejects a bad bot token with auth_failed and a fix", async () => {
    const channel = makeChannel({ bot_token: "xoxb-wrong" });
    const err = await channel.start(recordingSink()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as ChannelError).code).toBe("auth_failed");
    expect((err as ChannelError).message).toBe(
      "Slack refused the bot token on auth.test (invalid_auth). Fix: copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page and run 'pincer channels add slack --token xoxb-…'",
    );
    expect(channel.health().state).toBe("failed");
  });

  it("rejects a bad app-level token with auth_failed naming the app token", async () => {
    const channel = makeChannel({ app_token: "xapp-wrong" });
    const err = (await channel.start(recordingSink()).catch((e: unknown) => e)) as ChannelError;
    expect(err.code).toBe("auth_failed");
    expect(err.message).toContain("app-level token");
  });

  it("retries a transient failure at start with backoff and then connects", async () => {
    fake.failNext("auth.test", 1, 503);
    fake.failNext("apps.connections.open", 1, 500);
    const { channel } = await started();
    expect(channel.health().state).toBe("connected");
    expect(fake.calls.filter((c) => c.method === "auth.test" || c.method === "apps.connections.open").map((c) => c.method)).toEqual([
      "auth.test", "auth.test", "apps.connections.open", "apps.connections.open",
    ]);
  });

  it("needs app_token in socket mode and signing_secret in http mode", () => {
    const config = slackAccountSchema.parse({ bot_token: "xoxb-1" });
    const build = (c: SlackAccountConfig): unknown => {
      try {
        return createSlackChannel({ account: "work", config: c, log: pino({ level: "silent" }), stateDir: tmpdir() });
      } catch (err) {
        return err;
      }
    };
    const socketErr = build(config) as ConfigError;
    expect(socketErr).toBeInstanceOf(ConfigError);
    expect(socketErr.keyPath).toBe("channels.slack.accounts.work.app_token");
    expect(socketErr.fix).toContain("connections:write");
    expect((build({ ...config, mode: "http" }) as ConfigError).keyPath).toBe("channels.slack.accounts.work.signing_secret");
  });
});

describe("SlackChannel inbound", () => {
  it("maps a DM and acknowledges it after deliver", async () => {
    const { sink } = await started();
    const { ts, envelopeId } = fake.dm("U1", "hello <https://example.com|there> & you");
    await fake.waitForAcks(1);
    expect(fake.acks).toEqual([envelopeId]);
    expect(sink.got).toEqual([{
      channel: "slack", account: "work", messageId: `D1:${ts}`, chat: { kind: "dm", id: "D1" },
      sender: { id: "U1", name: "ann", username: "ann", isBot: false }, text: "hello there (https://example.com) & you",
      mentioned: false, media: [], at: Math.round(Number(ts) * 1000),
    }]);
  });

  it("maps a channel message with the channel's title and no mention", async () => {
    const { sink } = await started();
    fake.channelMessage("C1", "U1", "morning <#C2|random>");
    await fake.waitForAcks(1);
    expect(sink.got[0]).toMatchObject({ chat: { kind: "group", id: "C1", title: "#general" }, mentioned: false, text: "morning #random" });
  });

  it("maps message and app_mention of one mention to the same messageId, mentioned", async () => {
    const { sink } = await started();
    const { ts } = fake.mention("C1", "U1", "what's up?");
    await fake.waitForAcks(2);
    expect(sink.got.map((m) => [m.messageId, m.mentioned, m.text])).toEqual([
      [`C1:${ts}`, true, "@pincer what's up?"],
      [`C1:${ts}`, true, "@pincer what's up?"],
    ]);
  });

  it("maps a reply in a thread under the bot's message as threadId + replyTo fromBot", async () => {
    const { channel, sink } = await started();
    const botPost = await channel.send({ route: groupRoute, text: "I said something" });
    const parentTs = botPost.messageId.split(":")[1];
    fake.injectMessage({ channel: "C1", channel_type: "channel", user: "U1", text: "about that", thread_ts: parentTs, parent_user_id: fake.botUserId });
    await fake.waitForAcks(1);
    expect(sink.got[0]).toMatchObject({ threadId: parentTs, replyTo: { messageId: botPost.messageId, fromBot: true } });
  });

  it("ignores its own messages, edits and joins, but acknowledges them", async () => {
    const { sink } = await started();
    fake.injectMessage({ channel: "C1", channel_type: "channel", user: fake.botUserId, bot_id: fake.botId, text: "mine" });
    fake.injectMessage({ channel: "C1", channel_type: "channel", user: "U1", text: "edited", subtype: "message_changed" });
    fake.injectMessage({ channel: "C1", channel_type: "channel", user: "U1", text: "joined", subtype: "channel_join" });
    fake.channelMessage("C1", "U1", "real");
    await fake.waitForAcks(4);
    expect(sink.got.map((m) => m.text)).toEqual(["real"]);
  });

  it("acknowledges an envelope only once deliver resolved", async () => {
    const channel = makeChannel();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered = false;
    await channel.start({ reportMalformed: () => undefined, deliver: async () => { entered = true; await gate; } });
    fake.dm("U1", "slow");
    await fake.waitFor(() => entered, 2_000, "deliver to start");
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.acks).toEqual([]);
    release();
    await fake.waitForAcks(1);
  });

  it("leaves an envelope unacknowledged when deliver rejects, so Slack delivers it again", async () => {
    const channel = makeChannel();
    const attempts: string[] = [];
    await channel.start({
      reportMalformed: () => undefined,
      deliver: async (msg) => {
        attempts.push(msg.messageId);
        if (attempts.length === 1) throw new Error("journal down");
      },
    });
    const { ts, envelopeId } = fake.dm("U1", "retry me");
    await fake.waitForAcks(1);
    expect(attempts).toEqual([`D1:${ts}`, `D1:${ts}`]);
    expect(fake.pushed.filter((e) => e.envelope_id === envelopeId).map((e) => e.retry_attempt)).toEqual([0, 1]);
  });

  it("maps shared files to media and downloads them with the bot token", async () => {
    const { channel, sink } = await started();
    const bytes = new TextEncoder().encode("PNGDATA");
    const file = fake.addFile({ name: "shot.png", mimetype: "image/png", bytes });
    fake.injectMessage({ channel: "C1", channel_type: "channel", user: "U1", text: "look", subtype: "file_share", files: [file] });
    await fake.waitForAcks(1);
    const media = sink.got[0]?.media[0];
    expect(media).toEqual({ kind: "image", ref: file.url_private_download, mimeType: "image/png", fileName: "shot.png", sizeBytes: 7 });
    if (!media) throw new Error("no media");

    expect(await channel.fetchMedia(media, 1_000)).toEqual({ bytes, mimeType: "image/png", fileName: "shot.png" });
    await expect(channel.fetchMedia(media, 3)).rejects.toMatchObject({ code: "too_large" });
    const { sizeBytes: _, ...unsized } = media;
    await expect(channel.fetchMedia(unsized, 3)).rejects.toMatchObject({ code: "too_large" });
    await expect(channel.fetchMedia({ ...media, ref: "https://evil.example/x" }, 1_000)).rejects.toMatchObject({ code: "forbidden" });
    // A token that may not read the file gets Slack's sign-in page (HTTP 200, text/html), not the bytes.
    await expect(makeChannel({ bot_token: "xoxb-other" }).fetchMedia(media, 1_000)).rejects.toMatchObject({ code: "forbidden", message: expect.stringContaining("files:read") });
  });

  it("reconnects after Slack asks it to, and after a dropped connection", async () => {
    const { channel, sink } = await started();
    fake.disconnect();
    await fake.waitFor(() => fake.connectionCount === 2 && channel.health().state === "connected", 5_000, "reconnect after disconnect");
    fake.dropConnections();
    await fake.waitFor(() => fake.connectionCount === 3 && channel.health().state === "connected", 5_000, "reconnect after drop");
    fake.dm("U1", "still there?");
    await fake.waitForAcks(1);
    expect(sink.got.map((m) => m.text)).toEqual(["still there?"]);
  });

  it("keeps reconnecting through Slack outages, and fails when the app token is revoked meanwhile", async () => {
    const { channel } = await started();
    fake.failNext("apps.connections.open", 2, 503);
    fake.dropConnections();
    await fake.waitFor(() => channel.health().state === "reconnecting", 2_000, "reconnecting");
    await fake.waitFor(() => fake.connectionCount === 2 && channel.health().state === "connected", 5_000, "reconnect after outage");

    fake.rejectNext("apps.connections.open", "invalid_auth");
    fake.disconnect();
    await fake.waitFor(() => channel.health().state === "failed", 5_000, "failed");
    expect(channel.health().detail).toContain("app-level token");
  });

  it("opens no Socket Mode connection when stopped while starting", async () => {
    const channel = makeChannel();
    const starting = channel.start(recordingSink());
    await channel.stop();
    await starting;
    expect(channel.health().state).toBe("stopped");
    expect(fake.openSockets).toBe(0);
  });

  it("delivers nothing after stop, and stop is idempotent", async () => {
    const { channel, sink } = await started();
    await channel.stop();
    await channel.stop();
    expect(channel.health().state).toBe("stopped");
    fake.dm("U1", "anyone?");
    await new Promise((r) => setTimeout(r, 150));
    expect(sink.got).toEqual([]);
  });
});

describe("SlackChannel send", () => {
  it("renders mrkdwn, turns off unfurling and returns <channel>:<ts>", async () => {
    const { channel } = await started();
    const sent = await channel.send({ route: groupRoute, text: "**Done**: see [docs](https://x.io/?a=1&b=2)" });
    expect(fake.sent[0]).toMatchObject({ channel: "C1", text: "*Done*: see <https://x.io/?a=1&amp;b=2|docs>", unfurl_links: false, mrkdwn: true });
    expect(fake.sent[0]?.thread_ts).toBeUndefined();
    expect(sent.messageId).toBe(`C1:${fake.sent[0]?.ts}`);
  });

  it("threads under the route's thread, or under the message it replies to in a group, never in a DM", async () => {
    const { channel } = await started();
    await channel.send({ route: { ...groupRoute, threadId: "111.000001" }, text: "in thread" });
    await channel.send({ route: groupRoute, text: "threaded answer", replyToMessageId: "C1:222.000002" });
    await channel.send({ route: { ...groupRoute, chatKind: "dm", chatId: "DU1" }, text: "flat", replyToMessageId: "DU1:333.000003" });
    expect(fake.sent.map((s) => s.thread_ts)).toEqual(["111.000001", "222.000002", undefined]);
  });

  it("uploads a file with its caption into the thread", async () => {
    const { channel } = await started();
    const dir = await mkdtemp(join(tmpdir(), "pincer-slack-"));
    try {
      const path = join(dir, "report.txt");
      await writeFile(path, "file body");
      const sent = await channel.send({
        route: { ...groupRoute, threadId: "111.000001" }, text: "Here is **the** report",
        media: { kind: "file", path, fileName: "report.txt", mimeType: "text/plain" },
      });
      const upload = fake.sent[0];
      expect(upload).toMatchObject({ method: "files.completeUploadExternal", channel: "C1", text: "Here is *the* report", thread_ts: "111.000001" });
      expect(new TextDecoder().decode(upload?.file?.bytes)).toBe("file body");
      expect(upload?.file?.filename).toBe("report.txt");
      expect(sent.messageId).toBe(`C1:${upload?.ts}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("turns a 5xx into a retryable unavailable error", async () => {
    const { channel } = await started();
    fake.failNext("chat.postMessage", 1, 503);
    const err = (await channel.send({ route: groupRoute, text: "x" }).catch((e: unknown) => e)) as ChannelError;
    expect([err.code, err.retryable, err.status, err.method]).toEqual(["unavailable", true, 503, "chat.postMessage"]);
    expect(fake.sent).toEqual([]);
  });

  it("turns a 429 into rate_limited with Slack's Retry-After, without retrying itself", async () => {
    const { channel } = await started();
    fake.failNext("chat.postMessage", 1, 429, 7);
    const err = (await channel.send({ route: groupRoute, text: "x" }).catch((e: unknown) => e)) as ChannelError;
    expect([err.code, err.retryable, err.retryAfterMs]).toEqual(["rate_limited", true, 7_000]);
    expect(fake.calls.filter((c) => c.method === "chat.postMessage")).toHaveLength(1);
  });

  it("reports a channel the bot is not in as forbidden with the fix", async () => {
    const { channel } = await started();
    fake.rejectNext("chat.postMessage", "not_in_channel");
    await expect(channel.send({ route: groupRoute, text: "x" })).rejects.toMatchObject({ code: "forbidden", retryable: false, message: expect.stringContaining("/invite") });
  });
});

describe("SlackChannel probe", () => {
  it("checks the bot token and the app-level token without starting", async () => {
    expect(await makeChannel().probe()).toEqual({ ok: true, identity: "UBOT (pincer)", detail: "bot token and app-level token accepted (Socket Mode)" });
    expect(fake.openSockets).toBe(0);
    const badBot = await makeChannel({ bot_token: "xoxb-wrong" }).probe();
    expect(badBot).toMatchObject({ ok: false, detail: expect.stringContaining("invalid_auth") });
    const badApp = await makeChannel({ app_token: "xapp-wrong" }).probe();
    expect(badApp).toMatchObject({ ok: false, identity: "UBOT (pincer)", detail: expect.stringContaining("app-level token") });
  });
});
