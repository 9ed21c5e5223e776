// Builds AI SDK language models per provider type, importing each provider package lazily on first use.
// The instance cache is a value the router owns and passes in; this module holds no state.
import type { LanguageModel } from "ai";
import { PROVIDER_TYPES } from "../core/config-schema.ts";
import type { ProviderConfig } from "../core/config-schema.ts";
import { ConfigError } from "../core/errors.ts";
import { baseURLOf } from "./presets.ts";

export interface LanguageModelOptions {
  providerId: string;
  /** With `type` (and `preset`) filled in, see findProviderConfig. */
  providerConfig: ProviderConfig;
  modelId: string;
  apiKey?: string;
  /** Bearer/OAuth token, used instead of apiKey. */
  authToken?: string;
  fetch?: typeof fetch;
}

/**
 * A provider's language model: the AI SDK's language-model specification (v3), which every provider package
 * implements. The model layer calls its `doStream` directly; the types below are the spec's call and stream shapes.
 */
export type ProviderModel = Extract<LanguageModel, { specificationVersion: "v3" }>;
export type ProviderCallOptions = Parameters<ProviderModel["doStream"]>[0];
export type ProviderPrompt = ProviderCallOptions["prompt"];
export type ProviderStreamPart = Awaited<ReturnType<ProviderModel["doStream"]>>["stream"] extends ReadableStream<infer P> ? P : never;

/** Model instances keyed by provider, model and credential; owned by one router. */
export type ModelCache = Map<string, Promise<ProviderModel>>;

export function createModelCache(): ModelCache {
  return new Map();
}

/** createLanguageModel through `cache`; a failed creation is not cached. */
export function loadLanguageModel(cache: ModelCache, opts: LanguageModelOptions): Promise<ProviderModel> {
  const key = [opts.providerId, opts.modelId, opts.apiKey ? `k:${opts.apiKey}` : "", opts.authToken ? `t:${opts.authToken}` : ""].join("\u0000");
  let model = cache.get(key);
  if (!model) {
    model = createLanguageModel(opts);
    cache.set(key, model);
    model.catch(() => cache.delete(key));
  }
  return model;
}

/** A language model for one provider/model pair. Throws ConfigError for an unknown provider type. */
export async function createLanguageModel(opts: LanguageModelOptions): Promise<ProviderModel> {
  const { providerConfig: cfg, modelId } = opts;
  const baseURL = baseURLOf(cfg);
  const common = { baseURL, headers: cfg.headers, fetch: opts.fetch };
  switch (cfg.type) {
    case "openai": {
      const { createOpenAI } = await import("@ai-sdk/openai");
      const provider = createOpenAI({ ...common, apiKey: opts.apiKey ?? opts.authToken });
      // The default (Responses API) exists only at api.openai.com; a custom base_url is usually a
      // chat-completions server (proxy, Azure-style gateway), so use that wire format there.
      return baseURL ? provider.chat(modelId) : provider(modelId);
    }
    case "anthropic": {
      const { createAnthropic } = await import("@ai-sdk/anthropic");
      // The SDK rejects apiKey and authToken together; authToken is sent as `Authorization: Bearer`.
      const auth = opts.apiKey !== undefined ? { apiKey: opts.apiKey } : { authToken: opts.authToken };
      return createAnthropic({ ...common, ...auth })(modelId);
    }
    case "google": {
      const { createGoogleGenerativeAI } = await import("@ai-sdk/google");
      return createGoogleGenerativeAI({ ...common, apiKey: opts.apiKey ?? opts.authToken })(modelId);
    }
    case "gateway": {
      const { createGateway } = await import("@ai-sdk/gateway");
      return createGateway({ ...common, apiKey: opts.apiKey ?? opts.authToken })(modelId);
    }
    case "openai-compatible": {
      if (!baseURL) {
        throw new ConfigError({
          keyPath: `models.providers.${opts.providerId}.base_url`,
          problem: `provider "${opts.providerId}" (openai-compatible) has no base_url`,
          fix: "set base_url or a preset",
        });
      }
      const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
      const provider = createOpenAICompatible({
        ...common,
        baseURL,
        name: cfg.preset ?? opts.providerId,
        apiKey: opts.apiKey ?? opts.authToken,
        includeUsage: true,
      });
      return provider.chatModel(modelId);
    }
    default:
      throw new ConfigError({
        keyPath: `models.providers.${opts.providerId}.type`,
        problem: `unknown provider type "${String((cfg as { type: unknown }).type)}" for model "${opts.providerId}/${modelId}"`,
        fix: `use one of ${PROVIDER_TYPES.join(", ")}`,
      });
  }
}
