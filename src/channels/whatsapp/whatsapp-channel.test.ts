// The WhatsApp adapter against the fake Baileys socket (test/fakes/whatsapp-socket.ts), with real auth files on disk.
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { DisconnectReason } from "baileys";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { boom, FakeWhatsapp, seedLinkedAuthDir } from "../../../test/fakes/whatsapp-socket.ts";
import type { FakeWhatsappOptions } from "../../../test/fakes/whatsapp-socket.ts";
import { whatsappAccountSchema } from "../../core/channel-config.ts";
import { ChannelError } from "../../core/errors.ts";
import type { InboundMessage, ReplyRoute } from "../../core/inbound.ts";
import { createWhatsappChannel } from "./index.ts";
import type { DownloadMedia, WhatsappChannel } from "./index.ts";

const ANA = "4915112345678@s.whatsapp.net";
const BEN = "4917099887766@s.whatsapp.net";
const GROUP = "120363041234567890@g.us";

let stateDir: string;
let channel: WhatsappChannel | undefined;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "pincer-wa-"));
});
afterEach(async () => {
  vi.useRealTimers();
  await channel?.stop();
  channel = undefined;
  await rm(stateDir, { recursive: true, force: true });
});

const authDir = (): string => join(stateDir, "channels", "whatsapp", "default");

function collectingSink() {
  const messages: InboundMessage[] = [];
  const malformed: string[] = [];
  let failures = 0;
  return {
    messages,
    malformed,
    calls: 0,
    failNext(count: number) {
      failures = count;
    },
    reportMalformed: (problem: string) => void malformed.push(problem),
    async deliver(msg: InboundMessage) {
      this.calls += 1;
      if (failures > 0) {
        failures -= 1;
        throw new Error("journal unavailable");
      }
      messages.push(msg);
    },
  };
}

async function setup(opts: { linked?: boolean; fake?: FakeWhatsappOptions; config?: Record<string, unknown>; downloadMedia?: DownloadMedia } = {}) {
  const fake = new FakeWhatsapp({ autoOpen: true, ...opts.fake });
  if (opts.linked !== false) await seedLinkedAuthDir(authDir());
  channel = createWhatsappChannel({
    account: "default",
    config: whatsappAccountSchema.parse(opts.config ?? {}),
    log: pino({ level: "silent" }),
    stateDir,
    makeSocket: fake.makeSocket,
    backoff: { baseMs: 1_000, maxMs: 8_000, random: () => 0 },
    ...(opts.downloadMedia ? { downloadMedia: opts.downloadMedia } : {}),
  });
  return { fake, channel, sink: collectingSink() };
}

async function started(opts: Parameters<typeof setup>[0] = {}) {
  const s = await setup(opts);
  await s.channel.start(s.sink);
  return s;
}

const route = (chatId: string, chatKind: "dm" | "group" = "dm"): ReplyRoute => ({ channel: "whatsapp", account: "default", chatKind, chatId });

async function caught(p: Promise<unknown>): Promise<ChannelError> {
  const err = await p.then(() => expect.fail("expected a rejection"), (e: unknown) => e);
  expect(err).toBeInstanceOf(ChannelError);
  return err as ChannelError;
}

