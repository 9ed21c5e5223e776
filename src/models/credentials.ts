// Credential resolution for one provider: config → env → auth store, filtered by auth_mode.
// Pure (env and the loaded auth store are passed in); it never reads files or process.env itself.
import type { AuthMode, ProviderConfig } from "../core/config-schema.ts";
import { ProviderError } from "../core/errors.ts";
import type { AuthStore, CredentialType } from "./auth-store.ts";
import { apiKeyEnvVar, isKeyRequired, oauthEnvVar, supportsOAuth } from "./presets.ts";
import { ownEntry } from "../core/own-entry.ts";

export type CredentialSource = "config" | "env" | "auth_store";

/** What to authenticate with. `keys` is a pool for api keys, a single token for oauth. */
export type ResolvedCredential =
  | { type: CredentialType; keys: string[]; source: CredentialSource }
  /** The provider needs no credential (local openai-compatible servers). */
  | { type: "none"; keys: []; source: "none" };

export interface CredentialQuery {
  providerId: string;
  /** With `type` (and `preset`) already filled in, see findProviderConfig. */
  providerConfig: ProviderConfig;
  authMode: AuthMode;
  env: Record<string, string | undefined>;
  authStore: AuthStore;
  /** Message prefix naming the caller, e.g. `tier "default" (openai/gpt-4o)`. */
  where?: string;
}

interface Found {
  keys: string[];
  source: CredentialSource;
}

function nonEmpty(values: Array<string | undefined>): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === "string" && v.trim().length > 0).map((v) => v.trim()))];
}

function findApiKeys(q: CredentialQuery): Found | undefined {
  const cfg = q.providerConfig;
  const fromConfig = nonEmpty([cfg.api_key, ...(cfg.api_keys ?? [])]);
  if (fromConfig.length > 0) return { keys: fromConfig, source: "config" };
  const envVar = apiKeyEnvVar(cfg);
  const fromEnv = nonEmpty([envVar ? q.env[envVar] : undefined]);
  if (fromEnv.length > 0) return { keys: fromEnv, source: "env" };
  const fromStore = nonEmpty([ownEntry(q.authStore, q.providerId)?.api_key]);
  if (fromStore.length > 0) return { keys: fromStore, source: "auth_store" };
  return undefined;
}

function findOAuthToken(q: CredentialQuery): Found | undefined {
  if (!supportsOAuth(q.providerConfig.type)) return undefined;
  const fromConfig = nonEmpty([q.providerConfig.auth_token]);
  if (fromConfig.length > 0) return { keys: fromConfig, source: "config" };
  const envVar = oauthEnvVar(q.providerConfig.type);
  const fromEnv = nonEmpty([envVar ? q.env[envVar] : undefined]);
  if (fromEnv.length > 0) return { keys: fromEnv, source: "env" };
  const fromStore = nonEmpty([ownEntry(q.authStore, q.providerId)?.oauth?.access_token]);
  if (fromStore.length > 0) return { keys: fromStore, source: "auth_store" };
  return undefined;
}

/**
 * The credential a provider call should use. `auto` prefers API keys over OAuth tokens; `api_key` and
 * `oauth` take only that type. Contract: throws ProviderError `missing_credential` with an actionable
 * message (what is missing, for which provider and tier, and how to fix it) when nothing usable exists.
 */
export function resolveCredential(q: CredentialQuery): ResolvedCredential {
  const apiKey = q.authMode === "oauth" ? undefined : findApiKeys(q);
  if (apiKey) return { type: "api_key", ...apiKey };
  const oauth = q.authMode === "api_key" ? undefined : findOAuthToken(q);
  if (oauth) return { type: "oauth", ...oauth };
  if (!isKeyRequired(q.providerConfig)) return { type: "none", keys: [], source: "none" };
  throw new ProviderError({ code: "missing_credential", message: describeMissing(q), provider: q.providerId });
}

function describeMissing(q: CredentialQuery): string {
  const { providerId: id, providerConfig: cfg, authMode } = q;
  const oauthOk = supportsOAuth(cfg.type);
  const where = q.where ?? `models.providers.${id}`;
  const wantsOAuth = authMode === "oauth";
  if (!wantsOAuth && cfg.api_key_env) return describeUnsetKeyEnv(q, cfg.api_key_env);
  const what = wantsOAuth ? "OAuth token" : authMode === "auto" && oauthOk ? "API key or OAuth token" : "API key";
  let problem = `${where}: no ${what} for provider "${id}" (auth_mode ${authMode})`;
  if (wantsOAuth && !oauthOk) {
    return `${problem}. Provider type "${cfg.type}" takes API keys only. Fix: set auth_mode: api_key (or auto) on the tier`;
  }
  // Say so when the other credential type exists but the mode excludes it.
  const other = authMode === "api_key" ? findOAuthToken(q) : authMode === "oauth" ? findApiKeys(q) : undefined;
  if (other) {
    const otherName = authMode === "api_key" ? "an OAuth token" : "an API key";
    problem += `; ${otherName} exists (${other.source.replace("_", " ")}) but auth_mode ${authMode} excludes it`;
  }
  const fixes: string[] = [];
  if (wantsOAuth) {
    const envVar = oauthEnvVar(cfg.type);
    if (envVar) fixes.push(`set ${envVar}`);
    fixes.push(`run 'pincer auth set ${id} --oauth'`, `add models.providers.${id}.auth_token`);
  } else {
    const envVar = apiKeyEnvVar(cfg);
    if (envVar) fixes.push(`set ${envVar}`);
    fixes.push(`run 'pincer auth set ${id}'`, `add models.providers.${id}.api_key`);
  }
  if (other) fixes.push("set auth_mode: auto on the tier");
  return `${problem}. Fix: ${fixes.join(", or ")}`;
}

/** The provider names its key's variable (`api_key_env`) and that variable is unset or empty. */
function describeUnsetKeyEnv(q: CredentialQuery, envVar: string): string {
  const id = q.providerId;
  const state = q.env[envVar] === undefined ? "is not set" : "is empty";
  const where = q.where ? `, ${q.where}` : "";
  const fixes = [`export ${envVar}=<key>`, `run 'pincer auth set ${id}'`];
  if (q.providerConfig.type === "openai-compatible") fixes.push("remove api_key_env for a keyless local server");
  return `models.providers.${id}.api_key_env: ${envVar} ${state} (provider "${id}"${where}). Fix: ${fixes.join(", or ")}`;
}
