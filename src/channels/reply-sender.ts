// Sends a reply (or a notice) to a chat through its Channel: chunked to the platform's limit, reply-to threading,
// files from the agent's workspace, each message keyed for idempotency in the store, transient failures retried
// with backoff, permanent ones recorded.
import { basename, extname } from "node:path";
import type { Logger } from "pino";
import type { ChannelAccountConfig } from "../core/channel-config.ts";
import { ChannelError, ToolError } from "../core/errors.ts";
import type { ReplyRoute } from "../core/inbound.ts";
import type { Store } from "../store/store.ts";
import { openWorkspaceFile, type OpenedFile } from "../tools/workspace-fs.ts";
import { backoffDelay, sleep } from "./kit/backoff.ts";
import { repliesInThreads, type Channel, type OutboundMedia, type OutboundMessage } from "./kit/channel.ts";
import { chunkText } from "./kit/chunk-text.ts";
import { planReply } from "./kit/reply-directives.ts";

export interface ReplySenderOptions {
  store: Store;
  log: Logger;
  /** Attempts per message within one delivery before giving it back for a later retry. Default 4. */
  maxAttempts?: number;
  /** Backoff between attempts (ms); injectable for tests. */
  delay?: (attempt: number) => number;
}

export interface SendRequest {
  channel: Channel;
  account: ChannelAccountConfig;
  route: ReplyRoute;
  /** The reply as the model wrote it (Markdown with directives). */
  text: string;
  /** Prefix of the idempotency keys: `<runId>` for replies, `j<journalId>` for ingress answers, `notice:<id>`. */
  key: string;
  /** Where MEDIA paths are resolved; files elsewhere are refused. */
  workspace?: string;
}

export type SendOutcome =
  | { status: "sent"; messages: number }
  | { status: "silent" }
  | { status: "failed"; error: string };

/** Who may (re)claim a delivery: the one process holding the channel account, also after its own restart. */
const ownerOf = (route: ReplyRoute): string => `${route.channel}:${route.account}`;

export interface ReplySender {
  /** Contract: each message of a reply is sent at most once per key (across retries, redeliveries and restarts);
   * throws a retryable ChannelError when the platform stays unavailable, so the caller retries later. */
  send(req: SendRequest): Promise<SendOutcome>;
}

export function createReplySender(opts: ReplySenderOptions): ReplySender {
  const maxAttempts = opts.maxAttempts ?? 4;
  const delay = opts.delay ?? ((attempt: number) => backoffDelay(attempt, { baseMs: 500, maxMs: 10_000 }));

  async function sendOnce(req: SendRequest, key: string, message: OutboundMessage): Promise<"sent" | "skipped" | { failed: string }> {
    const { store } = opts;
    const claim = await store.deliveries.claim(key, ownerOf(req.route));
    if (!claim.claimed) {
      if (claim.record.status === "failed") return { failed: claim.record.error ?? "failed earlier" };
      return "skipped"; // sent already, or another process holds it
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const sent = await req.channel.send(message);
        await store.deliveries.complete(key, { platformMessageId: sent.messageId });
        return "sent";
      } catch (err) {
        const error = err instanceof ChannelError ? err : new ChannelError({ code: "network", message: String(err), channel: req.route.channel, cause: err });
        const permanent = !error.retryable;
        if (permanent || attempt >= maxAttempts) {
          await store.deliveries.fail(key, { error: error.message, permanent });
          if (permanent) return { failed: error.message };
          throw error;
        }
        const wait = Math.max(error.retryAfterMs ?? 0, delay(attempt));
        opts.log.warn({ channel: req.route.channel, account: req.route.account, code: error.code, attempt, waitMs: wait }, "send failed; retrying");
        await sleep(wait);
      }
    }
  }

  return {
    async send(req) {
      const plan = planReply(req.text);
      if (plan.silent) return { status: "silent" };
      const media = await Promise.all(plan.media.map((p) => loadMedia(p, req)));
      try {
        return await sendAll(req, plan, media);
      } finally {
        for (const m of media) if ("file" in m) await m.file.handle.close();
      }
    },
  };

  async function sendAll(req: SendRequest, plan: ReturnType<typeof planReply>, media: LoadedMedia[]): Promise<SendOutcome> {
    const limit = Math.min(req.channel.textLimit, req.account.text_chunk_limit ?? Number.POSITIVE_INFINITY);
    const chunks = plan.text ? chunkText(plan.text, limit) : [];
    const quoteId = quoteFor(req, plan.replyTo);
    const messages: OutboundMessage[] = [];
    const everyChunk = req.account.reply_to_mode === "all" || repliesInThreads(req.channel);
    chunks.forEach((text, i) => {
      const quote = quoteId && (i === 0 || everyChunk) ? { replyToMessageId: quoteId } : {};
      messages.push({ route: req.route, text, ...quote });
    });
    for (const m of media) {
      if ("error" in m) messages.push({ route: req.route, text: m.error });
      else messages.push({ route: req.route, text: "", media: m.media });
    }
    let sent = 0;
    for (const [i, message] of messages.entries()) {
      const result = await sendOnce(req, `${req.key}:${i}`, message);
      if (result === "sent") sent++;
      else if (typeof result === "object") return { status: "failed", error: result.failed };
    }
    return { status: "sent", messages: sent };
  }
}

/** The message to quote: a directive wins; otherwise `reply_to_mode` in groups (a DM needs no quoting). */
function quoteFor(req: SendRequest, directive: string | undefined): string | undefined {
  if (directive === "current") return req.route.messageId;
  if (directive !== undefined) return directive;
  if (req.account.reply_to_mode === "off" || req.route.chatKind === "dm") return undefined;
  return req.route.messageId;
}

const MIME: Record<string, string> = {
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
  ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".m4a": "audio/mp4", ".wav": "audio/wav",
  ".mp4": "video/mp4", ".webm": "video/webm", ".mov": "video/quicktime",
  ".pdf": "application/pdf", ".txt": "text/plain", ".md": "text/markdown", ".csv": "text/csv", ".json": "application/json",
  ".zip": "application/zip",
};

export function mimeOf(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? "application/octet-stream";
}

function kindOf(mime: string): OutboundMedia["kind"] {
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("audio/")) return "audio";
  if (mime.startsWith("video/")) return "video";
  return "file";
}

type LoadedMedia = { media: OutboundMedia; file: OpenedFile } | { error: string };

/**
 * A MEDIA path → a file inside the workspace, under the size limit, held open until it is sent (the channel gets a
 * path to the open file, so a rename or symlink swap after the check cannot change what is sent); otherwise a short
 * notice to send instead.
 */
async function loadMedia(path: string, req: SendRequest): Promise<LoadedMedia> {
  const name = basename(path);
  if (!req.workspace) return { error: `(could not attach ${name}: no workspace)` };
  let file: OpenedFile;
  try {
    file = await openWorkspaceFile(req.workspace, path);
  } catch (err) {
    if (err instanceof ToolError && err.code === "path_escape") return { error: `(not attaching ${name}: only files in the agent's workspace can be sent)` };
    return { error: `(could not attach ${name}: file not found)` };
  }
  if (file.stat.size > req.account.media_max_mb * 1024 * 1024) {
    await file.handle.close();
    return { error: `(not attaching ${name}: over media_max_mb)` };
  }
  const mimeType = mimeOf(file.rel);
  return { media: { kind: kindOf(mimeType), path: file.path, fileName: name, mimeType }, file };
}
