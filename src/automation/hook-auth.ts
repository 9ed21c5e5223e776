// Pure authentication of webhook trigger requests over their raw body bytes — GitHub's X-Hub-Signature-256, an HMAC
// over `<timestamp>.<body>` with a replay window, or a bearer token — and the signing a sender does (`pincer hooks
// test`). Every comparison is constant-time on equal-length digests. It neither reads bodies nor renders answers.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { HookConfig } from "../core/automation-config.ts";

/** GitHub's signature header. */
export const GITHUB_SIGNATURE_HEADER = "x-hub-signature-256";

export type HookAuthFailure = "missing_signature" | "malformed_signature" | "bad_signature" | "missing_timestamp" | "stale_timestamp";
export type HookAuthResult = { ok: true } | { ok: false; reason: HookAuthFailure };

export interface HookAuthInput {
  hook: Pick<HookConfig, "auth" | "signature_header" | "timestamp_header" | "tolerance_s">;
  secret: string;
  headers: Headers;
  body: Uint8Array;
  /** epoch ms */
  now: number;
}

const HEX_DIGEST = /^[0-9a-f]{64}$/i;
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const UNIX_SECONDS = /^\d{1,12}$/;

/**
 * Checks a request against its hook's auth mode. Contract: never throws; the secret's bytes are compared only through
 * timingSafeEqual of equal-length digests, so the time taken does not depend on how much of a guess was right.
 */
export function authenticateHook(input: HookAuthInput): HookAuthResult {
  const { hook, secret, headers, body } = input;
  if (hook.auth === "token") {
    const header = headers.get("authorization");
    if (header === null || header.trim() === "") return { ok: false, reason: "missing_signature" };
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) return { ok: false, reason: "malformed_signature" };
    // Hashing both sides gives equal lengths whatever was sent.
    return equalDigests(sha256(token), sha256(secret)) ? { ok: true } : { ok: false, reason: "bad_signature" };
  }
  if (hook.auth === "github") {
    const given = parseSignature(headers.get(GITHUB_SIGNATURE_HEADER), { prefixRequired: true });
    if (!given.ok) return given;
    return compareSignature(given.digest, hmac(secret, [body]));
  }
  const given = parseSignature(headers.get(hook.signature_header), { prefixRequired: false });
  const stamp = headers.get(hook.timestamp_header)?.trim();
  if (!given.ok) return given;
  if (stamp === undefined || stamp === "") return { ok: false, reason: "missing_timestamp" };
  if (!UNIX_SECONDS.test(stamp) || Math.abs(input.now / 1000 - Number(stamp)) > hook.tolerance_s) {
    // Still computed, so a stale request costs what a fresh one does.
    hmac(secret, [Buffer.from(`${stamp}.`), body]);
    return { ok: false, reason: "stale_timestamp" };
  }
  return compareSignature(given.digest, hmac(secret, [Buffer.from(`${stamp}.`), body]));
}

/** The HMAC work of a signature check with a throwaway key: what an unknown hook's refusal costs, so it takes as long. */
export function spendSignatureWork(body: Uint8Array): void {
  const expected = hmac("unknown-hook", [body]);
  equalDigests(expected, Buffer.alloc(expected.length));
}

/**
 * The headers a sender adds to sign `body` for a hook (what GitHub does for `github`, what the docs show for the
 * others). `now` (epoch ms) is the timestamp of hmac-sha256.
 */
export function signHookRequest(opts: { hook: Pick<HookConfig, "auth" | "signature_header" | "timestamp_header">; secret: string; body: Uint8Array; now: number }): Record<string, string> {
  const { hook, secret, body } = opts;
  if (hook.auth === "token") return { authorization: `Bearer ${secret}` };
  if (hook.auth === "github") return { [GITHUB_SIGNATURE_HEADER]: `sha256=${hmac(secret, [body]).toString("hex")}` };
  const stamp = String(Math.floor(opts.now / 1000));
  return { [hook.timestamp_header]: stamp, [hook.signature_header]: `sha256=${hmac(secret, [Buffer.from(`${stamp}.`), body]).toString("hex")}` };
}

type ParsedSignature = { ok: true; digest: Buffer } | { ok: false; reason: HookAuthFailure };

/** `sha256=<64 hex>` (or bare hex where the prefix is optional). A malformed value is refused before any HMAC. */
function parseSignature(header: string | null, opts: { prefixRequired: boolean }): ParsedSignature {
  const value = header?.trim();
  if (value === undefined || value === "") return { ok: false, reason: "missing_signature" };
  const hasPrefix = value.slice(0, 7).toLowerCase() === "sha256=";
  if (opts.prefixRequired && !hasPrefix) return { ok: false, reason: "malformed_signature" };
  const hex = hasPrefix ? value.slice(7) : value;
  return HEX_DIGEST.test(hex) ? { ok: true, digest: Buffer.from(hex, "hex") } : { ok: false, reason: "malformed_signature" };
}

function compareSignature(given: Buffer, expected: Buffer): HookAuthResult {
  return equalDigests(given, expected) ? { ok: true } : { ok: false, reason: "bad_signature" };
}

function equalDigests(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function hmac(secret: string, parts: readonly Uint8Array[]): Buffer {
  const mac = createHmac("sha256", secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