describe("WhatsappChannel lifecycle", () => {
  it("starts, reports connected with the linked phone number, and stops idempotently", async () => {
    const { channel, fake } = await started();
    expect(channel.health()).toMatchObject({ state: "connected", identity: "+15550001111" });
    expect(channel.textLimit).toBe(4_000);
    await channel.stop();
    await channel.stop();
    expect(channel.health().state).toBe("stopped");
    expect(fake.socket.ended).toBe(true);
  });

  it("rejects start without saved credentials instead of waiting for a QR", async () => {
    const { channel, fake, sink } = await setup({ linked: false });
    const err = await caught(channel.start(sink));
    expect(err.code).toBe("auth_failed");
    expect(err.message).toBe("whatsapp account default: not linked yet. Fix: run 'pincer channels login whatsapp --account default'");
    expect(fake.sockets).toHaveLength(0);
    expect(channel.health().state).toBe("failed");

    await seedLinkedAuthDir(authDir()); // the user ran the login; a later start connects
    await channel.start(sink);
    expect(channel.health().state).toBe("connected");
  });

  it("fails with the folder named when the credentials cannot be opened", async () => {
    const { channel, sink } = await setup({ linked: false, config: { auth_dir: "/dev/null/wa" } });
    const err = await caught(channel.start(sink));
    expect(err.message).toContain("cannot open the credentials folder /dev/null/wa");
    expect(channel.health().state).toBe("failed");
  });

  it("fails for good when WhatsApp logged the device out, clearing the dead credentials", async () => {
    const { channel, fake, sink } = await setup({ fake: { autoOpen: false } });
    const starting = channel.start(sink);
    await vi.waitFor(() => expect(fake.sockets).toHaveLength(1));
    fake.close(DisconnectReason.loggedOut);
    const err = await caught(starting);
    expect(err.code).toBe("auth_failed");
    expect(channel.health().detail).toBe("WhatsApp logged this device out. Fix: run 'pincer channels login whatsapp --account default' to link again");
    await vi.waitFor(() => expect(access(join(authDir(), "creds.json"))).rejects.toThrow());
    expect(fake.sockets).toHaveLength(1);
  });

  it("reconnects with backoff after a lost connection, and at once after restartRequired", async () => {
    const { channel, fake } = await started();
    vi.useFakeTimers();
    fake.close(DisconnectReason.connectionLost);
    expect(channel.health()).toMatchObject({ state: "reconnecting", detail: "connection closed (status 408); reconnecting in 1 s" });
    await vi.advanceTimersByTimeAsync(400);
    expect(fake.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(fake.sockets).toHaveLength(2);
    expect(channel.health().state).toBe("connected");

    fake.close(DisconnectReason.restartRequired);
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.sockets).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1); // the fake socket opens on its own timer
    expect(channel.health().state).toBe("connected");
  });

  it("does not fight a session that replaced it (440)", async () => {
    const { channel, fake } = await started();
    fake.close(DisconnectReason.connectionReplaced);
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.sockets).toHaveLength(1);
    expect(channel.health()).toMatchObject({ state: "failed" });
    expect(channel.health().detail).toContain("took over (440)");
  });

  it("keeps start pending through transient failures and rejects it on stop", async () => {
    const { channel, fake, sink } = await setup({ fake: { autoOpen: false } });
    const starting = channel.start(sink);
    await vi.waitFor(() => expect(fake.sockets).toHaveLength(1));
    fake.close(DisconnectReason.connectionClosed);
    expect(channel.health().state).toBe("reconnecting");
    await channel.stop();
    expect((await caught(starting)).code).toBe("unavailable");
  });
});

