// toChannelError: the SDK's error classes and Slack's error strings → one ChannelError code each.
import * as webApi from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { ChannelError } from "../../core/errors.ts";
import { toChannelError } from "./slack-errors.ts";

const platform = (error: string, extra: Record<string, unknown> = {}) => new webApi.WebAPIPlatformError({ ok: false, error, ...extra });

describe("toChannelError", () => {
  it.each([
    ["invalid_auth", "auth_failed"],
    ["token_revoked", "auth_failed"],
    ["not_in_channel", "forbidden"],
    ["channel_not_found", "not_found"],
    ["msg_too_long", "too_large"],
    ["internal_error", "unavailable"],
    ["invalid_arguments", "bad_request"],
  ])("platform error %s → %s", (error, code) => {
    expect(toChannelError(platform(error), "chat.postMessage").code).toBe(code);
  });

  it("names the missing scope in the fix", () => {
    const err = toChannelError(platform("missing_scope", { needed: "files:write" }), "files.getUploadURLExternal");
    expect(err.message).toBe("Slack files.getUploadURLExternal was not allowed (missing_scope). Fix: add the files:write bot scope under OAuth & Permissions and reinstall the app");
    expect(err.retryable).toBe(false);
  });

  it("maps rate limits, HTTP errors and unreachable hosts to retryable codes", () => {
    expect(toChannelError(new webApi.WebAPIRateLimitedError(12), "chat.postMessage")).toMatchObject({ code: "rate_limited", retryAfterMs: 12_000, retryable: true });
    expect(toChannelError(new webApi.WebAPIHTTPError(502, "Bad Gateway", {}), "auth.test")).toMatchObject({ code: "unavailable", status: 502, retryable: true });
    expect(toChannelError(new webApi.WebAPIRequestError(new Error("ECONNREFUSED")), "auth.test")).toMatchObject({
      code: "network", retryable: true, message: "Slack auth.test could not be reached: ECONNREFUSED",
    });
  });

  it("passes a ChannelError through", () => {
    const original = new ChannelError({ code: "conflict", message: "x", channel: "slack" });
    expect(toChannelError(original, "auth.test")).toBe(original);
  });
});
