// One streaming call to one candidate with one credential, straight to the provider model's `doStream`: first-chunk
// and idle timeout, text deltas out, a `done` event on success, or a mapped ProviderError for the router's failover.
import type { Price } from "../core/config-schema.ts";
import type { ProviderError } from "../core/errors.ts";
import type { Candidate } from "./model-candidates.ts";
import type { ModelEvent, ModelRequest } from "./model-events.ts";
import { toFunctionTools, toProviderPrompt } from "./model-prompt.ts";
import { ModelStep } from "./model-step.ts";
import { computeCost, findPrice } from "./prices.ts";
import { toProviderError } from "./provider-errors.ts";
import type { LanguageModelOptions, ProviderModel, ProviderStreamPart } from "./provider-registry.ts";

export interface AttemptSettings {
  /** The provider model for a candidate and credential (cached by the router). */
  loadModel: (opts: LanguageModelOptions) => Promise<ProviderModel>;
  prices: Record<string, Price>;
  /** ms without any stream part (before the first one, or between parts) before the attempt is aborted. */
  timeoutMs: number;
  fetch: typeof fetch | undefined;
  now: () => number;
}

export type AttemptOutcome = { ok: true } | { ok: false; error: ProviderError; streamed: boolean };

/**
 * Yields text deltas and, on success, `done`. No retries: failover is the router's.
 * Contract: never throws; failures are returned, not yielded.
 */
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
  let reader: ReadableStreamDefaultReader<ProviderStreamPart> | undefined;
  let ended = false;
  try {
    startTimer();
    const model = await s.loadModel({ ...candidate, ...auth, fetch: s.fetch });
    const { stream } = await model.doStream({
      prompt: toProviderPrompt(req.system, req.messages, { toolResultImages: takesToolResultImages(candidate) }),
      ...toFunctionTools(req.tools),
      abortSignal: AbortSignal.any([req.signal, own.signal]),
    });
    reader = stream.getReader();
    const step = new ModelStep(req.tools);
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      // Any part but the opening one (sent once the response headers are in) means the provider is answering.
      if (next.value.type !== "stream-start") startTimer();
      const text = step.add(next.value);
      if (text !== undefined) {
        streamed = true;
        stopTimer(); // a slow consumer is not a slow provider
        yield { type: "text_delta", text };
        startTimer();
      }
    }
    ended = true;
    stopTimer();
    const result = step.finish();
    if (!result.ok || timedOut || req.signal.aborted) return fail(result.ok ? undefined : result.error);
    const { usage, ...rest } = result;
    const price = findPrice(s.prices, { providerId: candidate.providerId, providerType: candidate.providerConfig.type, modelId: candidate.modelId });
    yield {
      type: "done",
      provider: candidate.providerId,
      model: candidate.modelId,
      finishReason: rest.finishReason,
      toolCalls: rest.toolCalls,
      text: rest.text,
      responseMessages: rest.responseMessages,
      usage: { ...usage, costUsd: computeCost(price, usage) },
    };
    return { ok: true };
  } catch (err) {
    return fail(err);
  } finally {
    stopTimer();
    if (!ended) {
      own.abort(); // ends the HTTP request when the consumer stopped early or the call failed
      reader?.cancel().catch(() => {});
    }
  }
}

/** APIs that take images inside tool results: Anthropic's, Google's and OpenAI's Responses API (the `openai` type without a
 * base URL); chat-completions style APIs (openai-compatible, a custom base URL) would get the base64 as text. */
function takesToolResultImages(candidate: Candidate): boolean {
  const { type, base_url } = candidate.providerConfig;
  return type === "anthropic" || type === "google" || (type === "openai" && base_url === undefined);
}