describe("WhatsappChannel inbound", () => {
  it("maps a DM and marks it read only after deliver resolved", async () => {
    const { fake, sink } = await started();
    const msg = fake.injectMessage({ remoteJid: ANA, text: "hello", pushName: "Ana", timestamp: 1_700_000_000 });
    await vi.waitFor(() => expect(fake.read).toHaveLength(1));
    expect(sink.messages).toEqual([{
      channel: "whatsapp", account: "default", messageId: `${ANA}:${msg.key.id}`, chat: { kind: "dm", id: ANA },
      sender: { id: ANA, name: "Ana", isBot: false }, text: "hello", mentioned: false, media: [], at: 1_700_000_000_000,
    }]);
    expect(fake.read[0]).toEqual(msg.key);
  });

  it("maps a LID-addressed DM to the phone-number sender when Baileys knows it", async () => {
    const { fake, sink } = await started();
    fake.injectMessage({ remoteJid: "123456789012345@lid", remoteJidAlt: ANA, text: "hi" });
    await vi.waitFor(() => expect(sink.messages).toHaveLength(1));
    expect(sink.messages[0]?.chat).toEqual({ kind: "dm", id: "123456789012345@lid" });
    expect(sink.messages[0]?.sender.id).toBe(ANA);
  });

  it("maps group messages with the cached title, the participant as sender and mentions of our jid or LID", async () => {
    const { fake, sink } = await started({ fake: { groups: { [GROUP]: "Family" } } });
    fake.injectMessage({ remoteJid: GROUP, participant: "4915112345678:3@s.whatsapp.net", text: "@15550001111 hi", mentionedJid: [fake.ownJid] });
    fake.injectMessage({ remoteJid: GROUP, participant: BEN, text: "hey @bot", mentionedJid: [fake.ownLid] });
    fake.injectMessage({ remoteJid: GROUP, participant: BEN, text: "hey @ana", mentionedJid: [ANA] });
    await vi.waitFor(() => expect(sink.messages).toHaveLength(3));
    expect(sink.messages[0]).toMatchObject({ chat: { kind: "group", id: GROUP, title: "Family" }, sender: { id: ANA }, mentioned: true });
    expect(sink.messages.map((m) => m.mentioned)).toEqual([true, true, false]);
    expect(fake.groupMetadataCalls).toEqual([GROUP]);
  });

  it("delivers group messages without a title when group metadata fails", async () => {
    const { fake, sink } = await started();
    fake.injectMessage({ remoteJid: GROUP, participant: BEN, text: "hi" });
    await vi.waitFor(() => expect(sink.messages).toHaveLength(1));
    expect(sink.messages[0]?.chat).toEqual({ kind: "group", id: GROUP });
  });

  it("maps a reply to one of our messages as replyTo from the bot", async () => {
    const { fake, sink } = await started();
    fake.injectMessage({ remoteJid: ANA, text: "and then?", quoted: { id: "3EB0AAA", participant: fake.ownJid, text: "once upon a time" } });
    fake.injectMessage({ remoteJid: ANA, text: "me again", quoted: { id: "XYZ", participant: ANA, text: "earlier" } });
    await vi.waitFor(() => expect(sink.messages).toHaveLength(2));
    expect(sink.messages[0]?.replyTo).toEqual({ messageId: `${ANA}:3EB0AAA`, fromBot: true, text: "once upon a time" });
    expect(sink.messages[1]?.replyTo?.fromBot).toBe(false);
  });

  it("maps images, voice notes and documents to media with the message as ref", async () => {
    const { fake, sink } = await started();
    const photo = fake.injectMessage({ remoteJid: ANA, text: "look", image: { fileLength: 2048 } });
    fake.injectMessage({ remoteJid: ANA, audio: { ptt: true, fileLength: 900 } });
    fake.injectMessage({ remoteJid: ANA, document: { fileName: "report.pdf", fileLength: 10 } });
    await vi.waitFor(() => expect(sink.messages).toHaveLength(3));
    expect(sink.messages[0]).toMatchObject({ text: "look", media: [{ kind: "image", ref: `${ANA}:${photo.key.id}`, mimeType: "image/jpeg", sizeBytes: 2048 }] });
    expect(sink.messages[1]).toMatchObject({ text: "", media: [{ kind: "audio", mimeType: "audio/ogg; codecs=opus", sizeBytes: 900 }] });
    expect(sink.messages[2]?.media[0]).toMatchObject({ kind: "file", fileName: "report.pdf", mimeType: "application/pdf" });
  });

  it("ignores our own messages, status broadcasts, reactions, protocol messages, day-old backlog and empty content", async () => {
    const { fake, sink } = await started();
    fake.injectMessage({ remoteJid: ANA, text: "sent from the phone", fromMe: true });
    fake.injectMessage({ remoteJid: "status@broadcast", participant: ANA, text: "my status" });
    fake.injectMessage({ remoteJid: ANA, content: { reactionMessage: { text: "👍", key: { id: "X" } } } });
    fake.injectMessage({ remoteJid: ANA, content: { protocolMessage: { type: 0 } } });
    fake.injectMessage({ remoteJid: ANA, content: { locationMessage: { degreesLatitude: 1 } } });
    fake.upsert([fake.buildMessage({ remoteJid: ANA, text: "two days old", timestamp: Math.floor(Date.now() / 1000) - 2 * 86_400 })], "append");
    fake.injectMessage({ remoteJid: ANA, text: "the real one" });
    await vi.waitFor(() => expect(sink.messages).toHaveLength(1));
    expect(sink.messages[0]?.text).toBe("the real one");
    expect(sink.calls).toBe(1);
  });

  it("reports a message the mapping cannot read and goes on with the next one", async () => {
    const { fake, sink } = await started();
    fake.upsert([{ key: { remoteJid: 42 as unknown as string, id: "ODD1", fromMe: false }, message: { conversation: "odd" } }], "notify");
    fake.injectMessage({ remoteJid: ANA, text: "after the odd one" });
    await vi.waitFor(() => expect(sink.messages).toHaveLength(1));
    expect(sink.messages[0]?.text).toBe("after the odd one");
    expect(sink.malformed).toHaveLength(1);
    expect(sink.malformed[0]).toMatch(/^WhatsApp message could not be mapped: /);
  });

  it("delivers messages WhatsApp queued while the device was offline (upsert type append)", async () => {
    const { fake, sink } = await started();
    fake.upsert([fake.buildMessage({ remoteJid: ANA, text: "sent while you were away" })], "append");
    await vi.waitFor(() => expect(sink.messages).toHaveLength(1));
    expect(sink.messages[0]?.text).toBe("sent while you were away");
  });

  it("retries a rejected deliver in memory, in order, and marks read only once delivered", async () => {
    const { fake, sink } = await started();
    vi.useFakeTimers();
    sink.failNext(2);
    fake.injectMessage({ remoteJid: ANA, text: "first" });
    fake.injectMessage({ remoteJid: ANA, text: "second" });
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.calls).toBe(1);
    expect(fake.read).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(500 + 1_000); // backoff 1 (0.5 s) and 2 (1 s) with random 0
    expect(sink.messages.map((m) => m.text)).toEqual(["first", "second"]);
    expect(sink.calls).toBe(4);
    expect(fake.read).toHaveLength(2);
  });

  it("starts no deliver after stop resolved", async () => {
    const { channel, fake, sink } = await started();
    vi.useFakeTimers();
    sink.failNext(1);
    fake.injectMessage({ remoteJid: ANA, text: "first" });
    await vi.advanceTimersByTimeAsync(0);
    await channel.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sink.calls).toBe(1);
  });
});

