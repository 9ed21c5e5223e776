// The gateway's HTTP surface as a Hono app: health probes, the Host check, bearer auth with a failed-auth lockout,
// per-client rate limit, /metrics, and the mounting of the OpenAI-compatible and JSON APIs. It opens no socket;
// gateway-server.ts serves it.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Hono } from "hono";
import type { Context } from "hono";
import { matchedRoutes } from "hono/route";
import { createAuthRoutes } from "./api-auth.ts";
import { createMessageRoutes } from "./api-messages.ts";
import { createApiRoutes } from "./api-routes.ts";
import { mountControlRoutes } from "./api-control.ts";
import { createSessionRoutes } from "./api-sessions.ts";
import { addressKey, createAuthLockout, type AuthLockout } from "./auth-lockout.ts";
import type { GatewayContext, TokenVerifier } from "./gateway-context.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { createOpenAIRoutes } from "./openai-routes.ts";
import { createOriginGuard, type OriginGuard } from "./origin-guard.ts";
import { checkReadiness, type Readiness } from "./probes.ts";
import { createRateLimiter } from "./rate-limit.ts";
import { createUiRoutes } from "./ui-routes.ts";
import { mountHookRoutes } from "./hooks-route.ts";
import type { UiSessions } from "./ui-sessions.ts";

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
export type { Readiness } from "./probes.ts";

export interface HttpAppOptions {
  ctx: GatewayContext;
  tokens: TokenVerifier;
  metrics: GatewayMetrics;
  /** Requests per minute per client (token, or remote address when unauthenticated); default: the live
   * `gateway.rate_limit_per_minute` of `ctx.config`, so a config reload changes it. */
  rateLimit?: { perMinute: number };
  /** epoch ms */
  now?: () => number;
  /** Failed-authentication backoff; the gateway shares one with /ws. Default: one of this app's own on `now`. */
  authLockout?: AuthLockout;
  /** Host header rules. Default: checked when `gateway.bind` is loopback. */
  originGuard?: OriginGuard;
  /** Replaces the built-in readiness checks (store query + default agent's model credential). */
  ready?: () => Promise<Readiness>;
  /** Login codes in this state dir and the UI sessions they open (POST /api/v1/auth/exchange); absent: no exchange. */
  login?: { stateDir: string; sessions: UiSessions };
  /** Shown by /api/v1/status. Default "unknown". */
  serverVersion?: string;
  /** When the gateway started, epoch ms (/api/v1/status uptime). Default: when the app was created. */
  startedAt?: number;
}

