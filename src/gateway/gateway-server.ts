// The running gateway: serves the HTTP app and the /ws endpoint on one socket, and shuts down gracefully —
// stop intake, let running turns finish until a deadline, then interrupt and record the rest.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAuthLockout } from "./auth-lockout.ts";
import type { GatewayContext, TokenVerifier } from "./gateway-context.ts";
import { createHttpApp } from "./http-app.ts";
import { answerProbe, checkReadiness } from "./probes.ts";
import type { ListenAddress } from "./listen-address.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { createOriginGuard } from "./origin-guard.ts";
import type { UiSessions } from "./ui-sessions.ts";
import { attachWebSocket } from "./ws-server.ts";

export interface GatewayOptions {
  ctx: GatewayContext;
  address: ListenAddress;
  tokens: TokenVerifier;
  now?: () => number;
  serverVersion?: string;
  /** Login codes of this state dir and the UI sessions they open (POST /api/v1/auth/exchange). */
  login?: { stateDir: string; sessions: UiSessions };
}

export interface ShutdownReport {
  /** Turns that finished within the deadline. */
  finished: number;
  /** Turns stopped at the deadline; recorded as interrupted. */
  interrupted: number;
}

export interface RunningGateway {
  url: string;
  port: number;
  /** The listening node:http server (connection-level observation, e.g. bytes read per socket). */
  server: Server;
  /** Stops intake, waits up to `deadlineMs` for running turns, then interrupts the rest. Idempotent. */
  close(opts?: { deadlineMs?: number }): Promise<ShutdownReport>;
}

const POLL_MS = 50;
const STOP_GRACE_MS = 5_000;
const HEADERS_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 60_000;

export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const { ctx } = opts;
  const log = ctx.log.child({ component: "gateway" });
  const metrics = createGatewayMetrics(opts.now ? { now: opts.now } : {});
  const stopObserving = metrics.observe(ctx);
  // One lockout for every surface, so token guesses over HTTP and /ws add up.
  const authLockout = createAuthLockout(opts.now ? { now: opts.now } : {});
  let boundPort: number | undefined;
  const originGuard = createOriginGuard({ gateway: () => ctx.config.gateway, loopback: opts.address.loopback, port: () => boundPort });
  const app = createHttpApp({
    ctx,
    tokens: opts.tokens,
    metrics,
    authLockout,
    originGuard,
    startedAt: (opts.now ?? Date.now)(),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.login ? { login: opts.login } : {}),
    ...(opts.serverVersion ? { serverVersion: opts.serverVersion } : {}),
  });
  // Health probes are answered here, before the Hono adapter: @hono/node-server puts the fetch API's Request and
  // Response in place when it is imported (undici), which the first other request loads, once.
  let appListener: Promise<RequestListener> | undefined;
  const probeOptions = {
    ready: () => checkReadiness(ctx),
    hostAllowed: (host: string | undefined) => originGuard.checkHost(host).ok,
    countHttp: (route: string, status: number) => metrics.countHttp(route, status),
    onError: (err: unknown) => {
      log.error({ err, path: "/readyz" }, "http handler failed");
      metrics.countError("internal");
    },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (answerProbe(req, res, probeOptions)) return;
    appListener ??= import("@hono/node-server").then(({ getRequestListener }) => getRequestListener(app.fetch));
    appListener.then(
      (listener) => listener(req, res),
      (err: unknown) => {
        log.error({ err }, "the HTTP adapter failed to load");
        res.writeHead(500, { "content-type": "application/json" }).end('{"error":{"type":"internal_error","message":"internal error; the gateway log has the details"}}');
      },
    );
  });
  // A client that trickles its headers or body is cut off (408) rather than holding a connection for Node's 5-minute
  // default; bodies are capped at a few MB, which take well under a minute on any link that should reach the gateway.
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  const ws = attachWebSocket({ server, ctx, tokens: opts.tokens, authLockout, originGuard, ...(opts.serverVersion ? { serverVersion: opts.serverVersion } : {}) });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.address.port, opts.address.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  boundPort = port;
  const host = opts.address.host.includes(":") ? `[${opts.address.host}]` : opts.address.host;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  log.info({ host: opts.address.host, port }, "gateway listening");

  let closing: Promise<ShutdownReport> | undefined;
  const close = async (deadlineMs: number): Promise<ShutdownReport> => {
    const before = ctx.dispatcher.lanes.activeSessions().length;
    log.info({ activeTurns: before, deadlineMs }, "gateway stopping");
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await ws.close();
    const deadline = Date.now() + deadlineMs;
    while (ctx.dispatcher.lanes.activeSessions().length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const left = ctx.dispatcher.lanes.activeSessions();
    for (const session of left) ctx.dispatcher.stop(session, "interrupted");
    // Stopped runs end at their next safe point; a run this process only follows (cluster) may never report here.
    const stopDeadline = Date.now() + STOP_GRACE_MS;
    while (ctx.dispatcher.lanes.activeSessions().length > 0 && Date.now() < stopDeadline) await new Promise((r) => setTimeout(r, POLL_MS));
    server.closeAllConnections();
    await serverClosed;
    stopObserving();
    const report = { finished: before - left.length, interrupted: left.length };
    log.info(report, "gateway stopped");
    return report;
  };

  return {
    url,
    port,
    server,
    close: (o) => (closing ??= close(o?.deadlineMs ?? 10_000)),
  };
}
