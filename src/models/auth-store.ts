// The credential file `<stateDir>/auth.json` (0600, dir 0700, atomic temp+rename writes): read, set, remove, list.
// It stores secrets; listing only ever returns masked fingerprints. Resolution order lives in credentials.ts.
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { chmod, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ConfigError } from "../core/errors.ts";
import { prepareStateDir, toSetupError } from "../config/state-dir.ts";
import { ownEntry, setOwnEntry } from "../core/own-entry.ts";

const oauthSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().optional(),
  expires_at: z.number().optional(), // epoch ms
});
const entrySchema = z.object({ api_key: z.string().min(1).optional(), oauth: oauthSchema.optional() });
const storeSchema = z.record(z.string(), entrySchema);

export type OAuthCredential = z.infer<typeof oauthSchema>;
export type AuthStoreEntry = z.infer<typeof entrySchema>;
/** Contents of auth.json, keyed by provider id. */
export type AuthStore = Record<string, AuthStoreEntry>;
export type CredentialType = "api_key" | "oauth";

export type CredentialInput =
  | { type: "api_key"; value: string }
  | { type: "oauth"; value: string | OAuthCredential };

export interface CredentialListing {
  provider: string;
  types: CredentialType[];
  /** Masked, e.g. `sk-…abcd`; the api key's when present, else the OAuth access token's. */
  fingerprint: string;
}

export function authStorePath(stateDir: string): string {
  return join(stateDir, "auth.json");
}

/** Reads the store; a missing file is an empty store. Bad JSON or shape → ConfigError naming the file. */
export async function loadAuthStore(stateDir: string): Promise<AuthStore> {
  const file = authStorePath(stateDir);
  let raw: string;
  try {
    raw = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    if ((err as NodeJS.ErrnoException).code === "ENOTDIR") throw toSetupError(err, { dir: stateDir }) ?? err;
    throw new ConfigError({ file, problem: `cannot read the auth store (${(err as NodeJS.ErrnoException).code ?? "error"})`, fix: "check the file's owner and permissions (0600)", cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError({ file, problem: "the auth store is not valid JSON", fix: `fix or delete ${file} and set credentials again with 'pincer auth set <provider>'`, cause: err });
  }
  const parsed = storeSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keyPath = issue ? issue.path.join(".") : undefined;
    throw new ConfigError({ file, keyPath, problem: `unexpected auth store shape: ${issue?.message ?? "invalid"}`, fix: `fix or delete ${file}`, cause: parsed.error });
  }
  return parsed.data;
}

/**
 * A reader for a long-running process that needs the store on every model call: it re-reads auth.json only when
 * the file's inode, size or mtime changed (a `pincer auth set` renames a new file in, so the next call sees it),
 * and otherwise returns the same parsed object. Contract: callers must not mutate the returned store.
 */
export function createAuthStoreReader(stateDir: string): () => Promise<AuthStore> {
  const file = authStorePath(stateDir);
  let cached: { version: string; store: AuthStore } | undefined;
  return async () => {
    // A sync stat is a few microseconds; a missing file comes back undefined instead of as a thrown error.
    let stat;
    try {
      stat = statSync(file, { throwIfNoEntry: false, bigint: true });
    } catch {
      return loadAuthStore(stateDir); // unreadable: let the full read report it as a ConfigError
    }
    const version = stat ? `${stat.ino}:${stat.size}:${stat.mtimeNs}` : "missing";
    if (cached?.version === version) return cached.store;
    const store = stat ? await loadAuthStore(stateDir) : {};
    cached = { version, store };
    return store;
  };
}

/** Writes the whole store atomically: a 0600 temp file in the same dir, then rename over auth.json. */
export async function saveAuthStore(stateDir: string, store: AuthStore): Promise<void> {
  await prepareStateDir(stateDir);
  const file = authStorePath(stateDir);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    await chmod(tmp, 0o600); // umask can only narrow, but be explicit
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw toSetupError(err, { dir: stateDir, path: file }) ?? err;
  }
}

/** Stores an API key or OAuth token for a provider, keeping the other type untouched. */
export async function setCredential(stateDir: string, provider: string, cred: CredentialInput): Promise<void> {
  const store = await loadAuthStore(stateDir);
  const entry: AuthStoreEntry = { ...ownEntry(store, provider) };
  if (cred.type === "api_key") entry.api_key = cred.value;
  else entry.oauth = typeof cred.value === "string" ? { access_token: cred.value } : cred.value;
  setOwnEntry(store, provider, entry);
  await saveAuthStore(stateDir, store);
}

/** Removes one credential type (or all) for a provider. Returns whether anything was removed. */
export async function removeCredential(stateDir: string, provider: string, type?: CredentialType): Promise<boolean> {
  const store = await loadAuthStore(stateDir);
  const entry = ownEntry(store, provider);
  if (!entry) return false;
  const had = type ? entry[type] !== undefined : true;
  if (!had) return false;
  if (type) delete entry[type];
  if (!type || (entry.api_key === undefined && entry.oauth === undefined)) delete store[provider];
  await saveAuthStore(stateDir, store);
  return true;
}

/** Providers with stored credentials, masked. Never returns a full secret. */
export async function listCredentials(stateDir: string): Promise<CredentialListing[]> {
  const store = await loadAuthStore(stateDir);
  return Object.entries(store)
    .map(([provider, entry]) => {
      const types: CredentialType[] = [];
      if (entry.api_key !== undefined) types.push("api_key");
      if (entry.oauth !== undefined) types.push("oauth");
      return { provider, types, fingerprint: maskSecret(entry.api_key ?? entry.oauth?.access_token ?? "") };
    })
    .filter((l) => l.types.length > 0)
    .sort((a, b) => a.provider.localeCompare(b.provider));
}

/** `sk-proj-abcdef…wxyz` → `sk-…wxyz`; short secrets reveal nothing but their length class. */
export function maskSecret(secret: string): string {
  if (secret.length < 12) return "…";
  return `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}
