// Images attached to a /ws chat.send: decoded, capped, checked to be what they claim by their first bytes, and saved
// to the agent's workspace inbox like a channel's photos, so the turn's `[image: …]` lines hand them to the model.
import { imageLine, saveInboxFile } from "../channels/inbound-media.ts";
import { MAX_ATTACHMENT_BYTES, MAX_MESSAGE_ATTACHMENT_BYTES, type Attachment } from "./ws-protocol.ts";

export type DecodedImage = { bytes: Uint8Array; mimeType: string; name: string | undefined };

const SIGNATURES: Record<string, (b: Uint8Array) => boolean> = {
  "image/png": (b) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((v, i) => b[i] === v),
  "image/jpeg": (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  "image/gif": (b) => ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a",
  "image/webp": (b) => ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP",
};

function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}

/** Decodes and checks the attachments. Contract: never throws; a refusal names the attachment (`attachments.<i>`). */
export function decodeAttachments(attachments: Attachment[]): { ok: true; images: DecodedImage[] } | { ok: false; message: string; path: string } {
  const images: DecodedImage[] = [];
  let total = 0;
  for (const [i, a] of attachments.entries()) {
    const bytes = new Uint8Array(Buffer.from(a.data, "base64"));
    const path = `attachments.${i}`;
    if (bytes.length > MAX_ATTACHMENT_BYTES) return { ok: false, path, message: `${path}: the image is over ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB` };
    total += bytes.length;
    if (total > MAX_MESSAGE_ATTACHMENT_BYTES) return { ok: false, path, message: `${path}: the images of one message may be at most ${MAX_MESSAGE_ATTACHMENT_BYTES / 1024 / 1024} MB together` };
    if (!SIGNATURES[a.mimeType]?.(bytes)) return { ok: false, path: `${path}.data`, message: `${path}.data: the bytes are not a ${a.mimeType} image` };
    images.push({ bytes, mimeType: a.mimeType, name: a.name });
  }
  return { ok: true, images };
}

/** Saves the images to `<workspace>/inbox/<day>/` and returns the lines that attach them to the turn. */
export async function saveAttachments(workspace: string, images: DecodedImage[], now: number): Promise<string[]> {
  const lines: string[] = [];
  for (const image of images) {
    const rel = await saveInboxFile(workspace, { bytes: image.bytes, mimeType: image.mimeType, media: { kind: "image", fileName: image.name } }, now);
    lines.push(imageLine(rel));
  }
  return lines;
}
