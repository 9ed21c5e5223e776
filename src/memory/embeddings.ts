// Embeddings for the memory index over an OpenAI-compatible `/embeddings` endpoint (OpenAI, Google's OpenAI-compatible
// API, Ollama, vLLM…), with a provider of models.providers and its usual credentials. Each call is recorded in usage.
import type { PincerConfig } from "../core/config-schema.ts";
import type { UsageRecord } from "../core/domain.ts";
import { ProviderError } from "../core/errors.ts";
import { loadAuthStore } from "../models/auth-store.ts";
import { resolveCredential } from "../models/credentials.ts";
import { baseURLOf, findProviderConfig } from "../models/presets.ts";
import { computeCost, findPrice, mergePrices } from "../models/prices.ts";

/** Embeds texts in one request: one vector per text, in order. Contract: throws ProviderError, never with a secret. */
export type Embedder = {
  /** `provider/model`: the cache key of the vectors (a new model never reuses another's). */
  readonly id: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
};

export interface EmbedderOptions {
  config: () => PincerConfig;
  stateDir: string;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => number;
  /** Where each call's usage goes (the usage ledger). */
  recordUsage?: (record: UsageRecord) => Promise<void>;
  /** The agent the vectors are for, in the usage record. */
  agentId?: string;
}

const DEFAULT_BASE: Record<string, string> = {
  openai: "https://api.openai.com/v1",
  google: "https://generativelanguage.googleapis.com/v1beta/openai",
};

/** Undefined when `memory.embeddings` is not configured (full-text search only). */
export function createEmbedder(opts: EmbedderOptions): Embedder | undefined {
  const settings = opts.config().memory.embeddings;
  if (!settings) return undefined;
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const { provider, model } = settings;
  const where = "memory.embeddings";
  return {
    id: `${provider}/${model}`,
    async embed(texts, signal) {
      if (texts.length === 0) return [];
      const config = opts.config();
      const providerConfig = findProviderConfig(config.models.providers, provider, `${provider}/${model}`);
      const base = (baseURLOf(providerConfig) ?? DEFAULT_BASE[providerConfig.type] ?? DEFAULT_BASE.openai!).replace(/\/+$/, "");
      const credential = resolveCredential({ providerId: provider, providerConfig, authMode: "auto", env: opts.env, authStore: await loadAuthStore(opts.stateDir), where });
      const headers: Record<string, string> = { "content-type": "application/json", ...providerConfig.headers };
      if (credential.keys[0]) headers.authorization = `Bearer ${credential.keys[0]}`;
      let res: Response;
      try {
        res = await doFetch(`${base}/embeddings`, { method: "POST", headers, body: JSON.stringify({ model, input: texts }), ...(signal ? { signal } : {}) });
      } catch (err) {
        throw new ProviderError({ code: "network", message: `${where}: ${provider} is unreachable at ${base}`, provider, cause: err });
      }
      if (!res.ok) {
        const code = res.status === 401 || res.status === 403 ? "auth_failed" : res.status === 429 ? "rate_limited" : res.status >= 500 ? "server_error" : "bad_request";
        throw new ProviderError({ code, message: `${where}: ${provider} answered ${res.status} for model ${model}`, provider, status: res.status });
      }
      const body = (await res.json().catch(() => ({}))) as { data?: Array<{ embedding?: unknown; index?: unknown }>; usage?: { prompt_tokens?: unknown; total_tokens?: unknown } };
      const vectors = toVectors(body.data, texts.length);
      if (!vectors) throw new ProviderError({ code: "bad_request", message: `${where}: ${provider} returned no usable embeddings for ${texts.length} texts`, provider });
      const tokens = Number(body.usage?.prompt_tokens ?? body.usage?.total_tokens ?? 0) || 0;
      const price = findPrice(mergePrices(config.models.prices), { providerId: provider, providerType: providerConfig.type, modelId: model });
      await opts.recordUsage?.({
        runId: undefined, sessionKey: undefined, agentId: opts.agentId, provider, model, inputTokens: tokens, outputTokens: 0, cachedTokens: 0,
        costUsd: computeCost(price, { inputTokens: tokens, outputTokens: 0, cachedTokens: 0 }), at: now(),
      });
      return vectors;
    },
  };
}

function toVectors(data: Array<{ embedding?: unknown; index?: unknown }> | undefined, count: number): Float32Array[] | undefined {
  if (!Array.isArray(data) || data.length !== count) return undefined;
  const out: Float32Array[] = Array.from({ length: count });
  for (const [i, item] of data.entries()) {
    const at = typeof item.index === "number" ? item.index : i;
    if (!Array.isArray(item.embedding) || at < 0 || at >= count || !item.embedding.every((x) => typeof x === "number")) return undefined;
    out[at] = Float32Array.from(item.embedding as number[]);
  }
  return out.every(Boolean) ? out : undefined;
}
