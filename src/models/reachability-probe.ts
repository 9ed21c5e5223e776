// Live reachability of each configured model provider, for the dashboard and `pincer status`: one request to the
// provider's model-list endpoint (free, no tokens spent) with the credential a turn would use, timed, and failures
// mapped to ProviderError codes with a fix. Results are cached (30 s by default); a forced probe bypasses the cache.
import type { AuthMode, PincerConfig, ProviderConfig, ProviderType } from "../core/config-schema.ts";
import { ConfigError, ProviderError } from "../core/errors.ts";
import type { ProviderErrorCode } from "../core/errors.ts";
import { createAuthStoreReader } from "./auth-store.ts";
import { resolveCredential } from "./credentials.ts";
import { resolveCandidates } from "./model-candidates.ts";
import { baseURLOf, findProviderConfig, splitModelRef } from "./presets.ts";
import { toProviderError } from "./provider-errors.ts";

export interface ProviderReachability {
  provider: string;
  type: ProviderType | null;
  /** Configured model refs served by this provider (`openai/gpt-4o-mini`), from tiers and agents. */
  models: string[];
  ok: boolean;
  /** Round trip of the list request, ms; null when no request was made. */
  latencyMs: number | null;
  /** epoch ms */
  checkedAt: number;
  /** Configured models the provider's list does not contain (only when it returned a list). */
  unlisted: string[];
  error: { code: ProviderErrorCode | "config"; message: string; fix: string } | null;
}

export interface ReachabilityProbe {
  /** Every configured provider's reachability. Contract: never throws; concurrent calls share one probe. */
  probe(opts?: { force?: boolean }): Promise<ProviderReachability[]>;
}

export interface ReachabilityProbeOptions {
  /** The live models config (a reload changes it; the cache is dropped then). */
  config: () => PincerConfig;
  stateDir: string;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => number;
  /** How long a result is reused, ms. Default 30 000. */
  ttlMs?: number;
  /** Per request, ms. Default 5 000. */
  timeoutMs?: number;
}

interface Target {
  providerId: string;
  providerConfig: ProviderConfig | undefined;
  authMode: AuthMode;
  models: string[];
  configError?: ConfigError;
}

export function createReachabilityProbe(opts: ReachabilityProbeOptions): ReachabilityProbe {
  const now = opts.now ?? Date.now;
  const ttlMs = opts.ttlMs ?? 30_000;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const doFetch = opts.fetch ?? fetch;
  const loadAuthStore = createAuthStoreReader(opts.stateDir);
  let cached: { at: number; config: PincerConfig; result: Promise<ProviderReachability[]> } | undefined;

  const probeOne = async (t: Target): Promise<ProviderReachability> => {
    const base = { provider: t.providerId, type: t.providerConfig?.type ?? null, models: t.models, checkedAt: now(), unlisted: [] as string[] };
    if (t.configError || !t.providerConfig) {
      const err = t.configError ?? new ConfigError({ problem: `unknown provider "${t.providerId}"` });
      return { ...base, ok: false, latencyMs: null, error: { code: "config", message: err.message, fix: err.fix ?? "correct models in pincer.yaml" } };
    }
    const cfg = t.providerConfig;
    let key: { value: string; oauth: boolean } | undefined;
    try {
      const credential = resolveCredential({ providerId: t.providerId, providerConfig: cfg, authMode: t.authMode, env: opts.env, authStore: await loadAuthStore() });
      key = credential.keys[0] === undefined ? undefined : { value: credential.keys[0], oauth: credential.type === "oauth" };
    } catch (err) {
      const error = err instanceof ProviderError ? err : new ProviderError({ code: "missing_credential", message: String(err) });
      return { ...base, ok: false, latencyMs: null, error: describe(error, t.providerId, cfg) };
    }
    const request = listRequest(cfg, key);
    const started = performance.now();
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await doFetch(request.url, { headers: request.headers, signal, redirect: "error" });
      const body = await res.text();
      const latencyMs = Math.round(performance.now() - started);
      if (!res.ok) {
        const failure = Object.assign(new Error(summarizeBody(body) || res.statusText), { statusCode: res.status, responseHeaders: Object.fromEntries(res.headers) });
        const error = toProviderError(failure, { providerId: t.providerId, modelId: "models", timedOut: false, callerAborted: false, timeoutMs, secrets: key ? [key.value] : [], now });
        return { ...base, ok: false, latencyMs, error: describe(error, t.providerId, cfg) };
      }
      const listed = listedModels(body);
      const unlisted = listed === undefined ? [] : t.models.filter((ref) => !listed.has(splitModelRef(ref)?.modelId ?? ref));
      return { ...base, ok: true, latencyMs, unlisted, error: null };
    } catch (err) {
      const error = toProviderError(err, { providerId: t.providerId, modelId: "models", timedOut: signal.aborted, callerAborted: false, timeoutMs, secrets: key ? [key.value] : [], now });
      return { ...base, ok: false, latencyMs: null, error: describe(error, t.providerId, cfg) };
    }
  };

  return {
    probe(o = {}) {
      const config = opts.config();
      if (!o.force && cached && cached.config === config && now() - cached.at < ttlMs) return cached.result;
      const result = Promise.all(listTargets(config).map(probeOne));
      cached = { at: now(), config, result };
      return result;
    },
  };
}

