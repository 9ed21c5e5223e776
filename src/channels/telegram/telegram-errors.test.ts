// toChannelError: grammY's GrammyError / HttpError → ChannelError codes, with the token never in a message.
import { GrammyError, HttpError } from "grammy";
import { describe, expect, it } from "vitest";
import { isMarkupError, redactToken, toChannelError } from "./telegram-errors.ts";

const TOKEN = "123456:SECRET-abc";
const ctx = { account: "work", method: "sendMessage", token: TOKEN };
const apiError = (error_code: number, description: string, retry_after?: number): GrammyError =>
  new GrammyError("Call failed", { ok: false, error_code, description, ...(retry_after !== undefined ? { parameters: { retry_after } } : {}) }, "sendMessage", {});

describe("toChannelError", () => {
  it.each([
    [400, "Bad Request: chat not found", "not_found", false],
    [400, "Bad Request: message is too long", "too_large", false],
    [400, "Bad Request: can't parse entities: x", "bad_request", false],
    [403, "Forbidden: bot was kicked from the group chat", "forbidden", false],
    [409, "Conflict: terminated by other getUpdates request", "conflict", false],
    [413, "Request Entity Too Large", "too_large", false],
    [500, "Internal Server Error", "unavailable", true],
    [502, "Bad Gateway", "unavailable", true],
  ])("maps %i %s to %s", (status, description, code, retryable) => {
    const err = toChannelError(apiError(status, description), ctx);
    expect([err.code, err.retryable, err.status, err.method, err.channel]).toEqual([code, retryable, status, "sendMessage", "telegram"]);
  });

  it("carries retry_after as retryAfterMs", () => {
    const err = toChannelError(apiError(429, "Too Many Requests: retry after 12", 12), ctx);
    expect([err.code, err.retryAfterMs, err.message]).toEqual(["rate_limited", 12_000, 'telegram account "work" sendMessage: rate limited by Telegram (429); retry after 12 s']);
  });

  it("treats 401, and 404 on getMe (a malformed token), as auth_failed with the account's fix", () => {
    expect(toChannelError(apiError(401, "Unauthorized"), ctx).message).toMatch(/'pincer channels add telegram --account work --token <token>'$/);
    expect(toChannelError(apiError(404, "Not Found"), { ...ctx, method: "getMe" }).code).toBe("auth_failed");
    expect(toChannelError(apiError(404, "Not Found"), ctx).code).toBe("not_found");
  });

  it("maps network failures to network and keeps the token out of message and cause", () => {
    const inner = new Error(`request to http://127.0.0.1:9/bot${TOKEN}/sendMessage failed, reason: connect ECONNREFUSED`);
    const err = toChannelError(new HttpError("Network request for 'sendMessage' failed!", inner), ctx);
    expect([err.code, err.retryable]).toEqual(["network", true]);
    expect(err.message).toContain("bot<token>/sendMessage");
    expect(`${err.message} ${(err.cause as Error).message}`).not.toContain("SECRET");
  });

  it("recognises Telegram's markup errors only", () => {
    expect(isMarkupError(apiError(400, "Bad Request: can't parse entities: Unsupported start tag"))).toBe(true);
    expect(isMarkupError(apiError(400, "Bad Request: chat not found"))).toBe(false);
  });

  it("redacts the token wherever it appears", () => {
    expect(redactToken(`token ${TOKEN} and /bot999:zzz/getMe`, TOKEN)).toBe("token <token> and /bot<token>/getMe");
  });
});
