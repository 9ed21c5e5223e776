import { describe, expect, it } from "vitest";
import { addressKey, createAuthLockout } from "./auth-lockout.ts";

function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe("auth lockout", () => {
  it("allows a few failures, then locks out for a doubling time up to the cap", () => {
    const c = clock();
    const lockout = createAuthLockout({ now: c.now, freeFailures: 3, baseMs: 1_000, maxMs: 8_000 });
    for (let i = 0; i < 3; i++) expect(lockout.fail("a")).toEqual({ ok: true });
    expect(lockout.fail("a")).toEqual({ ok: false, retryAfterSec: 1 });
    expect(lockout.check("a")).toEqual({ ok: false, retryAfterSec: 1 });
    expect(lockout.check("b")).toEqual({ ok: true });
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const locked = lockout.check("a");
      if (!locked.ok) c.advance(locked.retryAfterSec * 1000);
      const after = lockout.fail("a");
      waits.push(after.ok ? 0 : after.retryAfterSec);
    }
    expect(waits).toEqual([2, 4, 8, 8, 8]);
  });

  it("does not forget failures on a success, only after a quiet hour", () => {
    const c = clock();
    const lockout = createAuthLockout({ now: c.now, freeFailures: 2, forgetAfterMs: 3_600_000 });
    lockout.fail("a");
    lockout.fail("a");
    c.advance(3_599_000);
    expect(lockout.fail("a").ok).toBe(false);
    c.advance(3_600_000);
    expect(lockout.fail("a").ok).toBe(true);
  });
});

describe("addressKey", () => {
  it("keys IPv4 by address and IPv6 by its /64", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressKey("unknown")).toBe("unknown");
  });
});
