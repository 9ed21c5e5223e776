// A tiny live request to one model — "is it reachable, and how fast does it answer?" — through the model router, so
// failures carry the router's own error codes and messages. The request stops at the first token.
import type { ProviderErrorCode } from "../core/errors.ts";
import type { ModelRouter } from "./model-router.ts";

export type ModelProbe =
  | { ok: true; ref: string; /** ms to the first token */ latencyMs: number }
  | { ok: false; ref: string; code: ProviderErrorCode; message: string; latencyMs: number };

/** Asks `ref` for one short answer and reports the time to its first token. Contract: never throws. */
export async function probeModel(router: Pick<ModelRouter, "stream">, ref: string, opts: { signal?: AbortSignal; now?: () => number } = {}): Promise<ModelProbe> {
  const now = opts.now ?? Date.now;
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  opts.signal?.addEventListener("abort", stop, { once: true });
  const started = now();
  try {
    const events = router.stream({
      ref,
      system: "You are a health check. Answer with one word.",
      messages: [{ role: "user", content: "Say OK." }],
      tools: [],
      signal: controller.signal,
    });
    let attempted: { provider: string; model: string } | undefined;
    for await (const event of events) {
      if (event.type === "attempt_failed") attempted = { provider: event.provider, model: event.model };
      if (event.type === "text_delta" || event.type === "done") return { ok: true, ref, latencyMs: now() - started };
      if (event.type === "failed") return { ok: false, ref, code: event.code, message: event.message, latencyMs: now() - started };
    }
    return { ok: false, ref, code: "server_error", message: `${attempted ? `${attempted.provider}/${attempted.model}` : ref}: the stream ended without an answer`, latencyMs: now() - started };
  } catch (err) {
    return { ok: false, ref, code: "server_error", message: err instanceof Error ? err.message : String(err), latencyMs: now() - started };
  } finally {
    controller.abort(); // the first token is enough: stop generating
    opts.signal?.removeEventListener("abort", stop);
  }
}
