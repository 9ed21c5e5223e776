// Slack failures → ChannelError: the one place that reads @slack/web-api's error classes (by their `code`) and Slack's
// `error` strings. Messages name the method and the fix and never contain a token.
import { ChannelError, type ChannelErrorCode } from "../../core/errors.ts";

/** Which token a failed call used, so the fix names the right one. */
export type SlackTokenKind = "bot" | "app";

const AUTH_ERRORS = new Set([
  "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type", "no_permission",
  "team_disabled", "user_removed_from_team", "app_uninstalled",
]);
const FORBIDDEN_ERRORS = new Set([
  "missing_scope", "not_in_channel", "channel_is_archived", "is_archived", "restricted_action", "restricted_action_read_only_channel",
  "restricted_action_thread_only_channel", "restricted_action_non_threadable_channel", "ekm_access_denied", "team_access_not_granted",
  "cannot_reply_to_message", "access_denied",
]);
const NOT_FOUND_ERRORS = new Set(["channel_not_found", "user_not_found", "file_not_found", "thread_not_found", "message_not_found", "file_deleted"]);
const TOO_LARGE_ERRORS = new Set(["msg_too_long", "too_many_attachments", "file_too_large", "file_uploads_disabled_too_large"]);
const UNAVAILABLE_ERRORS = new Set(["internal_error", "fatal_error", "service_unavailable", "request_timeout"]);

const BOT_TOKEN_FIX =
  "copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page and run 'pincer channels add slack --token xoxb-…'";
const APP_TOKEN_FIX =
  "create an app-level token (xapp-…) with the connections:write scope under Basic Information → App-Level Tokens and set it as app_token";

interface SlackSdkError {
  code?: unknown;
  message?: unknown;
  data?: { error?: unknown; needed?: unknown };
  retryAfter?: unknown;
  statusCode?: unknown;
  original?: { message?: unknown };
}

/** Turns whatever a Slack call threw into a ChannelError for `method`; a ChannelError passes through unchanged. */
export function toChannelError(err: unknown, method: string, token: SlackTokenKind = "bot"): ChannelError {
  if (err instanceof ChannelError) return err;
  const e = (typeof err === "object" && err !== null ? err : {}) as SlackSdkError;
  const make = (code: ChannelErrorCode, message: string, extra: { status?: number; retryAfterMs?: number } = {}): ChannelError =>
    new ChannelError({ code, message, channel: "slack", method, cause: err, ...extra });

  switch (e.code) {
    case "slack_webapi_platform_error":
      return fromPlatformError(String(e.data?.error ?? "unknown_error"), typeof e.data?.needed === "string" ? e.data.needed : undefined, method, token, make);
    case "slack_webapi_rate_limited_error": {
      const seconds = typeof e.retryAfter === "number" ? e.retryAfter : 1;
      return make("rate_limited", `Slack rate-limited ${method}; retry after ${seconds} s`, { status: 429, retryAfterMs: seconds * 1000 });
    }
    case "slack_webapi_http_error": {
      const status = typeof e.statusCode === "number" ? e.statusCode : 0;
      const code: ChannelErrorCode =
        status >= 500 ? "unavailable" : status === 401 ? "auth_failed" : status === 403 ? "forbidden" : status === 404 ? "not_found" : status === 413 ? "too_large" : "bad_request";
      return make(code, `Slack ${method} failed with HTTP ${status}`, { status });
    }
    case "slack_webapi_request_error":
      return make("network", `Slack ${method} could not be reached: ${String(e.original?.message ?? e.message ?? "request failed")}`);
    case "slack_webapi_file_upload_invalid_args_error":
    case "slack_webapi_file_upload_read_file_data_error":
      return make("bad_request", `Slack ${method}: ${String(e.message)}`);
    default:
      return make("network", `Slack ${method} failed: ${err instanceof Error ? err.message : String(err ?? "connection closed")}`);
  }
}

function fromPlatformError(
  error: string,
  needed: string | undefined,
  method: string,
  token: SlackTokenKind,
  make: (code: ChannelErrorCode, message: string) => ChannelError,
): ChannelError {
  if (AUTH_ERRORS.has(error)) {
    const which = token === "app" ? "app-level token" : "bot token";
    return make("auth_failed", `Slack refused the ${which} on ${method} (${error}). Fix: ${token === "app" ? APP_TOKEN_FIX : BOT_TOKEN_FIX}`);
  }
  if (error === "ratelimited") return make("rate_limited", `Slack rate-limited ${method} (${error})`);
  if (FORBIDDEN_ERRORS.has(error)) return make("forbidden", `Slack ${method} was not allowed (${error}). Fix: ${forbiddenFix(error, needed)}`);
  if (NOT_FOUND_ERRORS.has(error)) return make("not_found", `Slack ${method} found no such target (${error})`);
  if (TOO_LARGE_ERRORS.has(error)) return make("too_large", `Slack ${method} refused the size (${error})`);
  if (UNAVAILABLE_ERRORS.has(error)) return make("unavailable", `Slack ${method} failed on Slack's side (${error})`);
  return make("bad_request", `Slack ${method} rejected the request (${error})`);
}

function forbiddenFix(error: string, needed: string | undefined): string {
  if (error === "missing_scope") return `add the ${needed ?? "missing"} bot scope under OAuth & Permissions and reinstall the app`;
  if (error === "not_in_channel") return "invite the bot to the channel (/invite @<bot name>)";
  return "check the app's scopes and the channel's posting permissions";
}
