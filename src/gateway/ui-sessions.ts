// UI sessions: bearer tokens the gateway hands out for a used login code, accepted wherever the gateway token is.
// Stored only as hashes in `<state dir>/ui-sessions.json` (0600), each bound to the gateway token's generation, so
// rotating the token revokes them all — also in a gateway that keeps running. Issuing and checking only; the HTTP
// exchange is in api-auth.ts.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";

/** Every UI session token starts with this, so a gateway token is never looked up among sessions. */
export const UI_SESSION_PREFIX = "pui_";
/** Sessions kept at most; the oldest go first (each `pincer status` against a running gateway opens a short one). */
const MAX_SESSIONS = 500;

interface SessionEntry {
  sha256: string;
  /** The gateway token generation it belongs to (LiveTokenVerifier.epoch). */
  epoch: string;
  created_at: number; // epoch ms
  expires_at: number; // epoch ms
  purpose: string;
}

interface SessionsFile {
  sessions: SessionEntry[];
}

export interface IssuedSession {
  token: string;
  /** epoch ms */
  expiresAt: number;
}

export interface UiSessions {
  /** Opens a session for the current token generation; undefined while the gateway has no token. */
  issue(opts: { ttlMs: number; purpose: string }): IssuedSession | undefined;
  /** Whether `token` is an unexpired session of the current token generation. Contract: never throws. */
  verify(token: string): boolean;
}

export interface UiSessionsOptions {
  stateDir: string;
  /** The gateway token's current generation (LiveTokenVerifier.epoch). */
  epoch: () => string | undefined;
  /** epoch ms */
  now?: () => number;
}

export function uiSessionsPath(stateDir: string): string {
  return join(stateDir, "ui-sessions.json");
}

const hashOf = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/**
 * The sessions of one state dir. The file is stat'ed on each check and re-read when it changed (a rotation removes
 * it; another gateway on the same state dir may add to it); writes are synchronous temp+rename, so readers never
 * see half a file and this process never interleaves two of its own.
 */
export function openUiSessions(opts: UiSessionsOptions): UiSessions {
  const now = opts.now ?? Date.now;
  const path = uiSessionsPath(opts.stateDir);
  let seen: string | undefined;
  let entries = new Map<string, SessionEntry>(); // sha256 → entry

  const identity = (): string => {
    try {
      const st = statSync(path, { throwIfNoEntry: false });
      return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : "none";
    } catch {
      return "unreadable";
    }
  };
  const refresh = (): void => {
    const key = identity();
    if (key === seen) return;
    seen = key;
    entries = new Map();
    if (key === "none" || key === "unreadable") return;
    try {
      const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<SessionsFile>;
      for (const e of Array.isArray(parsed.sessions) ? parsed.sessions : []) {
        if (typeof e?.sha256 === "string" && typeof e.epoch === "string" && typeof e.expires_at === "number") entries.set(e.sha256, e);
      }
    } catch {
      // damaged: no sessions until it is rewritten
    }
  };

  return {
    issue({ ttlMs, purpose }) {
      refresh();
      const epoch = opts.epoch();
      if (epoch === undefined) return undefined;
      const at = now();
      const token = `${UI_SESSION_PREFIX}${randomBytes(32).toString("base64url")}`;
      const entry: SessionEntry = { sha256: hashOf(token), epoch, created_at: at, expires_at: at + ttlMs, purpose };
      const kept = [...entries.values()].filter((e) => e.expires_at > at && e.epoch === epoch);
      kept.push(entry);
      kept.sort((a, b) => a.created_at - b.created_at);
      const file: SessionsFile = { sessions: kept.slice(-MAX_SESSIONS) };
      const temp = `${path}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify(file)}\n`, { mode: 0o600 });
      renameSync(temp, path);
      entries = new Map(file.sessions.map((e) => [e.sha256, e]));
      seen = identity();
      return { token, expiresAt: entry.expires_at };
    },
    verify(token) {
      if (!token.startsWith(UI_SESSION_PREFIX)) return false;
      refresh();
      const entry = entries.get(hashOf(token));
      return entry !== undefined && entry.expires_at > now() && entry.epoch === opts.epoch();
    },
  };
}

/** Ends every UI session of a state dir (a token rotation does this). */
export async function revokeUiSessions(stateDir: string): Promise<void> {
  await rm(uiSessionsPath(stateDir), { force: true });
}