describe("WhatsappChannel send", () => {
  it("renders Markdown to WhatsApp markup and returns the chat-prefixed id", async () => {
    const { channel, fake } = await started();
    const sent = await channel.send({ route: route(ANA), text: "**Done**: see [docs](https://x.example)" });
    expect(fake.sent[0]).toMatchObject({ jid: ANA, content: { text: "*Done*: see docs (https://x.example)" }, quotedId: undefined });
    expect(sent.messageId).toBe(`${ANA}:${fake.sent[0]?.message.key.id}`);
  });

  it("quotes the message it replies to when it is still at hand", async () => {
    const { channel, fake, sink } = await started();
    const msg = fake.injectMessage({ remoteJid: GROUP, participant: ANA, text: "question" });
    await vi.waitFor(() => expect(sink.messages).toHaveLength(1));
    await channel.send({ route: route(GROUP, "group"), text: "answer", replyToMessageId: `${GROUP}:${msg.key.id}` });
    await channel.send({ route: route(GROUP, "group"), text: "no quote", replyToMessageId: `${GROUP}:UNKNOWN` });
    expect(fake.sent.map((s) => s.quotedId)).toEqual([msg.key.id, undefined]);
  });

  it("sends media from a local path with the text as caption; audio gets the text after it", async () => {
    const { channel, fake } = await started();
    await channel.send({ route: route(ANA), text: "a **chart**", media: { kind: "image", path: "/tmp/chart.png", fileName: "chart.png", mimeType: "image/png" } });
    await channel.send({ route: route(ANA), text: "", media: { kind: "file", path: "/tmp/r.pdf", fileName: "r.pdf", mimeType: "application/pdf" } });
    const voice = await channel.send({ route: route(ANA), text: "transcript", media: { kind: "audio", path: "/tmp/v.ogg", fileName: "v.ogg", mimeType: "audio/ogg; codecs=opus" } });
    expect(fake.sent.map((s) => s.content)).toEqual([
      { image: { url: "/tmp/chart.png" }, mimetype: "image/png", caption: "a *chart*" },
      { document: { url: "/tmp/r.pdf" }, mimetype: "application/pdf", fileName: "r.pdf" },
      { audio: { url: "/tmp/v.ogg" }, mimetype: "audio/ogg; codecs=opus", ptt: true },
      { text: "transcript" },
    ]);
    expect(voice.messageId).toBe(`${ANA}:${fake.sent[3]?.message.key.id}`);
  });

  it("turns Baileys errors into ChannelErrors", async () => {
    const { channel, fake } = await started();
    fake.failNextSend(1, 503);
    const unavailable = await caught(channel.send({ route: route(ANA), text: "x" }));
    expect(unavailable).toMatchObject({ code: "unavailable", retryable: true, status: 503, method: "sendMessage" });
    fake.failNextSend(1, 429);
    expect(await caught(channel.send({ route: route(ANA), text: "x" }))).toMatchObject({ code: "rate_limited", retryable: true });
    fake.failNextSend(1, 401);
    const auth = await caught(channel.send({ route: route(ANA), text: "x" }));
    expect(auth).toMatchObject({ code: "auth_failed", retryable: false });
    expect(auth.message).toBe("whatsapp sendMessage: WhatsApp logged this device out (401). Fix: run 'pincer channels login whatsapp --account default' to link again.");
    fake.failNextSend(1, Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
    expect(await caught(channel.send({ route: route(ANA), text: "x" }))).toMatchObject({ code: "network", retryable: true });
    fake.failNextSend(1, boom(403));
    expect(await caught(channel.send({ route: route(ANA), text: "x" }))).toMatchObject({ code: "forbidden", retryable: false });
    expect(fake.sent).toHaveLength(0);
  });

  it("refuses to send while reconnecting, as a retryable unavailable", async () => {
    const { channel, fake } = await started();
    vi.useFakeTimers();
    fake.close(DisconnectReason.connectionLost);
    const err = await caught(channel.send({ route: route(ANA), text: "x" }));
    expect(err).toMatchObject({ code: "unavailable", retryable: true });
  });

  it("honours a smaller text_chunk_limit", async () => {
    const { channel } = await setup({ config: { text_chunk_limit: 1_000 } });
    expect(channel.textLimit).toBe(1_000);
  });

  it("shows typing with a composing presence", async () => {
    const { channel, fake } = await started();
    await channel.sendTyping(route(ANA));
    expect(fake.presence).toEqual([{ type: "composing", jid: ANA }]);
  });
});

describe("WhatsappChannel media download", () => {
  const download = (chunks: string[]) => {
    const calls: string[] = [];
    const fn: DownloadMedia = async (msg) => {
      calls.push(msg.key.id ?? "");
      return Readable.from(chunks.map((c) => Buffer.from(c)));
    };
    return { fn, calls };
  };

  it("downloads an inbound attachment through Baileys' downloader", async () => {
    const dl = download(["hel", "lo"]);
    const { channel, fake, sink } = await started({ downloadMedia: dl.fn });
    fake.injectMessage({ remoteJid: ANA, document: { fileName: "a.txt", mimetype: "text/plain", fileLength: 5 } });
    await vi.waitFor(() => expect(sink.messages).toHaveLength(1));
    const media = sink.messages[0]?.media[0];
    if (!media) throw new Error("no media");
    const got = await channel.fetchMedia(media, 100);
    expect(Buffer.from(got.bytes).toString()).toBe("hello");
    expect(got).toMatchObject({ mimeType: "text/plain", fileName: "a.txt" });
  });

  it("refuses too large media before downloading when the size is known, and mid-stream otherwise", async () => {
    const dl = download(["12345", "67890"]);
    const { channel, fake, sink } = await started({ downloadMedia: dl.fn });
    fake.injectMessage({ remoteJid: ANA, image: { fileLength: 10 } });
    fake.injectMessage({ remoteJid: ANA, image: {} });
    await vi.waitFor(() => expect(sink.messages).toHaveLength(2));
    const [known, unknown] = sink.messages.map((m) => m.media[0]);
    if (!known || !unknown) throw new Error("no media");
    expect((await caught(channel.fetchMedia(known, 8))).code).toBe("too_large");
    expect(dl.calls).toHaveLength(0);
    expect((await caught(channel.fetchMedia(unknown, 8))).code).toBe("too_large");
    expect(dl.calls).toHaveLength(1);
  });

  it("says not_found for media it no longer holds", async () => {
    const { channel } = await started();
    expect((await caught(channel.fetchMedia({ kind: "image", ref: `${ANA}:GONE` }, 100))).code).toBe("not_found");
  });
});

describe("WhatsappChannel probe and login", () => {
  it("probes the saved credentials without connecting", async () => {
    const { channel, fake } = await setup();
    expect(await channel.probe()).toMatchObject({ ok: true, identity: "+15550001111" });
    expect(fake.sockets).toHaveLength(0);
  });

  it("probe says how to link when there are no credentials", async () => {
    const { channel } = await setup({ linked: false });
    expect(await channel.probe()).toEqual({
      ok: false,
      detail: "whatsapp account default is not linked yet. Fix: run 'pincer channels login whatsapp --account default'",
    });
  });

  it("links: shows each QR, follows the 515 restart after pairing and resolves once open with creds saved", async () => {
    const { channel, fake } = await setup({ linked: false });
    const qrs: string[] = [];
    const login = channel.login({ onQr: (qr) => qrs.push(qr), signal: new AbortController().signal });
    await vi.waitFor(() => expect(fake.sockets).toHaveLength(1));
    fake.showQr("QR-1");
    fake.showQr("QR-2");
    fake.pair();
    expect(await login).toEqual({ identity: "+15550001111" });
    expect(qrs).toEqual(["QR-1", "QR-2"]);
    expect(fake.sockets).toHaveLength(2);
    expect(fake.socket.ended).toBe(true);
    const creds = JSON.parse(await readFile(join(authDir(), "creds.json"), "utf8")) as { me?: { id: string } };
    expect(creds.me?.id).toBe("15550001111:7@s.whatsapp.net");
    expect(await channel.probe()).toMatchObject({ ok: true, identity: "+15550001111" });
  });

  it("login returns the linked number without connecting when already linked", async () => {
    const { channel, fake } = await setup();
    expect(await channel.login({ onQr: () => undefined, signal: new AbortController().signal })).toEqual({ identity: "+15550001111" });
    expect(fake.sockets).toHaveLength(0);
  });

  it("login rejects on abort and when WhatsApp refuses the link", async () => {
    const { channel, fake } = await setup({ linked: false });
    const abort = new AbortController();
    const aborted = channel.login({ onQr: () => undefined, signal: abort.signal });
    await vi.waitFor(() => expect(fake.sockets).toHaveLength(1));
    abort.abort(new Error("cancelled"));
    await expect(aborted).rejects.toThrow("cancelled");
    expect(fake.sockets[0]?.ended).toBe(true);

    const refused = channel.login({ onQr: () => undefined, signal: new AbortController().signal });
    await vi.waitFor(() => expect(fake.sockets).toHaveLength(2));
    fake.close(DisconnectReason.loggedOut);
    expect((await caught(refused)).code).toBe("auth_failed");
  });

  it("login gives up when the QR codes ran out unscanned", async () => {
    const { channel, fake } = await setup({ linked: false });
    const login = channel.login({ onQr: () => undefined, signal: new AbortController().signal });
    await vi.waitFor(() => expect(fake.sockets).toHaveLength(1));
    fake.showQr("QR-1");
    fake.close(DisconnectReason.timedOut);
    expect((await caught(login)).message).toContain("no phone scanned the QR code in time");
  });
});
