// Delivers an automated run's result to a `webhook:<url>` target: one JSON POST with a timeout, retried with backoff on
// network errors, 429 and 5xx; a 4xx other than 429 is final. Used by schedules and webhook triggers alike.

export interface PostResultOptions {
  fetch?: typeof fetch;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  /** Attempts after the first. Default 3. */
  retries?: number;
  /** Delay before retry n (1-based), ms. Default 1 s, 4 s, 16 s. */
  backoffMs?: (attempt: number) => number;
  signal?: AbortSignal;
  /** Sent as `User-Agent`. */
  userAgent?: string;
}

export type PostResultOutcome = { ok: true; status: number; attempts: number } | { ok: false; error: string; attempts: number };

/** POSTs `payload` as JSON to `url`. Contract: never throws; the outcome says what happened. */
export async function postRunResult(url: string, payload: unknown, opts: PostResultOptions = {}): Promise<PostResultOutcome> {
  const doFetch = opts.fetch ?? fetch;
  const retries = opts.retries ?? 3;
  const backoff = opts.backoffMs ?? ((n: number) => 1_000 * 4 ** (n - 1));
  const body = JSON.stringify(payload);
  let error = "not attempted";
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (opts.signal?.aborted) return { ok: false, error: "cancelled", attempts: attempt - 1 };
    try {
      const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs ?? 10_000)]) : AbortSignal.timeout(opts.timeoutMs ?? 10_000);
      const res = await doFetch(url, {
        method: "POST", body, signal, redirect: "manual",
        headers: { "content-type": "application/json", "user-agent": opts.userAgent ?? "pincer-automation" },
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return { ok: true, status: res.status, attempts: attempt };
      error = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) return { ok: false, error, attempts: attempt };
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    if (attempt <= retries) await new Promise<void>((resolve) => setTimeout(resolve, backoff(attempt)).unref());
  }
  return { ok: false, error, attempts: retries + 1 };
}
