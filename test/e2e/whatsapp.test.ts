// WhatsApp end to end at the Baileys socket boundary (there is no WhatsApp server to fake): the whole app in one
// process, the real adapter on a fake socket, the real routing, store and agent loop, the loopback fake model.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.ts";
import { createWhatsappChannel } from "../../src/channels/whatsapp/index.ts";
import { startFakeOpenAI, type FakeModelServer } from "../fakes/index.ts";
import { FakeWhatsapp, seedLinkedAuthDir } from "../fakes/whatsapp-socket.ts";
import { echoLastUserMessage, until } from "./harness.ts";

const GROUP = "120363000000000001@g.us";
const ANN = "15551230001@s.whatsapp.net";
const BOB = "15551230002@s.whatsapp.net";

let wa: FakeWhatsapp;
let model: FakeModelServer;
let dir: string;
let app: App;

const sentTo = (jid: string) => wa.sent.filter((s) => s.jid === jid);

beforeAll(async () => {
  wa = new FakeWhatsapp({ autoOpen: true, groups: { [GROUP]: "Family" } });
  model = await startFakeOpenAI({ apiKeys: ["k"] });
  echoLastUserMessage(model);
  dir = await mkdtemp(join(tmpdir(), "pincer-wa-"));
  const authDir = join(dir, "wa-auth");
  await seedLinkedAuthDir(authDir);
  await writeFile(join(dir, "pincer.yaml"), [
    "models:",
    `  providers: { fake: { type: openai-compatible, base_url: "${model.baseURL}", api_key: k } }`,
    "  tiers: { default: { primary: fake/m } }",
    "channels:",
    "  whatsapp:",
    "    accounts:",
    `      default: { auth_dir: "${authDir}", groups: { "${GROUP}": {} } }`,
  ].join("\n"));
  app = await createApp({ env: { PINCER_HOME: dir }, logger: pino({ level: "silent" }) });
  await app.startChannels({ factories: { whatsapp: (o) => createWhatsappChannel({ ...o, makeSocket: wa.makeSocket }) }, noticePollMs: 50 });
  await until("the connection", () => (app.channels!.status()[0]?.state === "connected" ? true : undefined));
});

afterAll(async () => {
  await app.close();
  await model.close();
  await rm(dir, { recursive: true, force: true });
});

describe("WhatsApp through the whole app", () => {
  it("pairs an unknown sender without a model call; approval lets the next message through", async () => {
    const calls = model.requests.length;
    wa.injectMessage({ remoteJid: ANN, text: "hi there", pushName: "Ann" });
    const [pairing] = await until("the pairing code", () => (sentTo(ANN).length > 0 ? sentTo(ANN) : undefined));
    const code = /pincer pairing approve whatsapp ([A-Z2-9]{8})/.exec(pairing!.text ?? "")?.[1];
    expect(code).toBeDefined();
    expect(model.requests.length).toBe(calls);
    const request = await app.store.pairing.approve("whatsapp", code!);
    expect(request).toMatchObject({ senderId: ANN, senderName: "Ann" });
    wa.injectMessage({ remoteJid: ANN, text: "how are you" });
    await until("the answer", () => sentTo(ANN).find((s) => s.text === "echo: how are you"));
    expect(wa.presence.some((p) => p.type === "composing" && p.jid === ANN)).toBe(true);
  });

  it("answers a group mention quoting it, with the unmentioned messages as context", async () => {
    const calls = model.requests.length;
    wa.injectMessage({ remoteJid: GROUP, participant: BOB, pushName: "Bob", text: "dinner at 8?" });
    await new Promise((r) => setTimeout(r, 500));
    expect(model.requests.length).toBe(calls);
    expect(sentTo(GROUP)).toHaveLength(0);
    const mention = wa.injectMessage({ remoteJid: GROUP, participant: ANN, pushName: "Ann", text: "@15550001111 what do you think?", mentionedJid: [wa.ownJid] });
    const reply = await until("the group answer", () => sentTo(GROUP)[0]);
    expect(reply.quotedId).toBe(mention.key.id);
    expect(reply.text).toContain("Bob: dinner at 8?");
  });

  it("answers /status and /new without a model call", async () => {
    const calls = model.requests.length;
    wa.injectMessage({ remoteJid: ANN, text: "/status" });
    const status = await until("the status", () => sentTo(ANN).find((s) => (s.text ?? "").startsWith("Agent: default")));
    expect(status.text).toContain(`Session: agent:default:whatsapp:dm:${ANN}`);
    wa.injectMessage({ remoteJid: ANN, text: "/new" });
    await until("the /new answer", () => sentTo(ANN).find((s) => /New conversation started/.test(s.text ?? "")));
    expect(model.requests.length).toBe(calls);
  });

  it("sends a long answer in chunks under 4,000 characters and retries a failed send once, without duplicates", async () => {
    const long = Array.from({ length: 12 }, (_, i) => `Part ${i}. ` + "the quick brown fox jumps over the lazy dog ".repeat(20).trim() + ".").join("\n\n");
    model.enqueue({ text: long });
    wa.failNextSend(1, 503);
    const before = sentTo(ANN).length;
    wa.injectMessage({ remoteJid: ANN, text: "tell me everything" });
    const chunks = await until("all chunks", () => {
      const mine = sentTo(ANN).slice(before);
      return mine.some((s) => (s.text ?? "").includes("Part 11.")) ? mine : undefined;
    }, 20_000);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) expect((c.text ?? "").length).toBeLessThanOrEqual(4000);
    expect(chunks.filter((c) => (c.text ?? "").startsWith("Part 0."))).toHaveLength(1);
  });

  it("starts no second run when WhatsApp hands over the same message again (offline queue)", async () => {
    const calls = model.requests.length;
    const msg = wa.injectMessage({ remoteJid: ANN, text: "just once" });
    await until("the answer", () => sentTo(ANN).find((s) => s.text === "echo: just once"));
    wa.upsert([msg], "append");
    await new Promise((r) => setTimeout(r, 500));
    expect(sentTo(ANN).filter((s) => s.text === "echo: just once")).toHaveLength(1);
    expect(model.requests.length).toBe(calls + 1);
  });
});
