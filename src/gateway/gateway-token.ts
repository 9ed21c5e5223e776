// The gateway token: created once, stored only as a SHA-256 hash in <state>/gateway-token.json (0600),
// or supplied by PINCER_GATEWAY_TOKEN. Verification is constant-time; the plaintext is shown once at creation.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TokenVerifier } from "./gateway-context.ts";

export const TOKEN_ENV = "PINCER_GATEWAY_TOKEN";

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

/** Creates (or replaces) the stored token and returns its plaintext — the only time it is visible. */
export async function rotateGatewayToken(stateDir: string, now: () => number = Date.now): Promise<string> {
  const token = `pgw_${randomBytes(24).toString("base64url")}`;
  const file: TokenFile = { sha256: sha256(token).toString("hex"), created_at: now() };
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = tokenFilePath(stateDir);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(file)}\n`, { mode: 0o600 });
  await rename(tmp, path);
  return token;
}

export type TokenSource = { kind: "env" } | { kind: "file"; createdAt: number } | { kind: "none" };

/** Where the gateway's token comes from: the env var wins over the stored hash. */
export async function loadGatewayToken(stateDir: string, env: Record<string, string | undefined>): Promise<{ verifier: TokenVerifier | undefined; source: TokenSource }> {
  const fromEnv = env[TOKEN_ENV]?.trim();
  if (fromEnv) return { verifier: createTokenVerifier(sha256(fromEnv)), source: { kind: "env" } };
  let raw: string;
  try {
    raw = await readFile(tokenFilePath(stateDir), "utf8");
  } catch {
    return { verifier: undefined, source: { kind: "none" } };
  }
  const parsed = JSON.parse(raw) as Partial<TokenFile>;
  if (typeof parsed.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(parsed.sha256)) {
    throw new Error(`${tokenFilePath(stateDir)} is damaged; create a new token with 'pincer gateway token --rotate'`);
  }
  return { verifier: createTokenVerifier(Buffer.from(parsed.sha256, "hex")), source: { kind: "file", createdAt: parsed.created_at ?? 0 } };
}
