import { describe, expect, it } from "vitest";
import { configSchema } from "../core/config-schema.ts";
import { builtInWindow, compactionBudget, contextWindowOf, estimateMessageTokens, estimateTextTokens } from "./context-window.ts";

const config = (over: object = {}) => configSchema.parse(over);

describe("context windows", () => {
  it("knows common model families by id, with or without provider prefixes and tags", () => {
    expect(builtInWindow("gpt-4o-mini")).toBe(128_000);
    expect(builtInWindow("gpt-4.1-nano")).toBe(1_047_576);
    expect(builtInWindow("gpt-5-mini")).toBe(400_000);
    expect(builtInWindow("o4-mini")).toBe(200_000);
    expect(builtInWindow("claude-sonnet-4-5-20250929")).toBe(200_000);
    expect(builtInWindow("anthropic/claude-3.5-sonnet")).toBe(200_000);
    expect(builtInWindow("gemini-1.5-pro-002")).toBe(2_097_152);
    expect(builtInWindow("gemini-2.5-flash")).toBe(1_048_576);
    expect(builtInWindow("library/llama3.1:8b")).toBe(131_072);
    expect(builtInWindow("llama3:8b")).toBe(8_192);
    expect(builtInWindow("my-finetune")).toBeUndefined();
  });

  it("takes models.context_windows first (full ref, then bare id), then the table, then the default", () => {
    const c = config({ models: { context_windows: { "local/llama3.1": 8192, "gpt-4o": 64000 } }, compaction: { default_window: 16000 } });
    expect(contextWindowOf("local/llama3.1", c)).toBe(8192);
    expect(contextWindowOf("openai/gpt-4o", c)).toBe(64000);
    expect(contextWindowOf("openai/gpt-4.1", c)).toBe(1_047_576);
    expect(contextWindowOf("local/unknown-model", c)).toBe(16000);
    expect(contextWindowOf("constructor", c)).toBe(16000);
  });

  it("gives a tier the smallest window of its candidates, and an unconfigured tier the default", () => {
    const c = config({
      models: {
        providers: { a: { type: "openai" }, b: { type: "anthropic" } },
        tiers: { default: { primary: "a/gpt-4.1", fallbacks: ["b/claude-3-5-haiku-latest"] } },
      },
    });
    expect(contextWindowOf("default", c)).toBe(200_000);
    expect(contextWindowOf("fast", c)).toBe(32_000);
  });

  it("reserves room for the answer (at most a quarter of the window) before applying the threshold", () => {
    expect(compactionBudget(4_000, config())).toBe(2_100);
    expect(compactionBudget(128_000, config())).toBe(Math.floor((128_000 - 8_192) * 0.7));
  });

  it("estimates a quarter token per ASCII character and one per other character, plus framing per message", () => {
    expect(estimateTextTokens("abcdefgh")).toBe(2);
    expect(estimateTextTokens("日本語")).toBe(3);
    expect(estimateMessageTokens({ role: "user", content: "abcdefgh" })).toBe(6);
    const tool = estimateMessageTokens({
      role: "tool", content: [{ type: "tool-result", toolCallId: "c1", toolName: "read", output: { type: "text", value: "x".repeat(400) } }],
    });
    expect(tool).toBe(4 + 100 + 8);
  });
});
