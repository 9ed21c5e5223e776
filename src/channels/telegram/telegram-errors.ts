// The one mapping from what a Bot API call throws (grammY's GrammyError / HttpError, failed downloads) to
// ChannelError codes, with messages that name the account and method, carry the fix, and never contain the token.
import { GrammyError, HttpError } from "grammy";
import { ChannelError } from "../../core/errors.ts";
import type { ChannelErrorCode } from "../../core/errors.ts";

export interface TelegramErrorContext {
  account: string;
  /** Bot API method (`sendMessage`) or `download`. */
  method: string;
  /** Masked out of every message. */
  token: string;
}

/** The command that replaces this account's token. */
export function tokenFixHint(account: string): string {
  const flag = account === "default" ? "" : ` --account ${account}`;
  return `create a new token with @BotFather (/mybots → API Token), then run 'pincer channels add telegram${flag} --token <token>'`;
}

/** Replaces the token, and anything shaped like a bot token in a URL path, with `<token>`. */
export function redactToken(text: string, token: string): string {
  const plain = token.length > 0 ? text.split(token).join("<token>") : text;
  return plain.replace(/bot\d+:[A-Za-z0-9_-]+/g, "bot<token>");
}

/** Maps anything a Telegram call throws to a ChannelError. Never throws. */
export function toChannelError(err: unknown, ctx: TelegramErrorContext): ChannelError {
  if (err instanceof ChannelError) return err;
  const where = `telegram account "${ctx.account}" ${ctx.method}`;
  if (err instanceof GrammyError) {
    const description = redactToken(err.description, ctx.token);
    const retryAfter = err.parameters.retry_after;
    return fromStatus(err.error_code, description, { where, ctx, cause: err, retryAfterMs: retryAfter !== undefined ? retryAfter * 1000 : undefined });
  }
  if (err instanceof HttpError) {
    const inner = err.error instanceof Error ? err.error.message : String(err.error);
    const detail = redactToken(`${err.message} ${inner}`.replace(/\s+/g, " ").trim(), ctx.token);
    // The inner error (node-fetch / undici) may hold the request URL with the token: keep only a redacted copy.
    return new ChannelError({
      code: "network",
      message: `${where}: cannot reach the Telegram Bot API: ${detail}. Fix: check the network, or channels.telegram.accounts.${ctx.account}.api_root`,
      channel: "telegram",
      method: ctx.method,
      cause: new Error(detail),
    });
  }
  const detail = redactToken(err instanceof Error ? err.message : String(err), ctx.token);
  return new ChannelError({ code: "network", message: `${where}: ${detail}`, channel: "telegram", method: ctx.method, cause: new Error(detail) });
}

/** The code for an HTTP status plus Telegram's description (used for API errors and file downloads). */
export function fromStatus(
  status: number,
  description: string,
  opts: { where: string; ctx: TelegramErrorContext; cause?: unknown; retryAfterMs?: number },
): ChannelError {
  const { where, ctx } = opts;
  const make = (code: ChannelErrorCode, message: string): ChannelError =>
    new ChannelError({ code, message, channel: "telegram", method: ctx.method, status, retryAfterMs: opts.retryAfterMs, cause: opts.cause });

  // A malformed token gets 404 from api.telegram.org, a revoked one 401.
  if (status === 401 || (status === 404 && ctx.method === "getMe")) {
    return make("auth_failed", `${where}: Telegram rejected the bot token (${status} ${description}). Fix: ${tokenFixHint(ctx.account)}`);
  }
  if (status === 429) {
    const after = opts.retryAfterMs !== undefined ? `; retry after ${Math.ceil(opts.retryAfterMs / 1000)} s` : "";
    return make("rate_limited", `${where}: rate limited by Telegram (429)${after}`);
  }
  if (status === 409) {
    return make(
      "conflict",
      `${where}: ${description} (409). Fix: stop the other process polling with this bot token (another Pincer or bot instance); ` +
        "in polling mode Pincer removes a webhook itself at start",
    );
  }
  if (status === 403) return make("forbidden", `${where}: ${description} (403): the bot was blocked, removed from the chat, or lacks the right`);
  if (status === 413 || /too big|too long|too large/i.test(description)) return make("too_large", `${where}: ${description} (${status})`);
  if (status === 404 || /not found/i.test(description)) return make("not_found", `${where}: ${description} (${status})`);
  if (status >= 500) return make("unavailable", `${where}: Telegram is unavailable (${status} ${description})`);
  return make("bad_request", `${where}: Telegram refused the request (${status} ${description})`);
}

/** Telegram could not parse our HTML (400 "can't parse entities"): the caller resends as plain text. */
export function isMarkupError(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && /can't parse entities/i.test(err.description);
}
