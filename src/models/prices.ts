// Model prices (USD per 1M tokens): a small built-in table merged with `models.prices`, and the cost math.
// Prices drift; the table is a convenience, config overrides it. Cache-write surcharges are not modelled.
import type { Price, ProviderType } from "../core/config-schema.ts";
import { ownEntry } from "../core/own-entry.ts";

/** Keyed `provider/model`, list prices as published by the vendors (standard tier). */
export const BUILTIN_PRICES: Readonly<Record<string, Price>> = {
  "openai/gpt-5": { input: 1.25, output: 10, cached_input: 0.125 },
  "openai/gpt-5-mini": { input: 0.25, output: 2, cached_input: 0.025 },
  "openai/gpt-5-nano": { input: 0.05, output: 0.4, cached_input: 0.005 },
  "openai/gpt-4.1": { input: 2, output: 8, cached_input: 0.5 },
  "openai/gpt-4.1-mini": { input: 0.4, output: 1.6, cached_input: 0.1 },
  "openai/gpt-4o": { input: 2.5, output: 10, cached_input: 1.25 },
  "openai/gpt-4o-mini": { input: 0.15, output: 0.6, cached_input: 0.075 },
  "anthropic/claude-opus-4-1": { input: 15, output: 75, cached_input: 1.5 },
  "anthropic/claude-sonnet-4-5": { input: 3, output: 15, cached_input: 0.3 },
  "anthropic/claude-sonnet-4-0": { input: 3, output: 15, cached_input: 0.3 },
  "anthropic/claude-haiku-4-5": { input: 1, output: 5, cached_input: 0.1 },
  "google/gemini-2.5-pro": { input: 1.25, output: 10, cached_input: 0.31 },
  "google/gemini-2.5-flash": { input: 0.3, output: 2.5, cached_input: 0.075 },
  "google/gemini-2.5-flash-lite": { input: 0.1, output: 0.4, cached_input: 0.025 },
  // Embedding models (memory.embeddings): input only.
  "openai/text-embedding-3-small": { input: 0.02, output: 0 },
  "openai/text-embedding-3-large": { input: 0.13, output: 0 },
  "google/gemini-embedding-001": { input: 0.15, output: 0 },
};

/** Built-ins overlaid with config entries (config wins per key). */
export function mergePrices(overrides: Record<string, Price> | undefined): Record<string, Price> {
  return { ...BUILTIN_PRICES, ...overrides };
}

export interface PricedModel {
  providerId: string;
  providerType: ProviderType;
  modelId: string;
}

/**
 * Looks up, in order: `providerId/model`, `providerType/model`, the model id itself when it is already
 * `vendor/model` (gateway, openrouter), each also without a trailing date stamp (`-20250929`).
 */
export function findPrice(prices: Record<string, Price>, m: PricedModel): Price | undefined {
  const undated = m.modelId.replace(/-\d{8}$/, "");
  const keys = [`${m.providerId}/${m.modelId}`, `${m.providerType}/${m.modelId}`];
  if (m.modelId.includes("/")) keys.push(m.modelId);
  if (undated !== m.modelId) keys.push(`${m.providerId}/${undated}`, `${m.providerType}/${undated}`);
  for (const key of keys) {
    const price = ownEntry(prices, key);
    if (price) return price;
  }
  return undefined;
}

export interface TokenCounts {
  /** Total prompt tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

/** USD for one call; 0 without a price. Cached input is billed at `cached_input` (or `input` when absent). */
export function computeCost(price: Price | undefined, usage: TokenCounts): number {
  if (!price) return 0;
  const cached = Math.min(Math.max(usage.cachedTokens, 0), Math.max(usage.inputTokens, 0));
  const uncached = Math.max(usage.inputTokens - cached, 0);
  const usd =
    uncached * price.input + cached * (price.cached_input ?? price.input) + Math.max(usage.outputTokens, 0) * price.output;
  return usd / 1_000_000;
}