/** `guessed`: a token was presented and did not match (a missing or malformed header guesses nothing). */
type Auth = { ok: true; token: string } | { ok: false; reason: string; guessed: boolean };

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Builds the HTTP app. Open: GET /healthz, GET /readyz, the Control UI's static files (`/`, `/ui/*`), the login
 * code exchange (`POST /api/v1/auth/exchange`), channel webhooks (`POST /channels/<channel>/<account>/<hook>`, verified by the adapter) and webhook triggers (`POST /hooks/<name>`, verified by the hook's secret). Everything else needs `Authorization: Bearer <token>`.
 * Bound to loopback, every route but /healthz and the webhooks needs a Host naming this machine or listed in
 * gateway.allowed_hosts (403).
 * Failed attempts — wrong bearer tokens, webhook requests answered 401, unknown hooks — count per client address; a locked
 * out address gets 429 + Retry-After without its secret being checked.
 * Contract: every response is JSON (or SSE / Prometheus text); a thrown bug becomes a 500 without a stack.
 */
export function createHttpApp(opts: HttpAppOptions): Hono {
  const { ctx, metrics } = opts;
  const now = opts.now ?? Date.now;
  const perMinute = (): number => opts.rateLimit?.perMinute ?? ctx.config.gateway.rate_limit_per_minute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
  const limiter = createRateLimiter({ perMinute, now });
  const ready = opts.ready ?? (() => checkReadiness(ctx));
  const lockout = opts.authLockout ?? createAuthLockout({ now });
  const guard = opts.originGuard ?? createOriginGuard({ gateway: () => ctx.config.gateway, loopback: ctx.config.gateway.bind === "loopback", port: () => undefined });
  const log = ctx.log.child({ component: "gateway.http" });
  const countFailure = (key: string, c: Context): void => {
    const after = lockout.fail(key);
    if (!after.ok) log.warn({ remote: remoteAddress(c), path: c.req.path, retryAfterSec: after.retryAfterSec }, "failed authentication: client locked out");
  };
  const app = new Hono();

  app.use(async (c, next) => {
    await next();
    // An answer given without reading the body (401, 404, 413 …) closes the connection: otherwise Node and
    // @hono/node-server would go on reading the rest to keep the connection alive (Node without limit for GET/HEAD,
    // @hono/node-server up to 64 MB or 500 ms).
    if (declaresBody(c.req.raw) && !c.req.raw.bodyUsed) closeConnection(c.res);
  });

  app.use(async (c, next) => {
    await next();
    // The route pattern, not the URL, keeps label cardinality bounded; middleware are registered as method ALL.
    const route = matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path ?? "unmatched";
    metrics.countHttp(route, c.res.status);
  });

  // Open to any Host: liveness probes (a container's, a load balancer's) hold nothing, and platform webhooks arrive
  // through a proxy under its public name and are checked by their own secret.
  app.get("/healthz", (c) => c.json({ ok: true }));
  // Platform callbacks (Telegram webhook, Slack Events API) carry the platform's own secret or signature, checked
  // by the adapter; they cannot send the gateway token.
  app.post("/channels/:channel/:account/:hook", async (c) => {
    const handler = ctx.channels?.webhook(c.req.path);
    if (!handler) return c.json({ error: { type: "not_found", message: `no channel account in webhook mode at ${c.req.path}` } }, 404);
    // Each account's webhook secret is guessed separately from the gateway token, so it has its own count.
    const key = `webhook:${c.req.param("channel")}/${c.req.param("account")}:${addressKey(remoteAddress(c))}`;
    const locked = lockout.check(key);
    if (!locked.ok) return lockedOut(c, locked.retryAfterSec);
    const res = await handler(c.req.raw);
    if (res.status === 401) countFailure(key, c);
    return res;
  });
  // Webhook triggers carry their hook's own signature or token, checked before any work.
  mountHookRoutes(app, { ctx, now, lockout, remoteAddress, countFailure, lockedOut });
  app.use(async (c, next) => {
    const host = guard.checkHost(c.req.header("host"));
    if (host.ok) return next();
    log.warn({ remote: remoteAddress(c), host: c.req.header("host"), path: c.req.path }, "request refused: Host not allowed");
    return c.json({ error: { type: "forbidden_host", message: host.message } }, 403);
  });
  if (ctx.config.gateway.webchat) app.route("/", createUiRoutes());
  app.get("/readyz", async (c) => {
    const result = await ready();
    return c.json(result, result.ok ? 200 : 503);
  });
  // Open: a login code is the credential here; wrong ones count against the address like wrong tokens.
  if (opts.login) app.route("/api/v1/auth", createAuthRoutes({ ...opts.login, lockout, remote: remoteAddress, now, log }));

  app.use(async (c, next) => {
    const lockKey = `gateway:${addressKey(remoteAddress(c))}`;
    const locked = lockout.check(lockKey);
    if (!locked.ok) return lockedOut(c, locked.retryAfterSec);
    const auth = checkBearer(c.req.header("authorization"), opts.tokens);
    // Unauthenticated attempts count against the remote address, so guessing tokens is rate limited too.
    const client = auth.ok ? `token:${hashToken(auth.token)}` : `addr:${remoteAddress(c)}`;
    const decision = limiter.take(client);
    if (!decision.ok) {
      c.header("Retry-After", String(decision.retryAfterSec));
      const message = `too many requests: this client may send ${perMinute()} per minute; retry after ${decision.retryAfterSec} s`;
      return c.json({ error: { type: "rate_limited", message } }, 429);
    }
    if (!auth.ok) {
      if (auth.guessed) countFailure(lockKey, c);
      c.header("WWW-Authenticate", 'Bearer realm="pincer"');
      return c.json({ error: { type: "unauthorized", message: auth.reason } }, 401);
    }
    await next();
  });

  app.get("/metrics", async (c) => c.body(await metrics.render(), 200, { "Content-Type": metrics.contentType }));
  app.route("/v1", createOpenAIRoutes({ ctx, now }));
  app.route("/api/v1", createApiRoutes({ ctx }));
  app.route("/api/v1", createMessageRoutes({ ctx, now }));
  app.route("/api/v1", createSessionRoutes({ ctx }));
  mountControlRoutes(app, { ctx, now, version: opts.serverVersion ?? "unknown", startedAt: opts.startedAt ?? now() });

  app.notFound((c) => c.json({ error: { type: "not_found", message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    ctx.log.error({ err, method: c.req.method, path: c.req.path }, "http handler failed");
    metrics.countError("internal");
    return c.json({ error: { type: "internal_error", message: "internal error; the gateway log has the details" } }, 500);
  });
  return app;
}

/** A Content-Length above 0 or a chunked body. */
function declaresBody(req: Request): boolean {
  return Number(req.headers.get("content-length") ?? 0) > 0 || req.headers.has("transfer-encoding");
}

function closeConnection(res: Response): void {
  try {
    res.headers.set("connection", "close");
  } catch {
    // Immutable headers (a Response passed through from fetch): the server's own draining limits apply.
  }
}

function checkBearer(header: string | undefined, tokens: TokenVerifier): Auth {
  if (header === undefined || header.trim() === "") {
    return { ok: false, guessed: false, reason: "missing Authorization header. Fix: send 'Authorization: Bearer <gateway token>'" };
  }
  const token = BEARER.exec(header)?.[1];
  if (!token) return { ok: false, guessed: false, reason: "malformed Authorization header: expected 'Bearer <gateway token>'" };
  if (!tokens.verify(token)) return { ok: false, guessed: true, reason: "invalid token: the bearer token does not match the gateway token" };
  return { ok: true, token };
}

/** The answer to a client locked out after failed authentication; its secret is not checked. */
function lockedOut(c: Context, retryAfterSec: number): Response {
  c.header("Retry-After", String(retryAfterSec));
  const message = `too many failed authentication attempts from this address; retry after ${retryAfterSec} s`;
  return c.json({ error: { type: "rate_limited", message } }, 429);
}

/** Rate-limit key for a token: never the token itself, so limiter state holds no secret. */
function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 32);
}

/** The peer address under @hono/node-server; `unknown` in-memory (app.request) where there is no socket. */
function remoteAddress(c: Context): string {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? "unknown";
}
