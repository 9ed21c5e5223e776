// The models an OpenAI-compatible provider lists at `GET <base URL>/models` (OpenAI, OpenRouter, Ollama, vLLM, LM
// Studio, …), for choosing one by name. Best effort: a provider without the endpoint, or any failure, lists nothing.
import { readCapped } from "../core/capped-body.ts";

/** Largest /models answer read (OpenRouter lists a few hundred models in well under 1 MB). */
const MAX_BYTES = 4 * 1024 * 1024;

export interface ListModelsOptions {
  /** e.g. `https://openrouter.ai/api/v1` */
  baseURL: string;
  apiKey?: string;
  signal: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * The sorted, distinct model ids the provider lists.
 * Contract: never throws; undefined when the endpoint is missing, refuses the key, times out or answers something
 * that is not `{ data: [{ id }] }`.
 */
export async function listProviderModels(opts: ListModelsOptions): Promise<string[] | undefined> {
  const doFetch = opts.fetch ?? fetch;
  try {
    const res = await doFetch(`${opts.baseURL.replace(/\/+$/, "")}/models`, {
      headers: { accept: "application/json", ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
      signal: opts.signal,
    });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const bytes = await readCapped(res, MAX_BYTES);
    if (!bytes) return undefined;
    const body = JSON.parse(new TextDecoder().decode(bytes)) as { data?: unknown };
    if (!Array.isArray(body.data)) return undefined;
    const ids = body.data.flatMap((m: unknown) => {
      const id = (m as { id?: unknown } | null)?.id;
      return typeof id === "string" && id.length > 0 && id.length <= 200 ? [id] : [];
    });
    return ids.length > 0 ? [...new Set(ids)].sort() : undefined;
  } catch {
    return undefined;
  }
}
