// Pure helpers for files on Telegram: the Bot API's size limits, which send method an outbound file takes, and
// reading a download only up to a byte cap. The calls themselves are TelegramChannel's.
import type { OutboundMedia } from "../kit/channel.ts";

export const MB = 1024 * 1024;
export const UPLOAD_LIMIT = 50 * MB; // Bot API limit for files a bot sends
export const CAPTION_LIMIT = 1024; // characters per media caption
const PHOTO_LIMIT = 10 * MB; // larger images go as documents
const PHOTO_TYPES = new Set(["image/jpeg", "image/png", "image/webp"]);

export type UploadMethod = "sendPhoto" | "sendAudio" | "sendVideo" | "sendDocument";

/** Photos must be JPEG/PNG/WebP of at most 10 MB; anything else that is not audio or video goes as a document. */
export function uploadMethodOf(media: Pick<OutboundMedia, "kind" | "mimeType">, sizeBytes: number): UploadMethod {
  if (media.kind === "image") return PHOTO_TYPES.has(media.mimeType) && sizeBytes <= PHOTO_LIMIT ? "sendPhoto" : "sendDocument";
  if (media.kind === "audio") return "sendAudio";
  if (media.kind === "video") return "sendVideo";
  return "sendDocument";
}

export { readCapped } from "../../core/capped-body.ts";

export function formatMb(bytes: number): string {
  return `${(bytes / MB).toFixed(bytes < MB ? 2 : 1)} MB`;
}
