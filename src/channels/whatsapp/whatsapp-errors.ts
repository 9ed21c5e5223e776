// The one place a Baileys failure (a Boom error with output.statusCode, a Node socket error) becomes a ChannelError.
import { ChannelError } from "../../core/errors.ts";
import type { ChannelErrorCode } from "../../core/errors.ts";
import { loginCommand } from "./whatsapp-auth.ts";

const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE", "ENETUNREACH"]);

/** Baileys' HTTP-like status of an error: Boom carries it in `output.statusCode`, some paths in `data.statusCode`. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { output?: { statusCode?: unknown }; data?: { statusCode?: unknown } } | undefined;
  const status = e?.output?.statusCode ?? e?.data?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** Maps any failure of a WhatsApp call (`method`: sendMessage, sendPresenceUpdate, download, …) to a ChannelError. */
export function toChannelError(err: unknown, opts: { method: string; account: string }): ChannelError {
  if (err instanceof ChannelError) return err;
  const status = statusOf(err);
  // Media URLs carry signed query strings: keep them out of messages.
  const reason = (err instanceof Error ? err.message : String(err)).replace(/(https?:\/\/[^\s?]+)\?\S*/g, "$1?…");
  const make = (code: ChannelErrorCode, message: string, retryable?: boolean): ChannelError =>
    new ChannelError({ code, message, channel: "whatsapp", method: opts.method, status, retryable, cause: err });
  const where = `whatsapp ${opts.method}`;

  if (status === 401) {
    return make("auth_failed", `${where}: WhatsApp logged this device out (401). Fix: run '${loginCommand(opts.account)}' to link again.`);
  }
  if (status === 403) return make("forbidden", `${where}: WhatsApp refused it (403 forbidden): ${reason}`);
  if (status === 404) return make("not_found", `${where}: not found (404): ${reason}`);
  if (status === 413) return make("too_large", `${where}: the file is too large for WhatsApp (413)`);
  if (status === 429) return make("rate_limited", `${where}: WhatsApp is rate-limiting this account (429); slow down`);
  if (status === 440) {
    return make("conflict", `${where}: another WhatsApp Web session with these credentials took over (440)`, false);
  }
  // 408 timed out / connection lost, 428 connection closed, 411 multi-device mismatch, 5xx: the socket is reconnecting.
  if (status === 408 || status === 428 || status === 411 || (status !== undefined && status >= 500)) {
    return make("unavailable", `${where}: WhatsApp connection unavailable (${status}): ${reason}; retry after the reconnect`);
  }
  if (status !== undefined && status >= 400) return make("bad_request", `${where}: WhatsApp rejected it (${status}): ${reason}`);

  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return make("network", `${where}: network error (${code})`);
  if (code === "ENOENT") return make("bad_request", `${where}: the file to send does not exist: ${reason}`);
  return make("unavailable", `${where} failed: ${reason}`, false);
}
