// Provider defaults: openai-compatible presets (base URL, key env var, key required), standard env vars per
// provider type, and implicit providers (`openai/x` works without a models.providers.openai entry).
import { COMPAT_PRESETS, PROVIDER_TYPES } from "../core/config-schema.ts";
import type { CompatPreset, ProviderConfig, ProviderType } from "../core/config-schema.ts";
import { ConfigError } from "../core/errors.ts";
import { ownEntry } from "../core/own-entry.ts";

export interface PresetInfo {
  baseURL: string;
  /** Env var holding the API key; undefined for local servers. */
  keyEnv: string | undefined;
  keyRequired: boolean;
}

export const COMPAT_PRESET_INFO: Readonly<Record<CompatPreset, PresetInfo>> = {
  ollama: { baseURL: "http://127.0.0.1:11434/v1", keyEnv: undefined, keyRequired: false },
  vllm: { baseURL: "http://127.0.0.1:8000/v1", keyEnv: undefined, keyRequired: false },
  lmstudio: { baseURL: "http://127.0.0.1:1234/v1", keyEnv: undefined, keyRequired: false },
  openrouter: { baseURL: "https://openrouter.ai/api/v1", keyEnv: "OPENROUTER_API_KEY", keyRequired: true },
  minimax: { baseURL: "https://api.minimax.io/v1", keyEnv: "MINIMAX_API_KEY", keyRequired: true },
  moonshot: { baseURL: "https://api.moonshot.ai/v1", keyEnv: "MOONSHOT_API_KEY", keyRequired: true },
};

const API_KEY_ENV: Readonly<Record<Exclude<ProviderType, "openai-compatible">, string>> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  google: "GOOGLE_GENERATIVE_AI_API_KEY",
  gateway: "AI_GATEWAY_API_KEY",
};

/** Provider types that accept a bearer/OAuth token, with the env var it is read from (if any). */
const OAUTH_ENV: Readonly<Partial<Record<ProviderType, string | undefined>>> = {
  anthropic: "ANTHROPIC_AUTH_TOKEN",
  openai: "OPENAI_OAUTH_TOKEN",
  "openai-compatible": undefined,
};

export function isPresetName(id: string): id is CompatPreset {
  return (COMPAT_PRESETS as readonly string[]).includes(id);
}

function isProviderType(id: string): id is ProviderType {
  return (PROVIDER_TYPES as readonly string[]).includes(id);
}

/** The env var for a provider's API key: `api_key_env`, else the type's (or preset's) standard variable. */
export function apiKeyEnvVar(config: ProviderConfig): string | undefined {
  if (config.api_key_env) return config.api_key_env;
  if (config.type === "openai-compatible") return config.preset ? COMPAT_PRESET_INFO[config.preset].keyEnv : undefined;
  return API_KEY_ENV[config.type];
}

export function supportsOAuth(type: ProviderType): boolean {
  return type in OAUTH_ENV;
}

export function oauthEnvVar(type: ProviderType): string | undefined {
  return OAUTH_ENV[type];
}

/**
 * Local openai-compatible servers (and custom ones without a preset) work without a key, unless the config
 * names the key's variable with `api_key_env`: then an unset variable is a mistake, never "no key".
 */
export function isKeyRequired(config: ProviderConfig): boolean {
  if (config.type !== "openai-compatible" || config.api_key_env) return true;
  return config.preset ? COMPAT_PRESET_INFO[config.preset].keyRequired : false;
}

/** `base_url`, else the preset's default; undefined means the SDK's own default endpoint. */
export function baseURLOf(config: ProviderConfig): string | undefined {
  if (config.base_url) return config.base_url;
  return config.type === "openai-compatible" && config.preset ? COMPAT_PRESET_INFO[config.preset].baseURL : undefined;
}

/** Splits `provider/model` at the first slash (`openrouter/anthropic/claude` → model `anthropic/claude`). */
export function splitModelRef(ref: string): { providerId: string; modelId: string } | undefined {
  const slash = ref.indexOf("/");
  if (slash <= 0 || slash === ref.length - 1) return undefined;
  return { providerId: ref.slice(0, slash), modelId: ref.slice(slash + 1) };
}

/**
 * The config for a provider id: the configured entry (preset inferred from the id when absent), or an
 * implicit one when the id is a provider type or preset name. Throws ConfigError for unknown ids.
 */
export function findProviderConfig(providers: Record<string, ProviderConfig>, providerId: string, ref: string): ProviderConfig {
  const configured = ownEntry(providers, providerId);
  let config: ProviderConfig | undefined;
  if (configured) {
    const preset = configured.preset ?? (configured.type === "openai-compatible" && isPresetName(providerId) ? providerId : undefined);
    config = preset ? { ...configured, preset } : configured;
  } else if (isPresetName(providerId)) {
    config = { type: "openai-compatible", preset: providerId };
  } else if (isProviderType(providerId) && providerId !== "openai-compatible") {
    config = { type: providerId };
  }
  if (!config) {
    const known = [...new Set([...Object.keys(providers), ...PROVIDER_TYPES.filter((t) => t !== "openai-compatible"), ...COMPAT_PRESETS])];
    throw new ConfigError({
      keyPath: `models.providers.${providerId}`,
      problem: `unknown provider "${providerId}" in model "${ref}"`,
      fix: `use one of ${known.join(", ")}, or add models.providers.${providerId} with a type (${PROVIDER_TYPES.join(", ")})`,
    });
  }
  if (config.type === "openai-compatible" && !baseURLOf(config)) {
    throw new ConfigError({
      keyPath: `models.providers.${providerId}.base_url`,
      problem: `provider "${providerId}" (openai-compatible) has no base_url`,
      fix: `set models.providers.${providerId}.base_url, or a preset (${COMPAT_PRESETS.join(", ")})`,
    });
  }
  return config;
}
