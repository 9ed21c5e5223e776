import type { WAMessage } from "baileys";
import { describe, expect, it } from "vitest";
import { toInbound } from "./whatsapp-inbound.ts";

const ctx = { account: "default", me: { id: "15550001111:7@s.whatsapp.net", lid: "987654321098765:7@lid" }, now: () => 42 };
const ANA = "4915112345678@s.whatsapp.net";

describe("toInbound", () => {
  it("unwraps ephemeral and view-once messages and reads Long timestamps and sizes", () => {
    const msg = {
      key: { remoteJid: ANA, id: "A1", fromMe: false },
      messageTimestamp: { toNumber: () => 1_700_000_000 },
      message: { ephemeralMessage: { message: { viewOnceMessageV2: { message: { videoMessage: { caption: "clip", mimetype: "video/mp4", fileLength: { toNumber: () => 77 } } } } } } },
    } as unknown as WAMessage;
    expect(toInbound(msg, ctx)).toMatchObject({
      text: "clip", at: 1_700_000_000_000, media: [{ kind: "video", ref: `${ANA}:A1`, mimeType: "video/mp4", sizeBytes: 77 }],
    });
  });

  it("falls back to now without a timestamp", () => {
    expect(toInbound({ key: { remoteJid: ANA, id: "A2" }, message: { conversation: "hi" } }, ctx)?.at).toBe(42);
  });

  it("skips group messages without a participant, newsletters and edits", () => {
    expect(toInbound({ key: { remoteJid: "1203@g.us", id: "G1" }, message: { conversation: "hi" } }, ctx)).toBeUndefined();
    expect(toInbound({ key: { remoteJid: "1203@newsletter", id: "N1" }, message: { conversation: "hi" } }, ctx)).toBeUndefined();
    const edit = { protocolMessage: { type: 14, editedMessage: { conversation: "changed" } } };
    expect(toInbound({ key: { remoteJid: ANA, id: "E1" }, message: edit } as WAMessage, ctx)).toBeUndefined();
  });

  it("sees a mention and a quote of ours in an image caption's context", () => {
    const msg: WAMessage = {
      key: { remoteJid: "1203@g.us", id: "G2", participant: ANA },
      message: { imageMessage: { caption: "@bot this?", contextInfo: { mentionedJid: ["15550001111@s.whatsapp.net"], stanzaId: "S1", participant: "987654321098765@lid", quotedMessage: { conversation: "earlier" } } } },
    };
    expect(toInbound(msg, ctx)).toMatchObject({ mentioned: true, replyTo: { messageId: "1203@g.us:S1", fromBot: true, text: "earlier" } });
  });
});
