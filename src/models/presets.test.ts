import { describe, expect, it } from "vitest";
import { modelsSchema } from "../core/config-schema.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { ConfigError } from "../core/errors.ts";
import { resolveCandidates } from "./model-candidates.ts";
import { apiKeyEnvVar, baseURLOf, findProviderConfig, isKeyRequired, splitModelRef } from "./presets.ts";

const models = (input: unknown): PincerConfig["models"] => modelsSchema.parse(input);

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("presets and implicit providers", () => {
  it("fills preset base URLs and key rules", () => {
    const ollama = findProviderConfig({}, "ollama", "ollama/llama3");
    expect(ollama).toEqual({ type: "openai-compatible", preset: "ollama" });
    expect(baseURLOf(ollama)).toBe("http://127.0.0.1:11434/v1");
    expect(isKeyRequired(ollama)).toBe(false);
    const moonshot = findProviderConfig({}, "moonshot", "moonshot/kimi-k2");
    expect(baseURLOf(moonshot)).toBe("https://api.moonshot.ai/v1");
    expect(apiKeyEnvVar(moonshot)).toBe("MOONSHOT_API_KEY");
    expect(isKeyRequired(moonshot)).toBe(true);
  });

  it("infers the type from a provider-type id and the preset from a configured preset-named id", () => {
    expect(findProviderConfig({}, "anthropic", "anthropic/claude-sonnet-4-5")).toEqual({ type: "anthropic" });
    const lm = findProviderConfig({ lmstudio: { type: "openai-compatible" } }, "lmstudio", "lmstudio/qwen");
    expect(baseURLOf(lm)).toBe("http://127.0.0.1:1234/v1");
  });

  it("rejects an unknown provider naming the key path and the known ids", () => {
    const err = configError(() => findProviderConfig({ work: { type: "openai" } }, "acme", "acme/m1"));
    expect(err.keyPath).toBe("models.providers.acme");
    expect(err.message).toContain(`unknown provider "acme" in model "acme/m1"`);
    expect(err.message).toContain("work, openai, anthropic");
  });

  it("requires base_url for a custom openai-compatible provider", () => {
    const err = configError(() => findProviderConfig({ mine: { type: "openai-compatible" } }, "mine", "mine/x"));
    expect(err.keyPath).toBe("models.providers.mine.base_url");
  });

  it("splits refs at the first slash", () => {
    expect(splitModelRef("openrouter/anthropic/claude")).toEqual({ providerId: "openrouter", modelId: "anthropic/claude" });
    expect(splitModelRef("gpt-4o")).toBeUndefined();
  });
});

describe("resolveCandidates", () => {
  const config = models({
    tiers: {
      default: { primary: "openai/gpt-4o", fallbacks: ["anthropic/claude-sonnet-4-5", "fast"], auth_mode: "api_key" },
      fast: { primary: "openai/gpt-4o-mini", fallbacks: ["openai/gpt-4o"] },
    },
  });

  it("expands a tier into primary + fallbacks with its auth_mode, without duplicates", () => {
    const refs = resolveCandidates(config, "default").map((c) => [c.ref, c.authMode, c.origin]);
    expect(refs).toEqual([
      ["openai/gpt-4o", "api_key", `tier "default" (openai/gpt-4o)`],
      ["anthropic/claude-sonnet-4-5", "api_key", `tier "default" (anthropic/claude-sonnet-4-5)`],
      ["openai/gpt-4o-mini", "auto", `tier "fast" (openai/gpt-4o-mini)`],
    ]);
  });

  it("passes a provider/model ref through", () => {
    expect(resolveCandidates(config, "ollama/llama3.2")).toMatchObject([{ providerId: "ollama", modelId: "llama3.2", authMode: "auto" }]);
  });

  it("throws for an unconfigured tier instead of picking another one", () => {
    const err = configError(() => resolveCandidates(config, "complex"));
    expect(err.message).toBe(`models.tiers.complex: tier "complex" is not configured. Fix: add models.tiers.complex.primary: <provider/model>, or use one of the configured tiers (default, fast)`);
  });
});
