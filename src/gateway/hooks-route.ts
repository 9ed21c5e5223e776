// `POST /hooks/<name>`: webhook triggers, open to any Host and without the gateway token (each hook has its own
// secret). The route owns the failed-attempt lockout per client address; the checks, the run and its delivery are
// src/automation/hooks.ts, imported on the first hook request so a gateway without hooks never loads it.
import type { Context, Hono } from "hono";
import type { HookReceiver } from "../automation/hooks.ts";
import { addressKey, type AuthLockout } from "./auth-lockout.ts";
import type { GatewayContext } from "./gateway-context.ts";
import { createRateLimiter } from "./rate-limit.ts";

export interface HookRouteOptions {
  ctx: GatewayContext;
  /** epoch ms */
  now: () => number;
  lockout: AuthLockout;
  remoteAddress: (c: Context) => string;
  /** Counts a failed attempt of `key` (and logs a lockout). */
  countFailure: (key: string, c: Context) => void;
  /** The answer to a locked-out client. */
  lockedOut: (c: Context, retryAfterSec: number) => Response;
}

export function mountHookRoutes(app: Hono, opts: HookRouteOptions): void {
  const { ctx, now } = opts;
  let receiver: Promise<HookReceiver> | undefined;
  const load = (): Promise<HookReceiver> =>
    (receiver ??= import("../automation/hooks.ts").then((m) => m.createHookReceiver({
      hooks: () => ctx.config.hooks,
      env: ctx.env ?? {},
      dispatcher: ctx.dispatcher,
      audit: (record) => ctx.store.audit.write(record),
      hasAgent: (agentId) => Object.hasOwn(ctx.config.agents, agentId),
      createLimiter: (perMinute) => createRateLimiter({ perMinute, now }),
      log: ctx.log,
      now,
    })));

  app.post("/hooks/:name", async (c) => {
    const client = addressKey(opts.remoteAddress(c));
    // One count for all hooks of an address: guessing names or secrets across hooks adds up.
    const key = `hooks:${client}`;
    const locked = opts.lockout.check(key);
    if (!locked.ok) return opts.lockedOut(c, locked.retryAfterSec);
    const res = await (await load()).receive({ name: c.req.param("name"), request: c.req.raw, client });
    if (res.status === 401 || res.status === 404) opts.countFailure(key, c);
    return res;
  });
}
