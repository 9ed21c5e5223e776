// The fake Baileys socket keeps Baileys' shapes: one socket per makeSocket call, connection.update payloads with
// Boom-like errors, messages.upsert batches, recorded sends with key ids, and a creds.json Baileys itself can load.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DisconnectReason, useMultiFileAuthState } from "baileys";
import type { BaileysEventMap } from "baileys";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeWhatsapp, seedLinkedAuthDir } from "./whatsapp-socket.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pincer-wa-fake-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function socketFor(fake: FakeWhatsapp) {
  const { state } = await useMultiFileAuthState(dir);
  return fake.makeSocket({ auth: state, logger: pino({ level: "silent" }), getMessage: async () => undefined });
}

describe("fake WhatsApp socket", () => {
  it("seeds a linked creds.json that Baileys loads, and exposes it as sock.user", async () => {
    await seedLinkedAuthDir(dir);
    const sock = await socketFor(new FakeWhatsapp());
    expect(sock.user?.id).toBe("15550001111:7@s.whatsapp.net");
    expect(sock.user?.lid).toBe("987654321098765:7@lid");
  });

  it("emits connection updates like Baileys, one new socket per makeSocket call", async () => {
    await seedLinkedAuthDir(dir);
    const fake = new FakeWhatsapp();
    const first = await socketFor(fake);
    const updates: Array<BaileysEventMap["connection.update"]> = [];
    first.ev.on("connection.update", (u) => updates.push(u));
    fake.showQr("QR-1");
    fake.open();
    fake.close(DisconnectReason.connectionLost);
    await socketFor(fake);
    expect(fake.sockets).toHaveLength(2);
    expect(updates[0]).toEqual({ qr: "QR-1" });
    expect(updates[1]?.connection).toBe("open");
    expect(updates[2]?.connection).toBe("close");
    expect(updates[2]?.lastDisconnect?.error).toMatchObject({ output: { statusCode: 408 } });
  });

  it("pairing sets creds.me, emits creds.update and closes with 515", async () => {
    const fake = new FakeWhatsapp();
    const sock = await socketFor(fake);
    const events: string[] = [];
    sock.ev.on("creds.update", () => events.push("creds"));
    sock.ev.on("connection.update", (u) => u.connection && events.push(u.connection));
    fake.pair();
    expect(sock.user?.id).toBe("15550001111:7@s.whatsapp.net");
    expect(events).toEqual(["creds", "close"]);
  });

  it("delivers injected messages as a notify upsert with Baileys' message shape", async () => {
    await seedLinkedAuthDir(dir);
    const fake = new FakeWhatsapp();
    const sock = await socketFor(fake);
    const upserts: Array<BaileysEventMap["messages.upsert"]> = [];
    sock.ev.on("messages.upsert", (u) => upserts.push(u));
    fake.injectMessage({ remoteJid: "1203630@g.us", participant: "4912345@s.whatsapp.net", text: "hi @bot", mentionedJid: [fake.ownJid] });
    expect(upserts[0]?.type).toBe("notify");
    const msg = upserts[0]?.messages[0];
    expect(msg?.key).toMatchObject({ remoteJid: "1203630@g.us", participant: "4912345@s.whatsapp.net", fromMe: false });
    expect(msg?.message?.extendedTextMessage?.contextInfo?.mentionedJid).toEqual(["15550001111@s.whatsapp.net"]);
  });

  it("records sends with a key id, fails on demand and after the socket ended", async () => {
    await seedLinkedAuthDir(dir);
    const fake = new FakeWhatsapp();
    const sock = await socketFor(fake);
    const sent = await sock.sendMessage("4912345@s.whatsapp.net", { text: "hello" });
    expect(sent?.key.id).toMatch(/^3EB0FAKE/);
    expect(fake.sent[0]).toMatchObject({ jid: "4912345@s.whatsapp.net", text: "hello", socket: 0 });
    fake.failNextSend(1, 503);
    await expect(sock.sendMessage("x@s.whatsapp.net", { text: "a" })).rejects.toMatchObject({ output: { statusCode: 503 } });
    await sock.end(undefined);
    await expect(sock.sendMessage("x@s.whatsapp.net", { text: "a" })).rejects.toMatchObject({ output: { statusCode: 428 } });
    expect(await fake.waitForSent(1)).toHaveLength(1);
  });

  it("answers groupMetadata for known groups and 404 otherwise", async () => {
    await seedLinkedAuthDir(dir);
    const fake = new FakeWhatsapp({ groups: { "1203630@g.us": "Family" } });
    const sock = await socketFor(fake);
    expect((await sock.groupMetadata("1203630@g.us")).subject).toBe("Family");
    await expect(sock.groupMetadata("999@g.us")).rejects.toMatchObject({ output: { statusCode: 404 } });
  });
});
