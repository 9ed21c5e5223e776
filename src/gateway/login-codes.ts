// One-time login codes: how a command on this machine lets a browser (or itself) into the running gateway without
// knowing or rotating the gateway token. The CLI writes a code's hash and expiry into the state dir, which only the
// owner can write; the gateway consumes it once (POST /api/v1/auth/exchange) for a UI session. No HTTP here.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, unlink } from "node:fs/promises";
import { join } from "node:path";

/** How long a code printed by `pincer dashboard` may be used (ms). */
export const LOGIN_CODE_TTL_MS = 5 * 60_000;
/** How long the UI session a dashboard code opens lasts (ms). */
export const DASHBOARD_SESSION_TTL_MS = 7 * 24 * 3_600_000;
/** Bounds of the session length a code may ask for (ms). */
const MIN_SESSION_TTL_MS = 60_000;
const MAX_SESSION_TTL_MS = 30 * 24 * 3_600_000;

/** A code as typed or carried in a link: base64url, 32 characters when we make it. */
export const LOGIN_CODE_PATTERN = /^[A-Za-z0-9_-]{20,128}$/;

const HASH_FILE = /^[0-9a-f]{64}\.json$/;

interface CodeFile {
  created_at: number; // epoch ms
  expires_at: number; // epoch ms
  /** Lifetime of the UI session the code opens, ms. */
  session_ttl_ms: number;
  /** Who asked: `dashboard` (a browser link) or `cli` (a command talking to the gateway itself). */
  purpose: string;
}

export interface LoginCode {
  code: string;
  /** epoch ms */
  expiresAt: number;
}

export interface CreateLoginCodeOptions {
  /** ms; default LOGIN_CODE_TTL_MS */
  ttlMs?: number;
  /** ms; default DASHBOARD_SESSION_TTL_MS */
  sessionTtlMs?: number;
  purpose?: "dashboard" | "cli";
  /** epoch ms */
  now?: () => number;
}

export function loginCodesDir(stateDir: string): string {
  return join(stateDir, "login-codes");
}

const hashOf = (code: string): string => createHash("sha256").update(code, "utf8").digest("hex");

/**
 * Makes a code and stores only its hash, expiry and session length: one file per code (0600, in a 0700 folder),
 * written atomically and named after the hash, so a lookup needs no parsing of user input and consuming it is one
 * unlink that succeeds once. Expired codes are swept on the way.
 */
export async function createLoginCode(stateDir: string, opts: CreateLoginCodeOptions = {}): Promise<LoginCode> {
  const now = (opts.now ?? Date.now)();
  const dir = loginCodesDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await sweepExpired(dir, now);
  const code = randomBytes(24).toString("base64url");
  const expiresAt = now + (opts.ttlMs ?? LOGIN_CODE_TTL_MS);
  const file: CodeFile = { created_at: now, expires_at: expiresAt, session_ttl_ms: opts.sessionTtlMs ?? DASHBOARD_SESSION_TTL_MS, purpose: opts.purpose ?? "dashboard" };
  const target = join(dir, `${hashOf(code)}.json`);
  const temp = `${target}.${process.pid}.tmp`;
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(file)}\n`, "utf8");
  } finally {
    await handle.close();
  }
  await rename(temp, target);
  return { code, expiresAt };
}

export type ConsumedCode = { ok: true; sessionTtlMs: number; purpose: string } | { ok: false };

/**
 * Uses a code up: valid once, before its expiry. Whatever the outcome, a presented code's file is gone afterwards.
 * Contract: never throws; of concurrent consumers of one code (even in several processes) at most one gets `ok`.
 */
export async function consumeLoginCode(stateDir: string, code: string, now: number = Date.now()): Promise<ConsumedCode> {
  if (!LOGIN_CODE_PATTERN.test(code)) return { ok: false };
  const path = join(loginCodesDir(stateDir), `${hashOf(code)}.json`);
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
    await unlink(path); // the one step that succeeds only once
  } catch {
    return { ok: false };
  }
  let parsed: Partial<CodeFile>;
  try {
    parsed = JSON.parse(raw) as Partial<CodeFile>;
  } catch {
    return { ok: false };
  }
  if (typeof parsed.expires_at !== "number" || parsed.expires_at <= now) return { ok: false };
  const ttl = typeof parsed.session_ttl_ms === "number" ? parsed.session_ttl_ms : DASHBOARD_SESSION_TTL_MS;
  return { ok: true, sessionTtlMs: Math.min(MAX_SESSION_TTL_MS, Math.max(MIN_SESSION_TTL_MS, ttl)), purpose: typeof parsed.purpose === "string" ? parsed.purpose : "dashboard" };
}

/** Drops every pending code (a token rotation revokes them with the sessions). */
export async function clearLoginCodes(stateDir: string): Promise<void> {
  await rm(loginCodesDir(stateDir), { recursive: true, force: true });
}

async function sweepExpired(dir: string, now: number): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names.filter((n) => HASH_FILE.test(n)).map(async (name) => {
      try {
        const parsed = JSON.parse(await readFile(join(dir, name), "utf8")) as Partial<CodeFile>;
        if (typeof parsed.expires_at === "number" && parsed.expires_at > now) return;
      } catch {
        // unreadable: swept like an expired one
      }
      await rm(join(dir, name), { force: true });
    }),
  );
}
