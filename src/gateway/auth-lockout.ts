// Backoff for failed authentication, shared by every surface that checks a secret (HTTP bearer, the /ws auth frame,
// channel webhooks): after a few failures from one client, its attempts are refused without checking the secret, for
// a time that doubles with each further failure, up to a cap. Pure bookkeeping with an injectable clock; it neither
// knows how a client is identified nor how a refusal is rendered.

export interface AuthLockoutOptions {
  /** epoch ms */
  now?: () => number;
  /** Failures allowed before the first lockout. Default 5. */
  freeFailures?: number;
  /** The first lockout (ms); each further failure doubles it. Default 1 000. */
  baseMs?: number;
  /** The longest lockout (ms). Default 15 minutes. */
  maxMs?: number;
  /** A client's failures are forgotten once it has been this long (ms) without one and is not locked. Default 1 hour. */
  forgetAfterMs?: number;
}

export type LockoutDecision = { ok: true } | { ok: false; retryAfterSec: number };

export interface AuthLockout {
  /** Whether `key` may attempt to authenticate now; counts nothing. Contract: never throws; `retryAfterSec` ≥ 1. */
  check(key: string): LockoutDecision;
  /** Counts one failed attempt of `key` and says whether it is now locked out. Contract: never throws. */
  fail(key: string): LockoutDecision;
}

interface Entry {
  failures: number;
  last: number; // epoch ms of the last failure
  lockedUntil: number; // epoch ms
}

/** Above this many tracked clients, forgettable entries are pruned on the next failure (bounded memory). */
const PRUNE_ABOVE = 10_000;

/**
 * A lockout whose state lives in the returned object (one per gateway, shared by its surfaces).
 * A success never clears a client's failures: where an attacker shares an address with a legitimate user (NAT,
 * a proxy, a browser page on the user's own machine), the user's logins would otherwise hand the attacker fresh
 * free guesses. Failures are forgotten only by time.
 */
export function createAuthLockout(opts: AuthLockoutOptions = {}): AuthLockout {
  const now = opts.now ?? Date.now;
  const freeFailures = opts.freeFailures ?? 5;
  const baseMs = opts.baseMs ?? 1_000;
  const maxMs = opts.maxMs ?? 15 * 60_000;
  const forgetAfterMs = opts.forgetAfterMs ?? 60 * 60_000;
  const entries = new Map<string, Entry>();

  const forgettable = (e: Entry, at: number): boolean => at >= e.lockedUntil && at - e.last >= forgetAfterMs;
  const decide = (e: Entry | undefined, at: number): LockoutDecision =>
    e && at < e.lockedUntil ? { ok: false, retryAfterSec: Math.max(1, Math.ceil((e.lockedUntil - at) / 1000)) } : { ok: true };

  return {
    check(key) {
      return decide(entries.get(key), now());
    },
    fail(key) {
      const at = now();
      let e = entries.get(key);
      if (e && forgettable(e, at)) e = undefined;
      if (!e) {
        if (entries.size >= PRUNE_ABOVE) for (const [k, old] of entries) if (forgettable(old, at)) entries.delete(k);
        e = { failures: 0, last: at, lockedUntil: 0 };
        entries.set(key, e);
      }
      e.failures++;
      e.last = at;
      const over = e.failures - freeFailures;
      if (over > 0) e.lockedUntil = Math.max(e.lockedUntil, at + Math.min(maxMs, baseMs * 2 ** Math.min(over - 1, 30)));
      return decide(e, at);
    },
  };
}

/**
 * The lockout key part for a peer address: IPv4 as is (IPv4-mapped IPv6 included), IPv6 by its /64 — one host
 * usually holds a whole /64, so counting single IPv6 addresses would give it billions of fresh budgets.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address;
  const bare = address.split("%")[0]!; // zone index (fe80::1%eth0)
  const [head = "", tail] = bare.split("::");
  const front = head === "" ? [] : head.split(":");
  const back = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? front : [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill("0"), ...back];
  return `${groups.slice(0, 4).map((g) => (Number.parseInt(g, 16) || 0).toString(16)).join(":")}::/64`;
}
