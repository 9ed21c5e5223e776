// Context windows and token estimates: how many tokens a model accepts (built-in table, `models.context_windows`,
// a conservative default) and a cheap estimate of what a prompt costs. Pure; no tokenizer is loaded.
import type { ModelMessage } from "ai";
import { TIER_NAMES, type PincerConfig } from "../core/config-schema.ts";
import { ownEntry } from "../core/own-entry.ts";

/**
 * Built-in windows (tokens) matched against the model id, lower-cased, without its provider. First match wins, so
 * specific patterns come before family ones. Figures are the providers' documented context lengths; a model served
 * by a local runtime (Ollama's `num_ctx`, llama.cpp's `-c`) may run with less: set `models.context_windows` then.
 */
const BUILT_IN: ReadonlyArray<readonly [RegExp, number]> = [
  // OpenAI
  [/^gpt-5/, 400_000],
  [/^gpt-4\.1/, 1_047_576],
  [/^(chatgpt-)?gpt-4o/, 128_000],
  [/^gpt-4-turbo|^gpt-4-(0125|1106)/, 128_000],
  [/^gpt-4(-0613)?$/, 8_192],
  [/^gpt-3\.5-turbo/, 16_385],
  [/^o1-(mini|preview)/, 128_000],
  [/^o[134](-|$)/, 200_000],
  [/^gpt-oss/, 131_072],
  // Anthropic
  [/^claude-(3-5|3\.5|3-7|3\.7|sonnet-4|opus-4|haiku-4|4)|^claude-3-(opus|sonnet|haiku)/, 200_000],
  [/^claude/, 200_000],
  // Google
  [/^gemini-1\.5-pro/, 2_097_152],
  [/^gemini-(1\.5|2\.0|2\.5|2)/, 1_048_576],
  [/^gemma-?3/, 131_072],
  [/^gemma/, 8_192],
  // Open models by family
  [/^(meta-)?llama-?3\.[123]|^llama3\.[123]/, 131_072],
  [/^(meta-)?llama-?3/, 8_192],
  [/^llama-?4/, 1_000_000],
  [/^qwen/, 32_768],
  [/^deepseek/, 128_000],
  [/^(mistral-large|mistral-medium|codestral|ministral)/, 128_000],
  [/^(mistral|mixtral|open-mistral)/, 32_768],
  [/^phi-?4/, 16_384],
  [/^phi-?3/, 128_000],
  [/^grok-4/, 256_000],
  [/^grok/, 131_072],
  [/^kimi|^moonshot/, 131_072],
];

type WindowConfig = Pick<PincerConfig, "models" | "compaction">;

/** The built-in window of a bare model id, or undefined when no pattern matches. */
export function builtInWindow(modelId: string): number | undefined {
  // "openrouter/anthropic/claude-3.5-sonnet" and "ollama/library/llama3.1:8b" name the model last.
  const id = modelId.toLowerCase().split("/").pop()!.split(":")[0]!;
  for (const [pattern, window] of BUILT_IN) if (pattern.test(id)) return window;
  return undefined;
}

/** The window of one `provider/model`: `models.context_windows` (full ref, then bare id), the table, the default. */
function windowOfModel(ref: string, config: WindowConfig): number {
  const overrides = config.models.context_windows;
  const exact = ownEntry(overrides, ref);
  if (exact !== undefined) return exact;
  const slash = ref.indexOf("/");
  const modelId = slash === -1 ? ref : ref.slice(slash + 1);
  return ownEntry(overrides, modelId) ?? builtInWindow(modelId) ?? config.compaction.default_window;
}

/** The window for a model ref or tier. A tier may fail over to any of its candidates, so it gets the smallest. */
export function contextWindowOf(ref: string, config: WindowConfig): number {
  if ((TIER_NAMES as readonly string[]).includes(ref)) {
    const tier = ownEntry(config.models.tiers, ref as (typeof TIER_NAMES)[number]);
    if (!tier) return config.compaction.default_window;
    return Math.min(...[tier.primary, ...tier.fallbacks].map((r) => windowOfModel(r, config)));
  }
  return windowOfModel(ref, config);
}

/** Tokens the history may use before a compaction: `threshold` of what is left of the window after the answer's room. */
export function compactionBudget(window: number, config: WindowConfig): number {
  const reserve = Math.min(config.compaction.reserve_tokens, Math.floor(window / 4));
  return Math.floor((window - reserve) * config.compaction.threshold);
}

/** Per-message framing (role, separators) most chat formats add. */
const MESSAGE_OVERHEAD = 4;
/** What an image costs, roughly, at the providers' default detail. */
const IMAGE_TOKENS = 1_000;

/**
 * Estimated tokens of a text: a quarter of its ASCII characters plus one per other character (CJK and emoji take
 * about one token each; accented Latin text is over-counted, which errs on the safe side).
 */
export function estimateTextTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 4) + other;
}

/** Estimated tokens of one model message, every part counted. */
export function estimateMessageTokens(message: ModelMessage): number {
  if (typeof message.content === "string") return MESSAGE_OVERHEAD + estimateTextTokens(message.content);
  let total = MESSAGE_OVERHEAD;
  for (const part of message.content as ReadonlyArray<Record<string, unknown>>) {
    if (part.type === "text" || part.type === "reasoning") total += estimateTextTokens(String(part.text ?? ""));
    else if (part.type === "image" || part.type === "file") total += IMAGE_TOKENS;
    else if (part.type === "tool-call") total += estimateTextTokens(`${String(part.toolName)}${JSON.stringify(part.input ?? {})}`) + 8;
    else if (part.type === "tool-result") total += estimateTextTokens(toolOutputText(part.output)) + 8;
    else total += estimateTextTokens(JSON.stringify(part));
  }
  return total;
}

/** Estimated tokens of a whole request: system prompt, messages and tool definitions. */
export function estimatePromptTokens(req: { system: string; messages: readonly ModelMessage[]; tools?: ReadonlyArray<object> }): number {
  let total = estimateTextTokens(req.system) + MESSAGE_OVERHEAD;
  for (const m of req.messages) total += estimateMessageTokens(m);
  for (const t of req.tools ?? []) total += estimateTextTokens(JSON.stringify(t)) + 8;
  return total;
}

/** The text of a tool result's output, whatever its kind. */
export function toolOutputText(output: unknown): string {
  if (typeof output !== "object" || output === null) return String(output ?? "");
  const o = output as { type?: unknown; value?: unknown };
  if ((o.type === "text" || o.type === "error-text") && typeof o.value === "string") return o.value;
  return JSON.stringify(o.value ?? o);
}
