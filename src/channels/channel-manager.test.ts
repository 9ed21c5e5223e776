// The channel manager in one process (embedded runtime) against the Telegram fake and the fake model:
// reply outcomes (silent, files, failures), permanent send errors recorded on the run, notices, lost replies resent.
import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { startTelegramFake, type TelegramFake } from "../../test/fakes/telegram-api.ts";
import { createApp, type App } from "../app.ts";
import { until } from "../../test/e2e/harness.ts";

let tg: TelegramFake;
let model: FakeModelServer;
let dir: string;
let app: App;
const ANN = { id: 501, first_name: "Ann" };


beforeEach(async () => {
  tg = await startTelegramFake();
  model = await startFakeOpenAI({ apiKeys: ["k"] });
  dir = await mkdtemp(join(tmpdir(), "pincer-channels-"));
  await writeFile(join(dir, "pincer.yaml"), [
    "models:",
    "  providers: { fake: { type: openai-compatible, base_url: " + model.baseURL + ", api_key: k } }",
    "  tiers: { default: { primary: fake/m } }",
    "channels:",
    "  telegram:",
    "    accounts:",
    "      default: { token: '" + tg.token + "', api_root: '" + tg.apiRoot + "', dm_policy: open }",
  ].join("\n"));
  app = await createApp({ env: { PINCER_HOME: dir }, logger: pino({ level: "silent" }) });
  await app.startChannels({ noticePollMs: 50 });
});

afterEach(async () => {
  await app.close();
  await tg.close();
  await model.close();
  await rm(dir, { recursive: true, force: true });
});

const sentToAnn = () => tg.sent.filter((s) => s.chat_id === String(ANN.id));

describe("channel manager", () => {
  it("sends nothing for NO_REPLY, and a workspace file for a MEDIA line", async () => {
    model.enqueue({ text: "NO_REPLY" });
    tg.dmFrom(tg.token, ANN, "shh");
    await until("the silent run", async () => ((await app.store.runs.list({ status: ["succeeded"] })).length === 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect(sentToAnn()).toHaveLength(0);

    await mkdir(join(app.workspaceFor("default"), "out"), { recursive: true });
    await writeFile(join(app.workspaceFor("default"), "out", "note.txt"), "hello file");
    model.enqueue({ text: "Here it is.\nMEDIA: out/note.txt" });
    tg.dmFrom(tg.token, ANN, "send the note");
    const sent = await until("text and file", () => (sentToAnn().length >= 2 ? sentToAnn() : undefined));
    expect(sent[0]!.text).toBe("Here it is.");
    expect(sent[1]).toMatchObject({ method: "sendDocument", file: { name: "note.txt" } });
    expect(sent[1]!.file!.bytes.toString()).toBe("hello file");
  });

  it("refuses to send files outside the workspace", async () => {
    model.enqueue({ text: "MEDIA: /etc/passwd" });
    tg.dmFrom(tg.token, ANN, "leak it");
    const [msg] = await until("the refusal", () => (sentToAnn().length >= 1 ? sentToAnn() : undefined));
    expect(msg!.text).toMatch(/only files in the agent's workspace can be sent|file not found/);
    expect(tg.sent.some((s) => s.method === "sendDocument")).toBe(false);
  });

  it("tells the chat when the run failed, and records a permanent send failure on the run", async () => {
    model.enqueue({ error: { status: 400, message: "bad things" } });
    tg.dmFrom(tg.token, ANN, "fail please");
    const [notice] = await until("the failure notice", () => (sentToAnn().length >= 1 ? sentToAnn() : undefined));
    expect(notice!.text).toMatch(/^⚠️ I couldn't answer that:/);

    tg.failNext("sendMessage", 1, 403, undefined, "Forbidden: bot was blocked by the user");
    tg.dmFrom(tg.token, ANN, "hello");
    const run = await until("the failed delivery", async () => (await app.store.runs.list({ status: ["succeeded"] })).find((r) => r.errorCode === "delivery_failed"));
    expect(run.error).toMatch(/blocked/);
    expect(await app.store.audit.list({ kind: "reply.failed" })).toHaveLength(1);
  });

  it("sends queued notices (pairing approvals) and resends replies a restart lost", async () => {
    tg.addChat(tg.token, { id: ANN.id, type: "private" });
    await app.store.notices.enqueue({ channel: "telegram", account: "default", chatId: String(ANN.id), text: "You're approved." });
    await until("the notice", () => sentToAnn().find((s) => s.text === "You're approved."));
    await until("the notice marked sent", async () => ((await app.store.notices.pending("telegram", "default")).length === 0 ? true : undefined));

    await app.store.sessions.ensure({ key: "agent:default:telegram:dm:501", agentId: "default", channel: "telegram" });
    const origin = { channel: "telegram", account: "default", chatKind: "dm" as const, chatId: String(ANN.id), senderId: String(ANN.id) };
    await app.store.runs.create({ id: "run_lost", sessionKey: "agent:default:telegram:dm:501", agentId: "default", input: "x", origin });
    await app.store.runs.update("run_lost", { status: "succeeded", reply: "the lost reply", finishedAt: Date.now() });
    expect(await app.channels!.recoverReplies()).toBe(1);
    await until("the lost reply", () => sentToAnn().find((s) => s.text === "the lost reply"));
    expect(await app.channels!.recoverReplies()).toBe(0);
  });

  it("stages an inbound photo in the workspace and shows it to the model as an image", async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6, 7, 8]);
    tg.injectMessage(tg.token, { chat: { id: ANN.id, type: "private" }, from: ANN, caption: "what is this?", photo: { bytes: jpeg } });
    await until("the answer", () => sentToAnn().find((s) => (s.text ?? "").length > 0));
    const body = model.requests.at(-1)!.body as { messages: Array<{ role: string; content: unknown }> };
    const user = body.messages.filter((m) => m.role === "user").at(-1)!;
    const parts = user.content as Array<{ type: string; text?: string; image_url?: { url: string } }>;
    expect(parts[0]!.text).toMatch(/^what is this\?\n\[image: inbox\/\d{4}-\d\d-\d\d\/[0-9a-f]{8}-[\w.-]+\.jpg\]$/);
    expect(parts[1]!.image_url!.url).toBe(`data:image/jpeg;base64,${jpeg.toString("base64")}`);
    const rel = /\[image: ([^\]]+)\]/.exec(parts[0]!.text!)![1]!;
    expect(await readFile(join(app.workspaceFor("default"), rel))).toEqual(jpeg);
    // The transcript keeps the marker, not the pixels.
    const transcript = await app.store.transcript.list("agent:default:telegram:dm:501");
    expect(JSON.stringify(transcript[0]!.content)).not.toContain("base64");
  });
});

