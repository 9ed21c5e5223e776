import { APICallError, LoadAPIKeyError } from "ai";
import { describe, expect, it } from "vitest";
import { createKeyPool } from "./key-pool.ts";
import { redact, toProviderError } from "./provider-errors.ts";
import type { AttemptContext } from "./provider-errors.ts";

const ctx: AttemptContext = { providerId: "openai", modelId: "gpt-4o", timedOut: false, callerAborted: false, timeoutMs: 1000, secrets: ["sk-live-secret-123456789"], now: () => Date.parse("2030-01-01T00:00:00Z") };

function apiError(statusCode: number | undefined, headers: Record<string, string> = {}, message = "boom"): APICallError {
  return new APICallError({ message, url: "https://user:pw@api.example/v1/chat?key=x", requestBodyValues: {}, statusCode, responseHeaders: headers });
}

describe("toProviderError", () => {
  it("maps statuses to codes and retryability", () => {
    const map = (s: number) => toProviderError(apiError(s), ctx);
    expect([401, 403, 429, 408, 500, 529, 400, 404].map((s) => [map(s).code, map(s).retryable])).toEqual([
      ["auth_failed", true], ["auth_failed", true], ["rate_limited", true], ["timeout", true],
      ["server_error", true], ["server_error", true], ["bad_request", false], ["bad_request", false],
    ]);
  });

  it("reads retry-after as seconds, HTTP date, or retry-after-ms", () => {
    expect(toProviderError(apiError(429, { "retry-after": "7" }), ctx).retryAfterMs).toBe(7000);
    expect(toProviderError(apiError(429, { "retry-after": "Tue, 01 Jan 2030 00:00:30 GMT" }), ctx).retryAfterMs).toBe(30_000);
    expect(toProviderError(apiError(429, { "retry-after-ms": "250" }), ctx).retryAfterMs).toBe(250);
  });

  it("treats a status-less API error as network, with a redacted URL", () => {
    const err = toProviderError(apiError(undefined, {}, "Cannot connect to API: ECONNREFUSED"), ctx);
    expect(err.code).toBe("network");
    expect(err.message).toBe("openai/gpt-4o: cannot reach the provider https://api.example/v1/chat: Cannot connect to API: ECONNREFUSED");
  });

  it("never puts the credential in use into the message", () => {
    const err = toProviderError(apiError(401, {}, "bad key sk-live-secret-123456789"), ctx);
    expect(err.message).not.toContain("sk-live-secret-123456789");
    expect(redact("Authorization: Bearer abcdefghijklmnopqrstuvwxyz", [])).toBe("Authorization: Bearer …");
  });

  it("recognises the SDK's errors without loading the SDK", () => {
    expect(toProviderError(new LoadAPIKeyError({ message: "no key" }), ctx).code).toBe("missing_credential");
    expect(toProviderError(new Error("Cannot connect to API"), ctx).code).toBe("server_error");
  });

  it("prefers cancellation and timeouts over whatever the SDK threw", () => {
    expect(toProviderError(new Error("x"), { ...ctx, callerAborted: true }).code).toBe("aborted");
    expect(toProviderError(new Error("x"), { ...ctx, timedOut: true }).code).toBe("timeout");
  });
});

describe("key pool", () => {
  it("starts at the last good key and leaves cooling keys for last resort", () => {
    const pool = createKeyPool();
    pool.markGood("p", "b");
    expect(pool.orderKeys("p", ["a", "b", "c"], 0)).toEqual(["b", "c", "a"]);
    pool.markCoolingDown("p", "b", 100);
    expect(pool.orderKeys("p", ["a", "b", "c"], 50)).toEqual(["a", "c"]);
    pool.markCoolingDown("p", "a", 90);
    pool.markCoolingDown("p", "c", 200);
    expect(pool.orderKeys("p", ["a", "b", "c"], 50)).toEqual(["a", "b", "c"]);
    expect(pool.orderKeys("p", ["a", "b", "c"], 150)).toEqual(["a", "b"]);
  });
});
