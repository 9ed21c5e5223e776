import { describe, expect, it } from "vitest";
import { computeCost, findPrice, mergePrices } from "./prices.ts";

describe("prices", () => {
  it("bills cached input at cached_input and the rest at input", () => {
    const usd = computeCost({ input: 2.5, output: 10, cached_input: 1.25 }, { inputTokens: 1000, outputTokens: 200, cachedTokens: 400 });
    expect(usd).toBeCloseTo((600 * 2.5 + 400 * 1.25 + 200 * 10) / 1e6, 12);
  });

  it("bills cached input at input when cached_input is absent", () => {
    expect(computeCost({ input: 1, output: 2 }, { inputTokens: 1_000_000, outputTokens: 0, cachedTokens: 500_000 })).toBeCloseTo(1, 12);
  });

  it("costs nothing without a price", () => {
    expect(computeCost(undefined, { inputTokens: 10, outputTokens: 10, cachedTokens: 0 })).toBe(0);
  });

  it("lets config override and extend the built-in table", () => {
    const prices = mergePrices({ "openai/gpt-4o": { input: 1, output: 1 }, "ollama/llama3": { input: 0, output: 0 } });
    expect(findPrice(prices, { providerId: "openai", providerType: "openai", modelId: "gpt-4o" })).toEqual({ input: 1, output: 1 });
    expect(findPrice(prices, { providerId: "ollama", providerType: "openai-compatible", modelId: "llama3" })).toEqual({ input: 0, output: 0 });
  });

  it("finds prices by provider type, vendor-prefixed model ids and undated ids", () => {
    const prices = mergePrices({});
    expect(findPrice(prices, { providerId: "work", providerType: "openai", modelId: "gpt-4o-mini" })?.input).toBe(0.15);
    expect(findPrice(prices, { providerId: "gateway", providerType: "gateway", modelId: "anthropic/claude-sonnet-4-5" })?.output).toBe(15);
    expect(findPrice(prices, { providerId: "anthropic", providerType: "anthropic", modelId: "claude-sonnet-4-5-20250929" })?.input).toBe(3);
    expect(findPrice(prices, { providerId: "openai", providerType: "openai", modelId: "unknown-model" })).toBeUndefined();
  });
});