describe("voice messages", () => {
  let stt: Server;
  let sttUrl = "";
  const uploads: string[] = [];
  beforeEach(async () => {
    stt = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString("latin1")));
      req.on("end", () => {
        uploads.push(`${req.url} ${req.headers.authorization} ${/name="model"\r\n\r\n([^\r]+)/.exec(body)?.[1]}`);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ text: "remind me to buy milk" }));
      });
    });
    await new Promise<void>((r) => stt.listen(0, "127.0.0.1", r));
    sttUrl = `http://127.0.0.1:${(stt.address() as { port: number }).port}/v1`;
  });
  afterEach(() => new Promise<void>((r) => stt.close(() => r())));

  it("transcribes a voice message when media.transcription is set, and says an audio file arrived otherwise", async () => {
    tg.injectMessage(tg.token, { chat: { id: ANN.id, type: "private" }, from: ANN, voice: { bytes: Buffer.from("OggS-fake-voice"), mime_type: "audio/ogg" } });
    await until("the first answer", () => sentToAnn().find((s) => (s.text ?? "").length > 0));
    const first = JSON.stringify(model.requests.at(-1)!.body);
    expect(first).toMatch(/\[audio file received: inbox\/[^ ]+\.og[ga] \(audio\/ogg, 0\.0 MB\); no transcription is configured \(media.transcription\)\]/);

    const file = join(dir, "pincer.yaml");
    const yaml = `${await readFile(file, "utf8")}\nmedia:\n  transcription: { provider: stt, model: whisper-large }\n`.replace("providers: { fake:", `providers: { stt: { type: openai-compatible, base_url: ${sttUrl}, api_key: stt-key }, fake:`);
    await writeFile(file, yaml);
    await app.close();
    app = await createApp({ env: { PINCER_HOME: dir }, logger: pino({ level: "silent" }) });
    await app.startChannels();
    const before = sentToAnn().length;
    tg.injectMessage(tg.token, { chat: { id: ANN.id, type: "private" }, from: ANN, voice: { bytes: Buffer.from("OggS-fake-voice-2"), mime_type: "audio/ogg" } });
    await until("the second answer", () => (sentToAnn().length > before ? true : undefined));
    expect(uploads).toEqual(["/v1/audio/transcriptions Bearer stt-key whisper-large"]);
    expect(JSON.stringify(model.requests.at(-1)!.body)).toContain("[voice message, transcribed from inbox/");
    expect(JSON.stringify(model.requests.at(-1)!.body)).toContain("]: remind me to buy milk");
  });
});
