// The fixed-window rate limiter with a fake clock: limit per key, Retry-After seconds, window reset, bad options.
import { describe, expect, it } from "vitest";
import { createRateLimiter } from "./rate-limit.ts";

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("createRateLimiter", () => {
  it("allows perMinute requests per key, then refuses with the seconds left in the window", () => {
    const c = clock();
    const limiter = createRateLimiter({ perMinute: 2, now: c.now });
    expect(limiter.take("a")).toEqual({ ok: true, remaining: 1 });
    expect(limiter.take("a")).toEqual({ ok: true, remaining: 0 });
    c.advance(15_500);
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterSec: 45 });
    expect(limiter.take("b").ok).toBe(true);
  });

  it("starts a fresh window after a minute", () => {
    const c = clock();
    const limiter = createRateLimiter({ perMinute: 1, now: c.now });
    limiter.take("a");
    expect(limiter.take("a").ok).toBe(false);
    c.advance(60_000);
    expect(limiter.take("a").ok).toBe(true);
  });

  it("never tells a client to retry after less than a second", () => {
    const c = clock();
    const limiter = createRateLimiter({ perMinute: 1, now: c.now });
    limiter.take("a");
    c.advance(59_999);
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterSec: 1 });
  });

  it("forgets a client once its window has ended", () => {
    const c = clock();
    const limiter = createRateLimiter({ perMinute: 5, now: c.now });
    limiter.take("a");
    c.advance(30_000);
    limiter.take("b");
    c.advance(30_000);
    limiter.take("c");
    expect(limiter.size()).toBe(2);
    c.advance(60_000);
    limiter.take("c");
    expect(limiter.size()).toBe(1);
  });

  it("tracks at most maxClients: a new client pushes out the one with the oldest window, which starts afresh", () => {
    const c = clock();
    const limiter = createRateLimiter({ perMinute: 1, now: c.now, maxClients: 3 });
    for (const key of ["a", "b", "c", "d"]) limiter.take(key);
    expect(limiter.size()).toBe(3);
    expect(limiter.take("d").ok).toBe(false);
    expect(limiter.take("a").ok).toBe(true);
  });

  it("rejects a limit that is not a positive integer", () => {
    expect(() => createRateLimiter({ perMinute: 0 })).toThrow(/positive integer/);
  });
});
