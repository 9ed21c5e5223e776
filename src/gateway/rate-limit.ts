// Per-client request limiting for the HTTP API: a fixed one-minute window per client key, with an injectable clock.
// Pure bookkeeping; it neither knows how a client is identified nor how a refusal is rendered.

export const WINDOW_MS = 60_000;

/** Default for `maxClients`: with more clients in one window, the oldest window is forgotten (bounded memory). */
const MAX_CLIENTS = 10_000;

export type RateDecision = { ok: true; remaining: number } | { ok: false; retryAfterSec: number };

export interface RateLimiter {
  /** Counts one request for `key`. Contract: never throws; `retryAfterSec` is at least 1. */
  take(key: string): RateDecision;
  /** Clients whose window is still open. Contract: at most `maxClients`; a client is forgotten when its window ends. */
  size(): number;
}

export interface RateLimiterOptions {
  /** A number, or a function read on every call (a config reload changes the limit without losing windows). */
  perMinute: number | (() => number);
  /** epoch ms */
  now?: () => number;
  /** Most clients tracked at once; past it the client with the oldest window is forgotten and starts afresh. */
  maxClients?: number;
}

interface Window {
  start: number; // epoch ms
  count: number;
}

/** A fixed-window limiter whose state lives in the returned object (one per app, never module-global). */
export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const limit = typeof opts.perMinute === "function" ? opts.perMinute : ((n: number) => () => n)(opts.perMinute);
  const first = limit();
  if (!Number.isInteger(first) || first < 1) {
    throw new RangeError(`rateLimit.perMinute must be a positive integer, got ${first}`);
  }
  const now = opts.now ?? Date.now;
  const maxClients = opts.maxClients ?? MAX_CLIENTS;
  // Insertion order is window order: a window is only ever added, as the newest, when it opens.
  const windows = new Map<string, Window>();

  const forgetEnded = (at: number): void => {
    for (const [key, w] of windows) {
      if (at - w.start < WINDOW_MS) return;
      windows.delete(key);
    }
  };

  return {
    take(key) {
      const at = now();
      forgetEnded(at);
      let w = windows.get(key);
      if (!w) {
        if (windows.size >= maxClients) windows.delete(windows.keys().next().value!);
        w = { start: at, count: 0 };
        windows.set(key, w);
      }
      const perMinute = limit();
      if (w.count >= perMinute) {
        return { ok: false, retryAfterSec: Math.max(1, Math.ceil((w.start + WINDOW_MS - at) / 1000)) };
      }
      w.count++;
      return { ok: true, remaining: perMinute - w.count };
    },
    size: () => windows.size,
  };
}
