// Reconnect and retry delays shared by every adapter and the outbound sender: exponential with full jitter, capped.

export interface BackoffOptions {
  /** First delay, ms. Default 1000. */
  baseMs?: number;
  /** Largest delay, ms. Default 60000. */
  maxMs?: number;
  /** 0..1, random in [0, 1) by default; injectable for tests. */
  random?: () => number;
}

/** Delay before attempt `attempt` (1 = the first retry): between half and all of min(max, base·2^(attempt-1)). */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 1_000;
  const max = opts.maxMs ?? 60_000;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const random = opts.random ?? Math.random;
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
