// Signature checks of webhook triggers over raw bytes: GitHub, HMAC with a timestamp window, bearer token; and the
// signing `pincer hooks test` does, checked against the same verifier and against a digest computed independently.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hookSchema } from "../core/automation-config.ts";
import { authenticateHook, signHookRequest } from "./hook-auth.ts";

const SECRET = "s3cret-for-tests-0123456789";
const NOW = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const body = new TextEncoder().encode('{"action":"opened","issue":{"title":"Crash on start"}}');
const hookOf = (auth: "github" | "hmac-sha256" | "token") => hookSchema.parse({ auth, secret_env: "HOOK_SECRET", message: "m" });
const check = (auth: "github" | "hmac-sha256" | "token", headers: Record<string, string>, opts: { secret?: string; bytes?: Uint8Array; now?: number } = {}) =>
  authenticateHook({ hook: hookOf(auth), secret: opts.secret ?? SECRET, headers: new Headers(headers), body: opts.bytes ?? body, now: opts.now ?? NOW });

describe("github", () => {
  const valid = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

  it("accepts X-Hub-Signature-256 over the raw body, in either hex case", () => {
    expect(check("github", { "x-hub-signature-256": valid })).toEqual({ ok: true });
    expect(check("github", { "x-hub-signature-256": `sha256=${valid.slice(7).toUpperCase()}` })).toEqual({ ok: true });
  });

  it("refuses a missing, malformed or wrong signature, and a changed body", () => {
    expect(check("github", {})).toEqual({ ok: false, reason: "missing_signature" });
    expect(check("github", { "x-hub-signature-256": valid.slice(7) })).toEqual({ ok: false, reason: "malformed_signature" });
    expect(check("github", { "x-hub-signature-256": "sha256=abc" })).toEqual({ ok: false, reason: "malformed_signature" });
    expect(check("github", { "x-hub-signature-256": valid }, { secret: "another-secret-value" })).toEqual({ ok: false, reason: "bad_signature" });
    expect(check("github", { "x-hub-signature-256": valid }, { bytes: new TextEncoder().encode('{"action":"closed"}') })).toEqual({ ok: false, reason: "bad_signature" });
  });
});

describe("hmac-sha256", () => {
  const stamp = String(NOW / 1000);
  const digest = (ts: string) => createHmac("sha256", SECRET).update(`${ts}.`).update(body).digest("hex");

  it("accepts sha256=<hex> or bare hex over `<timestamp>.<body>` inside the window", () => {
    expect(check("hmac-sha256", { "x-pincer-timestamp": stamp, "x-pincer-signature": `sha256=${digest(stamp)}` })).toEqual({ ok: true });
    expect(check("hmac-sha256", { "x-pincer-timestamp": stamp, "x-pincer-signature": digest(stamp) }, { now: NOW + 299_000 })).toEqual({ ok: true });
  });

  it("refuses a stale or future timestamp even with a valid signature, and a missing timestamp", () => {
    const old = String(NOW / 1000 - 301);
    expect(check("hmac-sha256", { "x-pincer-timestamp": old, "x-pincer-signature": digest(old) })).toEqual({ ok: false, reason: "stale_timestamp" });
    const ahead = String(NOW / 1000 + 301);
    expect(check("hmac-sha256", { "x-pincer-timestamp": ahead, "x-pincer-signature": digest(ahead) })).toEqual({ ok: false, reason: "stale_timestamp" });
    expect(check("hmac-sha256", { "x-pincer-timestamp": "yesterday", "x-pincer-signature": digest(stamp) })).toEqual({ ok: false, reason: "stale_timestamp" });
    expect(check("hmac-sha256", { "x-pincer-signature": digest(stamp) })).toEqual({ ok: false, reason: "missing_timestamp" });
  });

  it("refuses a signature made for another timestamp (the timestamp is signed)", () => {
    const other = String(NOW / 1000 - 10);
    expect(check("hmac-sha256", { "x-pincer-timestamp": stamp, "x-pincer-signature": digest(other) })).toEqual({ ok: false, reason: "bad_signature" });
  });
});

describe("token", () => {
  it("accepts the exact bearer token and refuses others", () => {
    expect(check("token", { authorization: `Bearer ${SECRET}` })).toEqual({ ok: true });
    expect(check("token", { authorization: `Bearer ${SECRET}x` })).toEqual({ ok: false, reason: "bad_signature" });
    expect(check("token", { authorization: `Bearer ${SECRET.slice(0, -1)}` })).toEqual({ ok: false, reason: "bad_signature" });
    expect(check("token", { authorization: SECRET })).toEqual({ ok: false, reason: "malformed_signature" });
    expect(check("token", {})).toEqual({ ok: false, reason: "missing_signature" });
  });
});

describe("signHookRequest", () => {
  it("signs so that the verifier accepts, for every mode", () => {
    for (const auth of ["github", "hmac-sha256", "token"] as const) {
      const headers = signHookRequest({ hook: hookOf(auth), secret: SECRET, body, now: NOW });
      expect(check(auth, headers)).toEqual({ ok: true });
    }
  });

  it("writes GitHub's header exactly as GitHub does", () => {
    expect(signHookRequest({ hook: hookOf("github"), secret: SECRET, body, now: NOW })).toEqual({
      "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
    });
  });
});
