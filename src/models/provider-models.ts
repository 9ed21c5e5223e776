// A provider's own list of models, from its `/models` endpoint (OpenAI and compatible servers, Anthropic, Google)
// or the Vercel AI Gateway's `/config`: one GET with the provider's credential and a timeout. The credential never
// appears in a message.
import { readCapped } from "../core/capped-body.ts";
import type { ProviderConfig } from "../core/config-schema.ts";
import { baseURLOf } from "./presets.ts";

export interface ListModelsOptions {
  providerId: string;
  /** With `type` (and `preset`) filled in, see findProviderConfig. */
  providerConfig: ProviderConfig;
  /** API key or bearer token; undefined for keyless local servers. */
  credential: string | undefined;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Largest model list read (OpenRouter lists a few hundred models in well under 1 MB). */
const MAX_LIST_BYTES = 4 * 1024 * 1024;

export type ModelList = { ok: true; models: string[] } | { ok: false; error: string };

const DEFAULT_BASE: Record<ProviderConfig["type"], string | undefined> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
  google: "https://generativelanguage.googleapis.com/v1beta",
  gateway: "https://ai-gateway.vercel.sh/v3/ai",
  "openai-compatible": undefined,
};

/** The model ids the provider offers, sorted. Contract: never throws; a failure says what happened and where. */
export async function listProviderModels(opts: ListModelsOptions): Promise<ModelList> {
  const cfg = opts.providerConfig;
  const base = (baseURLOf(cfg) ?? DEFAULT_BASE[cfg.type])?.replace(/\/+$/, "");
  if (!base) return { ok: false, error: `models.providers.${opts.providerId}.base_url is not set` };
  const key = opts.credential;
  const request = requestFor(cfg.type, base, key);
  const where = request.url.split("?")[0]!;
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(request.url, { headers: { ...cfg.headers, ...request.headers }, signal: AbortSignal.timeout(opts.timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === "TimeoutError" ? `no answer within ${opts.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, error: `cannot reach ${where}: ${why}` };
  }
  if (res.status === 401 || res.status === 403) return { ok: false, error: `${where} refused the credential (${res.status}). Fix: 'pincer auth set ${opts.providerId}'` };
  if (res.status === 404) return { ok: false, error: `${where} has no model list (404)` };
  if (!res.ok) return { ok: false, error: `${where} answered ${res.status}` };
  const bytes = await readCapped(res, MAX_LIST_BYTES).catch(() => undefined);
  if (!bytes) return { ok: false, error: `${where} answered more than ${MAX_LIST_BYTES / 1024 / 1024} MB, or the answer broke off` };
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { ok: false, error: `${where} did not answer JSON` };
  }
  const ids = readIds(body).map((id) => (cfg.type === "google" ? id.replace(/^models\//, "") : id));
  if (ids.length === 0) return { ok: false, error: `${where} listed no models` };
  return { ok: true, models: [...new Set(ids)].sort() };
}

function requestFor(type: ProviderConfig["type"], base: string, key: string | undefined): { url: string; headers: Record<string, string> } {
  switch (type) {
    case "anthropic":
      return { url: `${base}/models?limit=1000`, headers: { "anthropic-version": "2023-06-01", ...(key ? { "x-api-key": key } : {}) } };
    case "google":
      return { url: `${base}/models?pageSize=1000`, headers: key ? { "x-goog-api-key": key } : {} };
    case "gateway":
      return { url: `${base}/config`, headers: key ? { authorization: `Bearer ${key}` } : {} };
    default:
      return { url: `${base}/models`, headers: key ? { authorization: `Bearer ${key}` } : {} };
  }
}

/** `{ data: [{ id }] }` (OpenAI, Anthropic), `{ models: [{ name }] }` (Google), `{ models: [{ id }] }` (AI Gateway). */
function readIds(body: unknown): string[] {
  const b = body as { data?: unknown; models?: unknown } | null;
  const items = Array.isArray(b?.data) ? b.data : Array.isArray(b?.models) ? b.models : [];
  return items.flatMap((m: unknown) => {
    const item = m as { id?: unknown; name?: unknown } | null;
    const id = typeof item?.id === "string" ? item.id : typeof item?.name === "string" ? item.name : undefined;
    return id ? [id] : [];
  });
}
