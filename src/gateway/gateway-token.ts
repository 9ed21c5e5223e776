// The gateway token: created once, stored only as a SHA-256 hash in <state>/gateway-token.json (0600),
// or supplied by PINCER_GATEWAY_TOKEN. Verification is constant-time; the plaintext is shown once at creation.
// A supplied token must be strong (length and variety); a generated one always is. A running gateway follows the
// file (`watchGatewayToken`), so a rotation takes effect at once.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../core/errors.ts";
import { prepareStateDir, toSetupError } from "../config/state-dir.ts";
import type { TokenVerifier } from "./gateway-context.ts";

export const TOKEN_ENV = "PINCER_GATEWAY_TOKEN";

/** Shortest gateway token accepted (characters). */
export const MIN_TOKEN_LENGTH = 24;
/** Fewest distinct characters in an accepted token: rules out `aaaa…` and `abab…`. */
const MIN_DISTINCT_CHARS = 6;
/** Least information an accepted token carries, estimated from its character frequencies (bits); a random
 * 24-character hex token carries 96 bits and estimates at 56 or more in all but about 1 in 100 000 draws. */
const MIN_TOKEN_BITS = 56;

const STRONG_TOKEN_FIX = "run 'pincer gateway token --rotate' and unset it (the gateway then uses the stored token), or set it to a random value such as the output of 'openssl rand -hex 32'";

interface TokenFile {
  sha256: string;
  created_at: number; // epoch ms
}