/** Providers the config uses (tiers' candidates, agents' `provider/model` refs) plus every configured one, in that order. */
export function listTargets(config: PincerConfig): Target[] {
  const targets = new Map<string, Target>();
  const add = (providerId: string, fill: Partial<Target>): void => {
    const t = targets.get(providerId) ?? { providerId, providerConfig: undefined, authMode: "auto", models: [] };
    if (fill.providerConfig && !t.providerConfig) t.providerConfig = fill.providerConfig;
    if (fill.authMode && t.models.length === 0) t.authMode = fill.authMode;
    for (const m of fill.models ?? []) if (!t.models.includes(m)) t.models.push(m);
    if (fill.configError && !t.configError) t.configError = fill.configError;
    targets.set(providerId, t);
  };
  const refs = [...Object.keys(config.models.tiers), ...Object.values(config.agents).map((a) => a.model)];
  for (const ref of new Set(refs)) {
    try {
      for (const c of resolveCandidates(config.models, ref)) add(c.providerId, { providerConfig: c.providerConfig, authMode: c.authMode, models: [c.ref] });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const providerId = splitModelRef(ref)?.providerId ?? /^models\.providers\.([^.]+)/.exec(err.keyPath ?? "")?.[1];
      if (providerId) add(providerId, { configError: err, models: [ref] });
    }
  }
  for (const providerId of Object.keys(config.models.providers)) {
    try {
      add(providerId, { providerConfig: findProviderConfig(config.models.providers, providerId, `${providerId}/*`) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      add(providerId, { configError: err });
    }
  }
  return [...targets.values()];
}

const DEFAULT_LIST_BASE: Readonly<Record<ProviderType, string | undefined>> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
  google: "https://generativelanguage.googleapis.com/v1beta",
  gateway: "https://ai-gateway.vercel.sh/v3/ai",
  "openai-compatible": undefined,
};

/** The provider's model-list request: `/models` (OpenAI, compatible servers, Anthropic, Google) or the AI Gateway's `/config`. */
export function listRequest(cfg: ProviderConfig, key: { value: string; oauth: boolean } | undefined): { url: string; headers: Record<string, string> } {
  const base = (cfg.base_url ?? baseURLOf(cfg) ?? DEFAULT_LIST_BASE[cfg.type] ?? "").replace(/\/+$/, "");
  const headers: Record<string, string> = { accept: "application/json", ...cfg.headers };
  const bearer = (): void => void (key && (headers["authorization"] = `Bearer ${key.value}`));
  switch (cfg.type) {
    case "anthropic":
      headers["anthropic-version"] = "2023-06-01";
      if (key?.oauth) {
        bearer();
        headers["anthropic-beta"] = "oauth-2025-04-20";
      } else if (key) headers["x-api-key"] = key.value;
      return { url: `${base}/models`, headers };
    case "google":
      if (key) headers["x-goog-api-key"] = key.value;
      return { url: `${base}/models`, headers };
    case "gateway":
      bearer();
      headers["ai-gateway-protocol-version"] = "0.0.1";
      return { url: `${base}/config`, headers };
    default:
      bearer();
      return { url: `${base}/models`, headers };
  }
}

/** Model ids in a list response (`data[].id`, `models[].id`, Google's `models[].name` = `models/<id>`); undefined if none. */
function listedModels(body: string): Set<string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const rows = (parsed as { data?: unknown; models?: unknown } | null)?.data ?? (parsed as { models?: unknown } | null)?.models;
  if (!Array.isArray(rows) || rows.length === 0) return undefined;
  const ids = new Set<string>();
  for (const row of rows as Array<{ id?: unknown; name?: unknown }>) {
    if (typeof row?.id === "string") ids.add(row.id);
    if (typeof row?.name === "string") ids.add(row.name.replace(/^models\//, ""));
  }
  return ids.size > 0 ? ids : undefined;
}

function summarizeBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === "string" ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === "string") return message.slice(0, 300);
  } catch {
    // Not JSON: the start of the text says enough.
  }
  return body.replace(/\s+/g, " ").trim().slice(0, 200);
}

/** The error's code and message, and how to fix it (the message's own "Fix:" when it has one). */
function describe(error: ProviderError, providerId: string, cfg: ProviderConfig): { code: ProviderErrorCode; message: string; fix: string } {
  const [message, ownFix] = error.message.split(/\. Fix: /, 2) as [string, string | undefined];
  const base = cfg.base_url ?? baseURLOf(cfg) ?? DEFAULT_LIST_BASE[cfg.type] ?? "its base_url";
  const fixes: Partial<Record<ProviderErrorCode, string>> = {
    missing_credential: `run 'pincer auth set ${providerId}', or set the key in models.providers.${providerId}`,
    auth_failed: `check the key with 'pincer auth list' and replace it with 'pincer auth set ${providerId}'`,
    network: `check that ${base} is right (models.providers.${providerId}.base_url) and that the server runs and is reachable from this machine`,
    timeout: `the provider did not answer in time; check the network, or the server's load`,
    rate_limited: "wait a moment, or add keys (api_keys) or a fallback model to the tier",
    server_error: "the provider has a problem on its side; try again later, or add a fallback model to the tier",
    bad_request: `the provider refused the request; check that models.providers.${providerId}.base_url points at the API root (e.g. …/v1)`,
  };
  return { code: error.code, message, fix: ownFix ?? fixes[error.code] ?? "see the message" };
}
