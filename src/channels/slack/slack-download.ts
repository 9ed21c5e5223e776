// Downloading a file someone shared in Slack: GET its url_private_download with the bot token, only on Slack's own
// hosts, never reading past the size cap, and recognising Slack's sign-in page for what it is.
import { ChannelError, type ChannelErrorCode } from "../../core/errors.ts";
import type { InboundMedia } from "../../core/inbound.ts";
import { readCapped } from "../../core/capped-body.ts";

export interface SlackDownloadOptions {
  media: InboundMedia;
  maxBytes: number;
  botToken: string;
  /** The configured Web API root: its host may serve files too (API proxies, the test fake). */
  apiRoot: string;
  fetch: typeof fetch;
  timeoutMs: number;
}

/** Contract: throws ChannelError only; "too_large" before downloading when the size is known, else once past it. */
export async function downloadSlackFile(opts: SlackDownloadOptions): Promise<{ bytes: Uint8Array; mimeType: string; fileName?: string }> {
  const { media, maxBytes } = opts;
  const tooLarge = (size: number | string): ChannelError =>
    downloadError("too_large", `Slack file ${media.fileName ?? media.ref} is ${size} bytes, over the ${maxBytes}-byte limit`);
  if (media.sizeBytes !== undefined && media.sizeBytes > maxBytes) throw tooLarge(media.sizeBytes);
  const url = slackFileUrl(media.ref, opts.apiRoot);
  let res: Response;
  try {
    res = await opts.fetch(url, { headers: { authorization: `Bearer ${opts.botToken}` }, signal: AbortSignal.timeout(opts.timeoutMs) });
  } catch (err) {
    throw downloadError("network", `Slack file download failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const failure = downloadFailure(res);
  const length = Number(res.headers.get("content-length") ?? Number.NaN);
  if (failure || length > maxBytes) {
    await res.body?.cancel();
    throw failure ?? tooLarge(length);
  }
  const bytes = await readCapped(res, maxBytes);
  if (!bytes) throw tooLarge(`more than ${maxBytes}`);
  const mimeType = media.mimeType ?? res.headers.get("content-type")?.split(";")[0] ?? "application/octet-stream";
  return { bytes, mimeType, ...(media.fileName ? { fileName: media.fileName } : {}) };
}

function downloadError(code: ChannelErrorCode, message: string, extra: { status?: number; retryAfterMs?: number; cause?: unknown } = {}): ChannelError {
  return new ChannelError({ code, message, channel: "slack", method: "files.download", ...extra });
}

/** The bot token goes only to Slack's own hosts, or to the configured API root's. */
function slackFileUrl(ref: string, apiRoot: string): URL {
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw downloadError("bad_request", `not a Slack file URL: ${ref}`);
  }
  const slackHost = url.protocol === "https:" && (url.hostname === "slack.com" || url.hostname.endsWith(".slack.com"));
  if (!slackHost && url.origin !== new URL(apiRoot).origin) {
    throw downloadError("forbidden", `refusing to send the bot token to ${url.host}: not a Slack file URL`);
  }
  return url;
}

function downloadFailure(res: Response): ChannelError | undefined {
  const status = res.status;
  if (status === 429) {
    const seconds = Number(res.headers.get("retry-after") ?? "1");
    return downloadError("rate_limited", "Slack rate-limited the file download", { status, retryAfterMs: (Number.isFinite(seconds) ? seconds : 1) * 1000 });
  }
  if (status >= 500) return downloadError("unavailable", `Slack file download failed with HTTP ${status}`, { status });
  if (status === 401) return downloadError("auth_failed", "Slack refused the bot token for the file download", { status });
  if (status === 403) return downloadError("forbidden", "Slack refused the file download. Fix: add the files:read bot scope and reinstall the app", { status });
  if (status === 404) return downloadError("not_found", "Slack file not found (deleted?)", { status });
  if (!res.ok) return downloadError("bad_request", `Slack file download failed with HTTP ${status}`, { status });
  // A file URL the token may not read answers 200 with Slack's sign-in page instead of the file.
  if (res.headers.get("content-type")?.startsWith("text/html")) {
    return downloadError("forbidden", "Slack answered the file download with its sign-in page. Fix: add the files:read bot scope and reinstall the app", { status });
  }
  return undefined;
}