export function tokenFilePath(stateDir: string): string {
  return join(stateDir, "gateway-token.json");
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** A verifier for one stored hash. Contract: constant-time in the token's content; never throws. */
export function createTokenVerifier(hash: Buffer): TokenVerifier {
  return { verify: (token) => timingSafeEqual(sha256(token), hash) };
}

/** A new random token and its verifier, held in memory only: nothing is stored until `saveGatewayToken`. */
export function createGatewayToken(): { token: string; verifier: TokenVerifier } {
  const token = `pgw_${randomBytes(24).toString("base64url")}`;
  return { token, verifier: createTokenVerifier(sha256(token)) };
}

/** Stores the token's hash (0600, atomically), replacing the previous one. A state dir it cannot write → ConfigError. */
export async function saveGatewayToken(stateDir: string, token: string, now: () => number = Date.now): Promise<void> {
  const file: TokenFile = { sha256: sha256(token).toString("hex"), created_at: now() };
  await prepareStateDir(stateDir);
  const path = tokenFilePath(stateDir);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(file)}\n`, { mode: 0o600 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw toSetupError(err, { dir: stateDir, path }) ?? err;
  }
}

/** Creates (or replaces) the stored token and returns its plaintext — the only time it is visible. */
export async function rotateGatewayToken(stateDir: string, now: () => number = Date.now): Promise<string> {
  const { token } = createGatewayToken();
  await saveGatewayToken(stateDir, token, now);
  return token;
}

export type TokenSource = { kind: "env" } | { kind: "file"; createdAt: number } | { kind: "none" };

/** What makes `token` too weak to guard the gateway, or undefined when it is strong enough. Pure. */
export function findTokenWeakness(token: string): string | undefined {
  const chars = [...token];
  if (chars.length < MIN_TOKEN_LENGTH) return `is too short (${chars.length} characters; at least ${MIN_TOKEN_LENGTH} are needed)`;
  const counts = new Map<string, number>();
  for (const ch of chars) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  if (counts.size < MIN_DISTINCT_CHARS) return `is too easy to guess (only ${counts.size} different character${counts.size === 1 ? "" : "s"}; at least ${MIN_DISTINCT_CHARS} are needed)`;
  if (/^(.{1,12}?)\1+$/su.test(token)) return "is too easy to guess (one short piece repeated)";
  let bits = 0;
  for (const n of counts.values()) bits -= n * Math.log2(n / chars.length);
  if (bits < MIN_TOKEN_BITS) return "is too easy to guess (a few characters repeated over and over)";
  return undefined;
}

/**
 * Where the gateway's token comes from: the env var wins over the stored hash.
 * Throws ConfigError for a weak PINCER_GATEWAY_TOKEN or a damaged token file.
 */
export async function loadGatewayToken(stateDir: string, env: Record<string, string | undefined>): Promise<{ verifier: TokenVerifier | undefined; source: TokenSource }> {
  const fromEnv = env[TOKEN_ENV]?.trim();
  if (fromEnv) {
    const weakness = findTokenWeakness(fromEnv);
    if (weakness) throw new ConfigError({ problem: `the gateway token from ${TOKEN_ENV} ${weakness}`, fix: STRONG_TOKEN_FIX });
    return { verifier: createTokenVerifier(sha256(fromEnv)), source: { kind: "env" } };
  }
  let raw: string;
  try {
    raw = await readFile(tokenFilePath(stateDir), "utf8");
  } catch {
    return { verifier: undefined, source: { kind: "none" } };
  }
  const parsed = JSON.parse(raw) as Partial<TokenFile>;
  if (typeof parsed.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(parsed.sha256)) {
    throw new ConfigError({ file: tokenFilePath(stateDir), problem: "the gateway token file is damaged", fix: "create a new token with 'pincer gateway token --rotate'" });
  }
  return { verifier: createTokenVerifier(Buffer.from(parsed.sha256, "hex")), source: { kind: "file", createdAt: parsed.created_at ?? 0 } };
}

/** A verifier that follows the token's source, plus the token generation UI sessions are bound to. */
export interface LiveTokenVerifier extends TokenVerifier {
  /** Changes whenever the token does (a rotation, another PINCER_GATEWAY_TOKEN); undefined while there is none.
   * Not secret: a hash of the token's hash. */
  epoch(): string | undefined;
}

/**
 * The running gateway's view of its token. With PINCER_GATEWAY_TOKEN it is fixed for the process's life; otherwise
 * the token file is stat'ed on every check (one syscall) and re-read when it changed, so `pincer gateway token
 * --rotate` takes effect at the next request and the old token stops working at once. A missing or damaged file
 * accepts no token until a valid one is written.
 * Contract: never throws; constant-time in the token's content.
 */
export function watchGatewayToken(stateDir: string, env: Record<string, string | undefined>): LiveTokenVerifier {
  const fromEnv = env[TOKEN_ENV]?.trim();
  if (fromEnv) {
    const hash = sha256(fromEnv);
    const epoch = `env:${epochOf(hash)}`;
    return { verify: (token) => timingSafeEqual(sha256(token), hash), epoch: () => epoch };
  }
  const path = tokenFilePath(stateDir);
  let seen: string | undefined; // identity of the file version last read: inode, mtime, size
  let hash: Buffer | undefined;
  let epoch: string | undefined;
  const refresh = (): void => {
    let key = "none";
    try {
      const st = statSync(path, { throwIfNoEntry: false });
      if (st) key = `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      key = "unreadable";
    }
    if (key === seen) return;
    seen = key;
    hash = undefined;
    epoch = undefined;
    if (key === "none" || key === "unreadable") return;
    try {
      const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<TokenFile>;
      if (typeof parsed.sha256 === "string" && /^[0-9a-f]{64}$/.test(parsed.sha256)) {
        hash = Buffer.from(parsed.sha256, "hex");
        epoch = `file:${epochOf(hash)}`;
      }
    } catch {
      // Damaged or vanished between stat and read: nothing is accepted until the next change.
    }
  };
  return {
    verify(token) {
      refresh();
      const digest = sha256(token); // computed either way, so a missing file answers in the same time
      return hash !== undefined && timingSafeEqual(digest, hash);
    },
    epoch() {
      refresh();
      return epoch;
    },
  };
}

function epochOf(hash: Buffer): string {
  return createHash("sha256").update(hash).digest("hex").slice(0, 16);
}
