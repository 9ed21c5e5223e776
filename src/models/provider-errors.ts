// The one mapping from whatever a model call throws (AI SDK APICallError, gateway errors, aborts, network
// failures) to ProviderError codes, with user-facing messages that never contain the secrets in use.
import { ProviderError } from "../core/errors.ts";
import type { ProviderErrorCode } from "../core/errors.ts";
import { maskSecret } from "./auth-store.ts";

export interface AttemptContext {
  providerId: string;
  modelId: string;
  /** The attempt was aborted by our own first-chunk/idle timer. */
  timedOut: boolean;
  /** The caller's signal fired. */
  callerAborted: boolean;
  timeoutMs: number;
  /** Credentials in use: masked out of any text that reaches a message. */
  secrets: string[];
  now: () => number;
}

const RETRYABLE: ReadonlySet<ProviderErrorCode> = new Set(["rate_limited", "server_error", "timeout", "auth_failed", "network"]);

/** Maps anything a model call throws or streams as an error part to a ProviderError. Never throws. */
export function toProviderError(err: unknown, ctx: AttemptContext): ProviderError {
  const label = `${ctx.providerId}/${ctx.modelId}`;
  const make = (code: ProviderErrorCode, message: string, extra: { status?: number; retryAfterMs?: number } = {}): ProviderError =>
    new ProviderError({ code, message, retryable: RETRYABLE.has(code), provider: ctx.providerId, model: ctx.modelId, cause: err, ...extra });

  if (ctx.callerAborted) return make("aborted", `${label}: cancelled`);
  if (ctx.timedOut) return make("timeout", `${label}: no response within ${ctx.timeoutMs} ms (models.timeout_ms)`);
  if (err instanceof ProviderError) return err;
  if (isSdkError(err, "AI_LoadAPIKeyError")) {
    return make("missing_credential", `${label}: the SDK found no API key. Fix: run 'pincer auth set ${ctx.providerId}'`);
  }

  const detail = redact(describeCause(err), ctx.secrets);
  const status = statusOf(err);
  if (status === undefined) {
    if (isAbortError(err)) return make("timeout", `${label}: the request was aborted before completing`);
    const apiCall = isSdkError(err, "AI_APICallError");
    if (apiCall || isNetworkError(err)) {
      const url = apiCall ? ` ${redactUrl(String((err as { url?: unknown }).url))}` : "";
      return make("network", `${label}: cannot reach the provider${url}: ${detail}`);
    }
    // Malformed stream, unexpected response shape: a provider-side fault worth failing over.
    return make("server_error", `${label}: unexpected provider response: ${detail}`);
  }
  if (status === 401 || status === 403) {
    return make("auth_failed", `${label}: the provider rejected the credential (${status}): ${detail}. Fix: check it with 'pincer auth list' and replace it with 'pincer auth set ${ctx.providerId}'`, { status });
  }
  if (status === 429) {
    const retryAfterMs = retryAfterOf(err, ctx.now());
    const after = retryAfterMs !== undefined ? `; retry after ${Math.ceil(retryAfterMs / 1000)} s` : "";
    return make("rate_limited", `${label}: rate limited (429)${after}: ${detail}`, { status, retryAfterMs });
  }
  if (status === 408) return make("timeout", `${label}: the provider timed out (408): ${detail}`, { status });
  if (status >= 500) return make("server_error", `${label}: provider error (${status}): ${detail}`, { status });
  return make("bad_request", `${label}: the provider refused the request (${status}): ${detail}`, { status });
}

/**
 * Whether `err` is the AI SDK error of that name (`AI_APICallError`…), tested by the marker the SDK's own `isInstance`
 * tests, so no SDK module is needed here and errors from every copy of the SDK's packages are recognised.
 */
function isSdkError(err: unknown, name: string): boolean {
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[Symbol.for(`vercel.ai.error.${name}`)] === true;
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" && status > 0 ? status : undefined;
}

function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError");
}

function isNetworkError(err: unknown): boolean {
  const code = ((err as { cause?: { code?: unknown } } | null)?.cause?.code ?? (err as { code?: unknown } | null)?.code) as unknown;
  return (err instanceof TypeError && /fetch failed/i.test(err.message)) || (typeof code === "string" && /^E[A-Z]+/.test(code));
}

function describeCause(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const text = message.replace(/\s+/g, " ").trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text || "no details";
}

/** Headers: `retry-after-ms` (OpenAI), `retry-after` as seconds or an HTTP date. */
function retryAfterOf(err: unknown, now: number): number | undefined {
  const headers = (err as { responseHeaders?: Record<string, string> } | null)?.responseHeaders;
  if (!headers) return undefined;
  const ms = Number(headers["retry-after-ms"]);
  if (Number.isFinite(ms) && ms >= 0 && headers["retry-after-ms"] !== undefined) return ms;
  const value = headers["retry-after"];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Masks the credentials in use and anything shaped like a key or bearer token. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(maskSecret(secret));
  return out
    .replace(/\b(sk|pk|rk|sess)-[A-Za-z0-9_-]{12,}/g, (m) => maskSecret(m))
    .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]{12,}/gi, "$1…");
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return "(invalid url)";
  }
}
