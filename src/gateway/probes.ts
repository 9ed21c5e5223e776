// The health probes' answers, shared by the Hono app and the plain node:http fast path that answers GET /healthz and
// GET /readyz before the Hono adapter is loaded: a gateway that only ever sees probes never loads the fetch API
// (undici, about 10 MB and a few dozen milliseconds of start-up), and /readyz answers as soon as the socket listens.
import type { IncomingMessage, ServerResponse } from "node:http";
import { redactSecrets } from "../config/redact.ts";
import type { GatewayContext } from "./gateway-context.ts";
import { defaultAgentId } from "./openai-routes.ts";

export interface Readiness {
  ok: boolean;
  /** Component → "ok" or what is wrong with it. */
  checks: Record<string, string>;
  /** `<channel>/<account>` → its state (`starting`, `connected`, `reconnecting`, `failed`…), for each enabled account.
   * Informational: chat channels connect after the gateway is ready and never make it unready. */
  channels?: Record<string, string>;
}

/** Store reachable (one cheap query) and the default agent's model has a credential. Messages are redacted. */
export async function checkReadiness(ctx: GatewayContext): Promise<Readiness> {
  const checks: Record<string, string> = {};
  const attempt = async (name: string, probe: () => Promise<unknown>): Promise<void> => {
    try {
      await probe();
      checks[name] = "ok";
    } catch (err) {
      checks[name] = redactSecrets(err instanceof Error ? err.message : String(err));
    }
  };
  await attempt("store", () => ctx.store.sessions.list({ limit: 1 }));
  await attempt("providers", () => ctx.models.preflight(ctx.agentConfig(defaultAgentId(ctx.config)).model));
  const ok = Object.values(checks).every((v) => v === "ok");
  const channels = channelStates(ctx);
  return Object.keys(channels).length > 0 ? { ok, checks, channels } : { ok, checks };
}

/** Each enabled channel account's state; `starting` until its adapter exists. */
function channelStates(ctx: GatewayContext): Record<string, string> {
  const states: Record<string, string> = {};
  for (const [name, section] of Object.entries(ctx.config.channels)) {
    for (const [account, cfg] of Object.entries((section as { accounts?: Record<string, { enabled: boolean }> } | undefined)?.accounts ?? {})) {
      if (cfg.enabled) states[`${name}/${account}`] = "starting";
    }
  }
  for (const s of ctx.channels?.status() ?? []) states[`${s.channel}/${s.account}`] = s.state;
  return states;
}

export interface ProbeAnswerOptions {
  ready: () => Promise<Readiness>;
  /** The Host rule the app applies (DNS rebinding); /healthz is open to any Host. */
  hostAllowed: (host: string | undefined) => boolean;
  countHttp: (route: string, status: number) => void;
  /** A readiness check that threw (a bug): logged and counted by the caller, answered 500 as the app does. */
  onError: (err: unknown) => void;
}

/**
 * Answers GET /healthz, and GET /readyz when its Host is allowed, exactly as the Hono app would (JSON, status,
 * metrics). Returns false for every other request — a refused Host included, which the app then refuses with its
 * usual 403 — and the caller hands it on.
 */
export function answerProbe(req: IncomingMessage, res: ServerResponse, opts: ProbeAnswerOptions): boolean {
  if (req.method !== "GET") return false;
  const path = req.url?.split("?", 1)[0];
  if (path === "/healthz") {
    sendJson(res, 200, { ok: true });
    opts.countHttp("/healthz", 200);
    return true;
  }
  if (path !== "/readyz" || !opts.hostAllowed(req.headers.host)) return false;
  opts.ready().then(
    (result) => {
      const status = result.ok ? 200 : 503;
      sendJson(res, status, result);
      opts.countHttp("/readyz", status);
    },
    (err: unknown) => {
      opts.onError(err);
      sendJson(res, 500, { error: { type: "internal_error", message: "internal error; the gateway log has the details" } });
      opts.countHttp("/readyz", 500);
    },
  );
  return true;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}
