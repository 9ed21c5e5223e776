// Inbound attachments → files in the agent's workspace (`inbox/<date>/`) and lines the agent reads: images become
// `[image: <path>]` (attached to the model call as pixels), voice is transcribed when media.transcription is set,
// everything else is announced with its path. Over `media_max_mb` nothing is downloaded.
import { randomBytes } from "node:crypto";
import { extname, join } from "node:path";
import type { Logger } from "pino";
import type { ChannelAccountConfig } from "../core/channel-config.ts";
import { ChannelError } from "../core/errors.ts";
import type { InboundMedia, InboundMessage } from "../core/inbound.ts";
import type { Transcriber } from "../models/transcription.ts";
import { writeWorkspaceFile } from "../tools/workspace-fs.ts";
import { canFetchMedia, type Channel } from "./kit/channel.ts";
import { ownEntry } from "../core/own-entry.ts";

export interface MediaStagerOptions {
  workspaceFor: (agentId: string) => string;
  transcribe: Transcriber | undefined;
  log: Logger;
  now: () => number;
}

const EXT: Record<string, string> = {
  "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
  "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/wav": ".wav", "video/mp4": ".mp4", "application/pdf": ".pdf",
};

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** A file name safe on every filesystem, keeping the extension. */
function safeName(media: Pick<InboundMedia, "kind" | "fileName">, mimeType: string): string {
  const raw = media.fileName ?? `${media.kind}${ownEntry(EXT, mimeType) ?? ""}`;
  const cleaned = raw.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "").slice(-80) || media.kind;
  return extname(cleaned) ? cleaned : `${cleaned}${ownEntry(EXT, mimeType) ?? ""}`;
}

/** The line that hands an image in the workspace to the model (agent/input-media.ts attaches its pixels). */
export const imageLine = (rel: string): string => `[image: ${rel}]`;

/** Writes an inbound file to `<workspace>/inbox/<day>/<random>-<name>` (0600, folders 0700); returns its workspace-relative path. */
export async function saveInboxFile(workspace: string, file: { bytes: Uint8Array; mimeType: string; media: Pick<InboundMedia, "kind" | "fileName"> }, now: number): Promise<string> {
  const day = new Date(now).toISOString().slice(0, 10);
  const rel = join("inbox", day, `${randomBytes(4).toString("hex")}-${safeName(file.media, file.mimeType)}`);
  await writeWorkspaceFile(workspace, rel, file.bytes, { mode: 0o600, dirMode: 0o700 });
  return rel;
}

export type MediaStager = (channel: Channel, msg: InboundMessage, agentId: string, account: ChannelAccountConfig) => Promise<string[]>;

/** Contract: never throws; a media item that cannot be fetched becomes a line saying so. */
export function createMediaStager(opts: MediaStagerOptions): MediaStager {
  return async (channel, msg, agentId, account) => {
    const maxBytes = Math.floor(account.media_max_mb * 1024 * 1024);
    const lines: string[] = [];
    for (const media of msg.media) {
      const label = media.fileName ?? media.kind;
      if (media.sizeBytes !== undefined && media.sizeBytes > maxBytes) {
        lines.push(`[${media.kind} not downloaded: ${label} is ${mb(media.sizeBytes)}, over the ${account.media_max_mb} MB limit (media_max_mb)]`);
        continue;
      }
      if (!canFetchMedia(channel)) {
        lines.push(`[${media.kind} received (${label}); this channel cannot download it]`);
        continue;
      }
      try {
        const file = await channel.fetchMedia(media, maxBytes);
        const mimeType = media.mimeType ?? file.mimeType;
        const rel = await saveInboxFile(opts.workspaceFor(agentId), { bytes: file.bytes, mimeType, media: { ...media, fileName: media.fileName ?? file.fileName } }, opts.now());
        lines.push(await describe(media, rel, file.bytes, mimeType, opts));
      } catch (err) {
        const tooLarge = err instanceof ChannelError && err.code === "too_large";
        opts.log.warn({ channel: msg.channel, kind: media.kind, code: err instanceof ChannelError ? err.code : undefined }, "inbound media not fetched");
        lines.push(tooLarge ? `[${media.kind} not downloaded: ${label} is over the ${account.media_max_mb} MB limit (media_max_mb)]` : `[${media.kind} received (${label}) but it could not be downloaded]`);
      }
    }
    return lines;
  };
}

async function describe(media: InboundMedia, rel: string, bytes: Uint8Array, mimeType: string, opts: MediaStagerOptions): Promise<string> {
  if (media.kind === "image") return imageLine(rel);
  if (media.kind === "audio") {
    if (!opts.transcribe) return `[audio file received: ${rel} (${mimeType}, ${mb(bytes.length)}); no transcription is configured (media.transcription)]`;
    try {
      const text = await opts.transcribe({ bytes, mimeType, fileName: rel.split("/").at(-1)! });
      return `[voice message, transcribed from ${rel}]: ${text}`;
    } catch (err) {
      opts.log.warn({ code: (err as { code?: string }).code }, "transcription failed");
      return `[audio file received: ${rel}; transcription failed]`;
    }
  }
  return `[${media.kind} received: ${rel} (${mimeType}, ${mb(bytes.length)})]`;
}
