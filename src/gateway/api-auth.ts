// POST /api/v1/auth/exchange: trades a one-time login code (from `pincer dashboard`) for a UI session token. Open
// (it is how a browser gets a token), so it is guarded instead by the failed-auth lockout shared with bearer auth
// and /ws, a small body cap and zod. Codes and sessions themselves live in login-codes.ts and ui-sessions.ts.
import { Hono } from "hono";
import type { Context } from "hono";
import type { Logger } from "pino";
import { z } from "zod";
import { addressKey, type AuthLockout } from "./auth-lockout.ts";
import { consumeLoginCode, LOGIN_CODE_PATTERN } from "./login-codes.ts";
import type { UiSessions } from "./ui-sessions.ts";
import { parseJsonBody } from "./api-input.ts";

/** Largest exchange body read (bytes): a code is 32 characters. */
const MAX_EXCHANGE_BYTES = 1024;

const exchangeSchema = z.strictObject({
  code: z.string().regex(LOGIN_CODE_PATTERN, "must be the code from a 'pincer dashboard' link (letters, digits, - and _)"),
});

export interface AuthRoutesOptions {
  stateDir: string;
  sessions: UiSessions;
  /** The gateway's one lockout: a wrong code counts like a wrong token, from the same address. */
  lockout: AuthLockout;
  /** The client's address (the lockout key). */
  remote: (c: Context) => string;
  /** epoch ms */
  now: () => number;
  log: Logger;
}

/** Routes under /api/v1/auth. Contract: a code opens at most one session; answers are never cached. */
export function createAuthRoutes(opts: AuthRoutesOptions): Hono {
  const routes = new Hono();
  routes.post("/exchange", async (c) => {
    c.header("Cache-Control", "no-store");
    const lockKey = `gateway:${addressKey(opts.remote(c))}`;
    const locked = opts.lockout.check(lockKey);
    if (!locked.ok) {
      c.header("Retry-After", String(locked.retryAfterSec));
      return c.json({ error: { type: "rate_limited", message: `too many failed authentication attempts from this address; retry after ${locked.retryAfterSec} s` } }, 429);
    }
    const body = await parseJsonBody(c, exchangeSchema, MAX_EXCHANGE_BYTES);
    if (!body.ok) {
      opts.lockout.fail(lockKey); // malformed codes are guesses too
      return body.response;
    }
    const used = await consumeLoginCode(opts.stateDir, body.value.code, opts.now());
    if (!used.ok) {
      const after = opts.lockout.fail(lockKey);
      opts.log.warn({ remote: opts.remote(c), ...(after.ok ? {} : { retryAfterSec: after.retryAfterSec }) }, "login code refused");
      const message = "the login code is unknown, already used or expired. Fix: run 'pincer dashboard' on the gateway's machine for a new link";
      return c.json({ error: { type: "invalid_code", message } }, 401);
    }
    const session = opts.sessions.issue({ ttlMs: used.sessionTtlMs, purpose: used.purpose });
    if (!session) return c.json({ error: { type: "unavailable", message: "the gateway has no token right now. Fix: run 'pincer gateway token --rotate'" } }, 503);
    // A browser login is worth a line at info; the CLI's own short sessions (every `pincer status`) are not.
    const level = used.purpose === "cli" ? "debug" : "info";
    opts.log[level]({ remote: opts.remote(c), purpose: used.purpose, expiresAt: session.expiresAt }, "login code exchanged for a UI session");
    return c.json({ token: session.token, expiresAt: session.expiresAt });
  });
  return routes;
}
