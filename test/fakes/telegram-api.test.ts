// Drives the fake Telegram Bot API with grammY's real client: envelopes, long polling and offsets, HTML checks,
// multipart uploads, file downloads, scripted failures, webhooks and several bots on one fake.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Api, GrammyError, InputFile } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTelegramFake } from "./telegram-api.ts";
import type { TelegramFake } from "./telegram-api.ts";
import { parseTelegramHtml } from "./telegram-wire.ts";

const ALICE = { id: 42, first_name: "Alice", username: "alice" };
const GROUP = { id: -1001234, type: "supergroup" as const, title: "Friends" };
let fake: TelegramFake;
let api: Api;

beforeEach(async () => {
  fake = await startTelegramFake({ bots: [{ token: "111:AAA", id: 111, username: "one_bot" }, { token: "222:BBB", id: 222, username: "two_bot" }] });
  api = new Api("111:AAA", { apiRoot: fake.apiRoot });
});
afterEach(() => fake.close());

async function rejection(p: Promise<unknown>): Promise<GrammyError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(GrammyError);
  return err as GrammyError;
}

describe("fake Telegram Bot API", () => {
  it("answers getMe per token and 401 for an unknown one", async () => {
    expect(await api.getMe()).toMatchObject({ id: 111, is_bot: true, username: "one_bot" });
    expect(await new Api("222:BBB", { apiRoot: fake.apiRoot }).getMe()).toMatchObject({ id: 222, username: "two_bot" });
    const err = await rejection(new Api("999:nope", { apiRoot: fake.apiRoot }).getMe());
    expect([err.error_code, err.description]).toEqual([401, "Unauthorized"]);
  });

  it("holds a long poll until an update arrives, and confirms updates below the offset", async () => {
    const poll = api.getUpdates({ timeout: 10 });
    await new Promise((r) => setTimeout(r, 50));
    const { update } = fake.dmFrom("111:AAA", ALICE, "hello");
    const [got] = await poll;
    expect(got?.update_id).toBe(update.update_id);
    expect(got?.message?.text).toBe("hello");
    expect(await api.getUpdates({ timeout: 0 })).toHaveLength(1); // not confirmed yet
    expect(await api.getUpdates({ offset: update.update_id + 1, timeout: 0 })).toEqual([]);
    expect(fake.pendingUpdates("111:AAA")).toEqual([]);
  });

  it("keeps each bot's updates apart", async () => {
    fake.dmFrom("222:BBB", ALICE, "for two");
    expect(await api.getUpdates({ timeout: 0 })).toEqual([]);
    const two = await new Api("222:BBB", { apiRoot: fake.apiRoot }).getUpdates({ timeout: 0 });
    expect(two.map((u) => u.message?.text)).toEqual(["for two"]);
  });

  it("answers 409 to a poll replaced by another, and to polls while a webhook is set", async () => {
    const first = api.getUpdates({ timeout: 10 });
    await new Promise((r) => setTimeout(r, 50));
    const second = api.getUpdates({ timeout: 1 });
    expect((await rejection(first)).error_code).toBe(409);
    await second;
    await api.setWebhook("https://example.test/hook", { secret_token: "s3cret" });
    expect(fake.webhookOf("111:AAA")).toMatchObject({ url: "https://example.test/hook", secret_token: "s3cret" });
    expect((await rejection(api.getUpdates({ timeout: 0 }))).description).toMatch(/webhook is active/);
    const req = fake.webhookRequest("111:AAA", { update_id: 1 });
    expect(req.headers.get("x-telegram-bot-api-secret-token")).toBe("s3cret");
    expect(fake.webhookRequest("111:AAA", { update_id: 1 }, { secret: null }).headers.has("x-telegram-bot-api-secret-token")).toBe(false);
    await api.deleteWebhook();
    expect(await api.getUpdates({ timeout: 0 })).toEqual([]);
  });

  it("records sent messages, rejects broken HTML like Telegram, and replies within a thread", async () => {
    const { message } = fake.groupMention("111:AAA", GROUP, ALICE, "hi");
    expect(message.entities).toEqual([{ type: "mention", offset: 0, length: 8 }]);
    const sent = await api.sendMessage(GROUP.id, "<b>bold</b> &amp; <i>it</i>", {
      parse_mode: "HTML",
      reply_parameters: { message_id: message.message_id },
      message_thread_id: 7,
    });
    expect(sent.text).toBe("bold & it");
    expect(sent.reply_to_message?.message_id).toBe(message.message_id);
    expect(fake.sent[0]).toMatchObject({ method: "sendMessage", chat_id: String(GROUP.id), parse_mode: "HTML", reply_to_message_id: message.message_id, message_thread_id: 7 });
    const err = await rejection(api.sendMessage(GROUP.id, "<b>open", { parse_mode: "HTML" }));
    expect(err.description).toMatch(/^Bad Request: can't parse entities: /);
    expect((await rejection(api.sendMessage(-5, "x"))).description).toBe("Bad Request: chat not found");
  });

  it("accepts multipart uploads with attach:// files and serves downloads", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tg-fake-"));
    try {
      const path = join(dir, "cat pic.png");
      await writeFile(path, Buffer.from([1, 2, 3, 4, 5]));
      fake.addChat("111:AAA", { id: 42, type: "private" });
      const sent = await api.sendPhoto(42, new InputFile(path), { caption: "<i>cat</i>", parse_mode: "HTML" });
      expect(sent.caption).toBe("cat");
      expect(fake.sent[0]?.file).toEqual({ field: "photo", name: "cat pic.png", bytes: Buffer.from([1, 2, 3, 4, 5]) });
      const file = await api.getFile(sent.photo[0]!.file_id);
      const res = await fetch(`${fake.apiRoot}/file/bot111:AAA/${file.file_path}`);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads parameters from query strings and urlencoded bodies, and edits messages", async () => {
    fake.dmFrom("111:AAA", ALICE, "hi");
    const viaQuery = await fetch(`${fake.apiRoot}/bot111:AAA/sendMessage?chat_id=42&text=${encodeURIComponent("<b>q</b>")}&parse_mode=HTML`);
    expect(await viaQuery.json()).toMatchObject({ ok: true, result: { text: "q", chat: { id: 42 } } });
    const viaForm = await fetch(`${fake.apiRoot}/bot111:AAA/sendMessage`, { method: "POST", body: new URLSearchParams({ chat_id: "42", text: "form" }) });
    expect(await viaForm.json()).toMatchObject({ ok: true, result: { text: "form" } });
    const edited = await api.editMessageText(42, fake.sent[1]!.message.message_id, "<i>edited</i>", { parse_mode: "HTML" });
    expect(edited).toMatchObject({ text: "edited" });
    expect(fake.sent.map((s) => s.method)).toEqual(["sendMessage", "sendMessage", "editMessageText"]);
    expect(await api.getWebhookInfo()).toMatchObject({ url: "", pending_update_count: 1 });
  });

  it("fails the next calls of a method as scripted, with retry_after", async () => {
    fake.failNext("getMe", 1, 429, 3);
    const err = await rejection(api.getMe());
    expect([err.error_code, err.parameters.retry_after]).toEqual([429, 3]);
    expect((await api.getMe()).id).toBe(111);
  });

  it("waits for N sent messages and counts typing", async () => {
    fake.dmFrom("111:AAA", ALICE, "hey");
    const waiting = fake.waitForSent(2, 2_000);
    await api.sendChatAction(42, "typing");
    await api.sendMessage(42, "one");
    await api.sendMessage(42, "two");
    expect((await waiting).map((s) => s.text)).toEqual(["one", "two"]);
    expect(fake.typingCount(42)).toBe(1);
  });
});

describe("parseTelegramHtml", () => {
  it("decodes entities and rejects unknown or unbalanced tags", () => {
    expect(parseTelegramHtml('<a href="https://x.test/?a=1&amp;b=2">x</a> &lt;3 &#33;')).toEqual({ ok: true, text: "x <3 !" });
    expect(parseTelegramHtml("<pre><code class=\"language-ts\">a</code></pre>")).toEqual({ ok: true, text: "a" });
    expect(parseTelegramHtml("<b><i>x</b></i>")).toMatchObject({ ok: false, reason: expect.stringMatching(/Unmatched end tag/) });
    expect(parseTelegramHtml("<div>x</div>")).toMatchObject({ ok: false, reason: expect.stringMatching(/Unsupported start tag "div"/) });
    expect(parseTelegramHtml("5 < 6")).toMatchObject({ ok: false });
  });
});
