// Discord failures → ChannelError: REST errors (DiscordAPIError, HTTPError, RateLimitError), discord.js's own errors and
// network failures, each with a closed `code` and a fix where the user can act. The only place Discord codes are read.
import { DiscordAPIError, DiscordjsError, DiscordjsErrorCodes, RateLimitError } from "discord.js";
import { ChannelError } from "../../core/errors.ts";
import type { ChannelErrorCode } from "../../core/errors.ts";

export const TOKEN_FIX = "Developer Portal → Bot → Reset Token, then 'pincer channels add discord --token …'";
export const INTENTS_FIX = "enable the Message Content intent in the Developer Portal → Bot → Privileged Gateway Intents";
const PERMISSIONS_FIX = "give the bot Send Messages / Send Messages in Threads in that channel";

// https://discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes
const UNKNOWN_CHANNEL = 10003;
const UNKNOWN_MESSAGE = 10008;
const MISSING_ACCESS = 50001;
const MISSING_PERMISSIONS = 50013;
const REQUEST_TOO_LARGE = 40005;
/** Invalid Form Body: the request's fields (content, message_reference, …) were refused. */
export const INVALID_FORM_BODY = 50035;

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN", "ENOTFOUND", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);

/** Maps any failure of a Discord call to a ChannelError. `method` names the call, e.g. `send`, `sendTyping`. */
export function toChannelError(err: unknown, method: string): ChannelError {
  if (err instanceof ChannelError) return err;
  const fail = (code: ChannelErrorCode, problem: string, extra: { status?: number; retryAfterMs?: number; fix?: string } = {}): ChannelError =>
    new ChannelError({
      code,
      message: `discord ${method}: ${problem}${extra.fix ? `. Fix: ${extra.fix}` : ""}`,
      channel: "discord",
      method,
      status: extra.status,
      retryAfterMs: extra.retryAfterMs,
      cause: err,
    });

  if (err instanceof GatewayCloseError) {
    const closeCode = err.closeCode;
    if (closeCode === 4004) return fail("auth_failed", "Discord refused the bot token (gateway close 4004)", { fix: TOKEN_FIX });
    if (closeCode === 4014) return fail("forbidden", "Discord refused the Message Content intent (gateway close 4014)", { fix: INTENTS_FIX });
    return fail("bad_request", `Discord closed the gateway for good (close code ${closeCode})`);
  }
  if (err instanceof RateLimitError) {
    return fail("rate_limited", `rate limited on ${err.route}, retry in ${err.retryAfter} ms`, { status: 429, retryAfterMs: err.retryAfter });
  }
  if (err instanceof DiscordjsError && err.code === DiscordjsErrorCodes.TokenInvalid) {
    return fail("auth_failed", "Discord rejected the bot token (401)", { status: 401, fix: TOKEN_FIX });
  }
  const status = statusOf(err);
  if (status !== undefined) {
    const apiCode = err instanceof DiscordAPIError && typeof err.code === "number" ? err.code : undefined;
    const detail = err instanceof DiscordAPIError ? `${messageOf(err)} (${status}${apiCode ? `, code ${apiCode}` : ""})` : `HTTP ${status}`;
    if (status === 401) return fail("auth_failed", `Discord rejected the bot token: ${detail}`, { status, fix: TOKEN_FIX });
    if (status === 429) return fail("rate_limited", `rate limited: ${detail}`, { status, retryAfterMs: retryAfterOf(err) });
    if (apiCode === MISSING_PERMISSIONS || apiCode === MISSING_ACCESS) {
      return fail("forbidden", `the bot lacks permission: ${detail}`, { status, fix: PERMISSIONS_FIX });
    }
    if (status === 403) return fail("forbidden", `forbidden: ${detail}`, { status });
    if (apiCode === UNKNOWN_CHANNEL) return fail("not_found", `unknown channel: ${detail}`, { status });
    if (apiCode === UNKNOWN_MESSAGE || status === 404) return fail("not_found", `not found: ${detail}`, { status });
    if (apiCode === REQUEST_TOO_LARGE || status === 413) return fail("too_large", `request too large: ${detail}`, { status });
    if (status === 409) return fail("conflict", `conflict: ${detail}`, { status });
    if (status >= 500) return fail("unavailable", `Discord is unavailable: ${detail}`, { status });
    return fail("bad_request", `Discord refused the request: ${detail}`, { status });
  }
  const errno = (err as { code?: unknown; cause?: { code?: unknown } } | undefined)?.code ?? (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (typeof errno === "string" && (errno === "ENOENT" || errno === "EACCES" || errno === "EISDIR")) {
    return fail("bad_request", `cannot read the file to upload (${errno})`);
  }
  const name = err instanceof Error ? err.name : "";
  if (name === "AbortError" || name === "TimeoutError") return fail("network", "the request timed out");
  if (typeof errno === "string" && NETWORK_CODES.has(errno)) return fail("network", `cannot reach Discord (${errno})`);
  return fail("network", `request failed: ${err instanceof Error ? err.message : String(err)}`);
}

/** The API's error code when `err` is a DiscordAPIError, for callers that branch on one (e.g. Invalid Form Body). */
export function apiCodeOf(err: unknown): number | undefined {
  return err instanceof DiscordAPIError && typeof err.code === "number" ? err.code : undefined;
}

/** Discord's own error text (`Missing Permissions`, `401: Unauthorized`), or the OAuth error name. */
function messageOf(err: DiscordAPIError): string {
  const raw = err.rawError as { message?: unknown; error?: unknown };
  return String(raw.message ?? raw.error ?? "error");
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | undefined)?.status;
  return typeof status === "number" && status >= 400 ? status : undefined;
}

/** `retry_after` is in seconds (a float) in Discord's 429 body. */
function retryAfterOf(err: unknown): number | undefined {
  if (err instanceof DiscordAPIError) {
    const seconds = (err.rawError as { retry_after?: unknown }).retry_after;
    if (typeof seconds === "number") return Math.ceil(seconds * 1000);
  }
  const ms = (err as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === "number" ? ms : undefined;
}

/** The gateway closed with a code discord.js does not recover from (4004 bad token, 4014 disallowed intents, …). */
export class GatewayCloseError extends Error {
  override readonly name = "GatewayCloseError";
  readonly closeCode: number;

  constructor(closeCode: number) {
    super(`gateway closed with code ${closeCode}`);
    this.closeCode = closeCode;
  }
}
