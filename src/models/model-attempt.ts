// One streaming call to one candidate with one credential: first-chunk/idle timeout, text deltas out,
// a `done` event on success, or a mapped ProviderError for the router to decide on failover.
import type * as Ai from "ai";
import type { LanguageModelUsage, ToolSet } from "ai";
import type { Price } from "../core/config-schema.ts";
import type { Usage } from "../core/domain.ts";
import type { ProviderError } from "../core/errors.ts";
import type { Candidate } from "./model-candidates.ts";
import type { ModelEvent, ModelRequest, ToolCallRequest } from "./model-events.ts";
import { computeCost, findPrice } from "./prices.ts";
import { toProviderError } from "./provider-errors.ts";
import { loadLanguageModel } from "./provider-registry.ts";
import type { ModelCache } from "./provider-registry.ts";

export interface AttemptSettings {
  sdk: typeof Ai;
  cache: ModelCache;
  prices: Record<string, Price>;
  /** ms without any stream part (before the first one, or between parts) before the attempt is aborted. */
  timeoutMs: number;
  fetch: typeof fetch | undefined;
  now: () => number;
}

export type AttemptOutcome = { ok: true } | { ok: false; error: ProviderError; streamed: boolean };

/** Yields text deltas and, on success, `done`. Contract: never throws; failures are returned, not yielded. */
export async function* runAttempt(
  s: AttemptSettings,
  candidate: Candidate,
  auth: { apiKey?: string; authToken?: string },
  req: ModelRequest,
): AsyncGenerator<ModelEvent, AttemptOutcome> {
  const own = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopTimer = (): void => clearTimeout(timer);
  const startTimer = (): void => {
    stopTimer();
    timer = setTimeout(() => {
      timedOut = true;
      own.abort(new Error("model timeout"));
    }, s.timeoutMs);
  };
  const secrets = [auth.apiKey, auth.authToken].filter((v): v is string => v !== undefined);
  const fail = (err: unknown): AttemptOutcome => ({
    ok: false,
    streamed,
    error: toProviderError(err, {
      providerId: candidate.providerId,
      modelId: candidate.modelId,
      timedOut,
      callerAborted: req.signal.aborted,
      timeoutMs: s.timeoutMs,
      secrets,
      now: s.now,
    }),
  });
  let streamed = false;
  try {
    startTimer();
    const model = await loadLanguageModel(s.cache, { ...candidate, ...auth, fetch: s.fetch });
    const result = s.sdk.streamText({
      model,
      system: req.system,
      messages: req.messages,
      tools: toToolSet(s.sdk, req.tools),
      maxRetries: 0, // failover is ours: next key, then next candidate
      abortSignal: AbortSignal.any([req.signal, own.signal]),
      onError: () => {}, // errors arrive as stream parts; the default handler would console.error them
    });
    let text = "";
    const toolCalls: ToolCallRequest[] = [];
    let finish: { finishReason: string; totalUsage: LanguageModelUsage } | undefined;
    let error: unknown;
    for await (const part of result.fullStream) {
      if (part.type !== "start") startTimer(); // anything past `start` means the provider is answering
      if (part.type === "text-delta" && part.text.length > 0) {
        text += part.text;
        streamed = true;
        stopTimer(); // a slow consumer is not a slow provider
        yield { type: "text_delta", text: part.text };
        startTimer();
      } else if (part.type === "tool-call") {
        toolCalls.push({ id: part.toolCallId, name: part.toolName, args: part.input });
      } else if (part.type === "finish") {
        finish = part;
      } else if (part.type === "error") {
        error ??= part.error;
      } else if (part.type === "abort") {
        error ??= new DOMException("aborted", "AbortError");
      }
    }
    stopTimer();
    if (error !== undefined || timedOut || req.signal.aborted) return fail(error);
    if (!finish) return fail(new Error("the stream ended without a finish event"));
    const response = await result.response;
    const usage = toUsage(finish.totalUsage);
    const price = findPrice(s.prices, { providerId: candidate.providerId, providerType: candidate.providerConfig.type, modelId: candidate.modelId });
    yield {
      type: "done",
      provider: candidate.providerId,
      model: candidate.modelId,
      finishReason: finish.finishReason,
      toolCalls,
      text,
      responseMessages: response.messages,
      usage: { ...usage, costUsd: computeCost(price, usage) },
    };
    return { ok: true };
  } catch (err) {
    return fail(err);
  } finally {
    stopTimer();
    own.abort(); // ends the HTTP request if the consumer stopped early; a no-op after completion
  }
}

/** Declared without `execute`: the SDK stops after the model's tool calls and the caller runs them. */
function toToolSet(sdk: typeof Ai, tools: ModelRequest["tools"]): ToolSet | undefined {
  if (tools.length === 0) return undefined;
  const set: ToolSet = {};
  for (const t of tools) {
    set[t.name] = sdk.tool({ description: t.description, inputSchema: sdk.jsonSchema(t.parameters as Ai.JSONSchema7) });
  }
  return set;
}

function toUsage(u: LanguageModelUsage): Omit<Usage, "costUsd"> {
  return {
    inputTokens: u.inputTokens ?? 0,
    outputTokens: u.outputTokens ?? 0,
    cachedTokens: u.inputTokenDetails?.cacheReadTokens ?? u.cachedInputTokens ?? 0,
  };
}
