import { describe, expect, it } from "vitest";
import type { AuthMode, ProviderConfig } from "../core/config-schema.ts";
import { ProviderError } from "../core/errors.ts";
import type { AuthStore } from "./auth-store.ts";
import { resolveCredential } from "./credentials.ts";

function resolve(opts: { config?: Partial<ProviderConfig>; mode?: AuthMode; env?: Record<string, string>; store?: AuthStore; id?: string }) {
  const id = opts.id ?? "openai";
  return resolveCredential({
    providerId: id,
    providerConfig: { type: "openai", ...opts.config },
    authMode: opts.mode ?? "auto",
    env: opts.env ?? {},
    authStore: opts.store ?? {},
    where: `tier "default" (${id}/gpt-4o)`,
  });
}

function missing(fn: () => unknown): ProviderError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error("expected a ProviderError");
}

describe("resolveCredential", () => {
  it("prefers config, then env, then the auth store", () => {
    const store: AuthStore = { openai: { api_key: "store-key" } };
    const env = { OPENAI_API_KEY: "env-key" };
    expect(resolve({ config: { api_key: "cfg-key", api_keys: ["cfg-2", "cfg-key"] }, env, store })).toEqual({ type: "api_key", keys: ["cfg-key", "cfg-2"], source: "config" });
    expect(resolve({ env, store })).toEqual({ type: "api_key", keys: ["env-key"], source: "env" });
    expect(resolve({ store })).toEqual({ type: "api_key", keys: ["store-key"], source: "auth_store" });
  });

  it("reads api_key_env instead of the standard variable", () => {
    const env = { OPENAI_API_KEY: "std", WORK_KEY: "work" };
    expect(resolve({ config: { api_key_env: "WORK_KEY" }, env }).keys).toEqual(["work"]);
  });

  it("auto takes an API key before an OAuth token, and the token when no key exists", () => {
    const store: AuthStore = { anthropic: { api_key: "ak", oauth: { access_token: "tok" } } };
    const anthropic = { type: "anthropic" } as const;
    expect(resolve({ id: "anthropic", config: anthropic, store })).toMatchObject({ type: "api_key", keys: ["ak"] });
    expect(resolve({ id: "anthropic", config: anthropic, env: { ANTHROPIC_AUTH_TOKEN: "env-tok" } })).toMatchObject({ type: "oauth", keys: ["env-tok"], source: "env" });
  });

  it("auth_mode api_key ignores an OAuth token and says how to fix it", () => {
    const err = missing(() => resolve({ mode: "api_key", store: { openai: { oauth: { access_token: "tok" } } } }));
    expect(err.code).toBe("missing_credential");
    expect(err.message).toBe(
      `tier "default" (openai/gpt-4o): no API key for provider "openai" (auth_mode api_key); an OAuth token exists (auth store) but auth_mode api_key excludes it. ` +
        `Fix: set OPENAI_API_KEY, or run 'pincer auth set openai', or add models.providers.openai.api_key, or set auth_mode: auto on the tier`,
    );
  });

  it("auth_mode api_key with nothing at all gives the plain message", () => {
    expect(missing(() => resolve({ mode: "api_key" })).message).toBe(
      `tier "default" (openai/gpt-4o): no API key for provider "openai" (auth_mode api_key). Fix: set OPENAI_API_KEY, or run 'pincer auth set openai', or add models.providers.openai.api_key`,
    );
  });

  it("auth_mode oauth ignores API keys", () => {
    const err = missing(() => resolve({ id: "anthropic", config: { type: "anthropic", api_key: "ak" }, mode: "oauth" }));
    expect(err.code).toBe("missing_credential");
    expect(err.message).toContain(`no OAuth token for provider "anthropic" (auth_mode oauth); an API key exists (config)`);
    expect(err.message).toContain("set ANTHROPIC_AUTH_TOKEN");
    expect(resolve({ id: "anthropic", config: { type: "anthropic", api_key: "ak", auth_token: "tok" }, mode: "oauth" })).toMatchObject({ type: "oauth", keys: ["tok"], source: "config" });
  });

  it("google takes no OAuth token", () => {
    const err = missing(() => resolve({ id: "google", config: { type: "google" }, mode: "oauth" }));
    expect(err.message).toContain(`Provider type "google" takes API keys only`);
  });

  it("an explicit api_key_env must be set and non-empty, even for a server that needs no key", () => {
    const local = { type: "openai-compatible", base_url: "http://127.0.0.1:9/v1", api_key_env: "OPENAI_KEY" } as const;
    expect(resolve({ id: "local", config: local, env: { OPENAI_KEY: "k" } })).toEqual({ type: "api_key", keys: ["k"], source: "env" });
    expect(missing(() => resolve({ id: "local", config: local, env: { OPENAI_KEY: " " } })).message).toContain("OPENAI_KEY is empty");
    expect(resolve({ id: "local", config: { type: "openai-compatible", base_url: "http://127.0.0.1:9/v1" } })).toEqual({ type: "none", keys: [], source: "none" });
  });

  it("local presets need no key; remote presets do", () => {
    expect(resolve({ id: "ollama", config: { type: "openai-compatible", preset: "ollama" } })).toEqual({ type: "none", keys: [], source: "none" });
    expect(resolve({ id: "openrouter", config: { type: "openai-compatible", preset: "openrouter" }, env: { OPENROUTER_API_KEY: "or" } }).keys).toEqual(["or"]);
    expect(missing(() => resolve({ id: "openrouter", config: { type: "openai-compatible", preset: "openrouter" } })).message).toContain("set OPENROUTER_API_KEY");
  });
});
