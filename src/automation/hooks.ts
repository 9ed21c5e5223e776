// Webhook triggers: one `POST /hooks/<name>` request checked in a fixed order — hook known, rate limits, secret set,
// no credentials in the URL, body size, signature over the raw bytes, JSON — then rendered through the hook's template,
// journaled and started as a run on the one message path. Loaded by the gateway on the first hook request. It does
// not count failed attempts (the route feeds the gateway's auth lockout from the 401/404 answers).
import { createHash, randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { SILENT_TOKEN } from "../channels/kit/reply-directives.ts";
import { HOOK_NAME, parseDeliverTarget, type HookConfig } from "../core/automation-config.ts";
import { readRequestBody } from "../core/capped-body.ts";
import type { AuditRecord } from "../core/domain.ts";
import { ownEntry } from "../core/own-entry.ts";
import type { Dispatcher, ReceiveResult } from "../routing/dispatcher.ts";
import { automationSessionKey, HOOK_CHANNEL, routeForDeliver } from "./automation.ts";
import { postRunResult } from "./deliver-webhook.ts";
import { authenticateHook, GITHUB_SIGNATURE_HEADER, spendSignatureWork, type HookAuthFailure } from "./hook-auth.ts";
import { parseHookBody } from "./hook-body.ts";
import { renderHookTemplate, wrapUntrusted } from "./hook-template.ts";

/** The body cap an unknown hook is read with (the config default), so it costs what a known one does. */
const UNKNOWN_HOOK_MAX_BYTES = 1024 * 1024;
/** How long the answer waits for the id of a run that started at once, ms; past it the 202 goes out without one. */
const RUN_ID_WAIT_MS = 5_000;
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Query parameters that carry credentials; a URL is logged by proxies and servers, so they are refused. */
const CREDENTIAL_PARAMS = new Set(["token", "access_token", "auth", "authorization", "key", "api_key", "apikey", "secret", "signature", "sig", "password"]);

/**
 * One body for an unknown hook (404) and a failed signature (401), so neither says which hooks exist or what was wrong;
 * the reason is in the gateway log and the `hook.refused` audit record.
 */
export const REFUSED_MESSAGE =
  "this request is not accepted: no hook of that name, or a missing, malformed, wrong or expired signature. " +
  "Fix: check the URL and the secret the sender signs with; the gateway log and audit (hook.refused) say which";

export interface RequestLimiter {
  /** Counts one request for `key`. Contract: never throws. */
  take(key: string): { ok: true } | { ok: false; retryAfterSec: number };
}

export interface HookReceiverOptions {
  /** The live `hooks` config (a reload changes it). */
  hooks: () => Readonly<Record<string, HookConfig>>;
  /** Where `secret_env` is looked up. */
  env: Readonly<Record<string, string | undefined>>;
  dispatcher: Pick<Dispatcher, "receive" | "subscribe">;
  audit: (record: AuditRecord) => Promise<void>;
  /** Whether the agent is configured. */
  hasAgent: (agentId: string) => boolean;
  /** A fixed-window limiter of `perMinute()` requests per key and minute. */
  createLimiter: (perMinute: () => number) => RequestLimiter;
  log: Logger;
  /** epoch ms */
  now: () => number;
  /** For `deliver: webhook:<url>`. */
  fetch?: typeof fetch;
  /** Default RUN_ID_WAIT_MS. */
  runIdWaitMs?: number;
}

export interface HookRequest {
  /** The `<name>` of `/hooks/<name>`, as sent. */
  name: string;
  request: Request;
  /** The client's address key (IPv6 by /64), for the per-address limit and the audit. */
  client: string;
}

export interface HookReceiver {
  /** Contract: answers every request; throws only for a store failure (the gateway's 500). */
  receive(req: HookRequest): Promise<Response>;
}

type RefusalReason = HookAuthFailure | "unknown_hook" | "rate_limited" | "secret_unset" | "agent_unknown" | "credentials_in_query" | "body_too_large" | "body_unreadable" | "bad_body" | "bad_delivery_id";

export function createHookReceiver(opts: HookReceiverOptions): HookReceiver {
  const log = opts.log.child({ component: "automation.hooks" });
  const limiters = new Map<string, { perClient: RequestLimiter; perHook: RequestLimiter }>();
  const limitersOf = (name: string): { perClient: RequestLimiter; perHook: RequestLimiter } => {
    let pair = limiters.get(name);
    if (!pair) {
      const perMinute = (): number => ownEntry(opts.hooks(), name)?.rate_limit_per_minute ?? 60;
      pair = { perClient: opts.createLimiter(perMinute), perHook: opts.createLimiter(perMinute) };
      limiters.set(name, pair);
    }
    return pair;
  };

  // A flood over the rate limit is audited once per client and window, not once per request.
  const limitedUntil = new Map<string, number>();
  const firstLimited = (key: string, retryAfterSec: number): boolean => {
    const at = opts.now();
    if ((limitedUntil.get(key) ?? 0) > at) return false;
    if (limitedUntil.size >= 10_000) for (const [k, until] of limitedUntil) if (until <= at) limitedUntil.delete(k);
    limitedUntil.set(key, at + retryAfterSec * 1000);
    return true;
  };
  const refuseLimited = (req: HookRequest, name: string, scope: "address" | "hook", retryAfterSec: number, perMinute: number): Promise<Response> | Response => {
    const response = tooMany(name, retryAfterSec, perMinute, scope === "address" ? "from this address" : "for this hook");
    return firstLimited(`${name}|${scope === "address" ? req.client : ""}`, retryAfterSec) ? refuse(req, name, 429, "rate_limited", response) : response;
  };

  const refuse = async (req: HookRequest, hookName: string, status: number, reason: RefusalReason, response: Response): Promise<Response> => {
    await opts.audit({
      at: opts.now(), kind: "hook.refused", decision: "deny", runId: undefined, sessionKey: undefined, tool: undefined,
      reason, detail: { hook: hookName, status, client: req.client },
    }).catch((err: unknown) => log.error({ err }, "audit record not written"));
    // Requests to names that are no hook are the internet's background noise; refusals of a real hook are worth a look.
    log[reason === "unknown_hook" ? "info" : "warn"]({ hook: hookName, status, reason, client: req.client }, "hook request refused");
    return response;
  };

  return {
    async receive(req) {
      const { request } = req;
      const hook = HOOK_NAME.test(req.name) ? ownEntry(opts.hooks(), req.name) : undefined;
      if (!hook) {
        const shownName = HOOK_NAME.test(req.name) ? req.name : "(not a hook name)";
        const body = await readRequestBody(request, { maxBytes: UNKNOWN_HOOK_MAX_BYTES });
        spendSignatureWork(body.ok ? body.bytes : new Uint8Array(0));
        return refuse(req, shownName, 404, "unknown_hook", refusal(404));
      }
      const name = req.name;
      const limits = limitersOf(name);
      const byClient = limits.perClient.take(req.client);
      if (!byClient.ok) return refuseLimited(req, name, "address", byClient.retryAfterSec, hook.rate_limit_per_minute);

      const secret = ownEntry(opts.env, hook.secret_env);
      if (!secret) {
        log.error({ hook: name, env: hook.secret_env }, `hook refused: its secret is not set. Fix: set ${hook.secret_env} in the gateway's environment and restart it`);
        return refuse(req, name, 503, "secret_unset", fail(503, "hook_unavailable", "this hook is not ready: its secret is not set on the gateway. Fix: the gateway's operator sets it (see 'pincer doctor')"));
      }
      if (!opts.hasAgent(hook.agent)) {
        log.error({ hook: name, agent: hook.agent }, `hook refused: hooks.${name}.agent names an agent that is not configured`);
        return refuse(req, name, 503, "agent_unknown", fail(503, "hook_unavailable", "this hook is not ready: its agent is not configured on the gateway"));
      }
      const param = credentialParam(request.url);
      if (param !== undefined) {
        return refuse(req, name, 400, "credentials_in_query", fail(400, "invalid_request", `query parameter '${param}': credentials in the URL are refused (URLs end up in logs). Fix: remove it and sign the request (${describeAuth(hook)})`));
      }

      const read = await readRequestBody(request, { maxBytes: hook.max_body_bytes, setting: `hooks.${name}.max_body_bytes` });
      if (!read.ok) return refuse(req, name, read.response.status, read.response.status === 413 ? "body_too_large" : "body_unreadable", read.response);
      const auth = authenticateHook({ hook, secret, headers: request.headers, body: read.bytes, now: opts.now() });
      if (!auth.ok) return refuse(req, name, 401, auth.reason, refusal(401));

      // Only authenticated deliveries count against the hook's own budget, so strangers cannot use it up.
      const byHook = limits.perHook.take("hook");
      if (!byHook.ok) return refuseLimited(req, name, "hook", byHook.retryAfterSec, hook.rate_limit_per_minute);
      const parsed = parseHookBody(read.bytes, request.headers.get("content-type"));
      if (!parsed.ok) return refuse(req, name, parsed.status, "bad_body", fail(parsed.status, parsed.status === 415 ? "unsupported_media_type" : "invalid_request", parsed.message));
      const delivery = deliveryIdOf(hook, request.headers, read.bytes, opts.now());
      if (!delivery.ok) return refuse(req, name, 400, "bad_delivery_id", fail(400, "invalid_request", delivery.message));
      return start({ req, name, hook, body: parsed.body, deliveryId: delivery.id, bytes: read.bytes.byteLength });
    },
  };

  async function start(s: { req: HookRequest; name: string; hook: HookConfig; body: unknown; deliveryId: string; bytes: number }): Promise<Response> {
    const { hook, name, deliveryId } = s;
    const headers = s.req.request.headers;
    const message = renderHookTemplate(hook.message, { body: s.body, headers, hiddenHeaders: hook.auth === "hmac-sha256" ? [hook.signature_header] : [] });
    const text = wrapUntrusted({ hook: name, deliveryId, boundary: randomBytes(8).toString("hex"), message });
    const at = opts.now();
    const sessionKey = automationSessionKey({ agentId: hook.agent, session: hook.session, channel: HOOK_CHANNEL, source: `${name}/${shortHash(deliveryId)}`, fireAt: at });
    const origin = routeForDeliver(hook.deliver);

    let onStarted: (runId: string) => void = () => undefined;
    const started = new Promise<string>((resolve) => (onStarted = resolve));
    const unsubscribe = opts.dispatcher.subscribe((event) => {
      if (event.type === "run_started" && event.sessionKey === sessionKey) onStarted(event.runId);
    });
    let result: ReceiveResult;
    let runId: string | undefined;
    try {
      result = await opts.dispatcher.receive({
        agentId: hook.agent, sessionKey, channel: HOOK_CHANNEL, text, trigger: "hook", queueMode: "followup",
        taint: [{ kind: "hook", label: `webhook "${name}" delivery ${deliveryId}`, at }],
        ...(origin ? { origin } : {}),
        inbound: { account: name, messageId: deliveryId },
      });
      runId = result.runId ?? (!result.duplicate && result.disposition === "started" ? await firstOf(started, result.result, opts.runIdWaitMs ?? RUN_ID_WAIT_MS) : undefined);
    } finally {
      unsubscribe();
    }
    const { duplicate, journalId } = result;
    await opts.audit({
      at, kind: "hook.accepted", decision: "info", runId, sessionKey, tool: undefined,
      reason: duplicate ? "redelivery; no second run" : "delivery accepted",
      detail: { hook: name, deliveryId, journalId, duplicate, bytes: s.bytes, agent: hook.agent, client: s.req.client, event: headers.get("x-github-event") ?? undefined },
    }).catch((err: unknown) => log.error({ err }, "audit record not written"));
    log.info({ hook: name, deliveryId, journalId, runId, duplicate, bytes: s.bytes }, duplicate ? "hook redelivery: no second run" : "hook delivery accepted");
    const target = parseDeliverTarget(hook.deliver);
    if (!result.duplicate && target?.kind === "webhook") {
      const settled = result.result;
      void settled.then(async (outcome) => {
        if (outcome.status === "succeeded" && outcome.reply.trim() === SILENT_TOKEN) return;
        const payload = { hook: name, deliveryId, runId: outcome.runId || null, status: outcome.status, reply: outcome.reply, error: outcome.error ?? null };
        const sent = await postRunResult(target.url, payload, { ...(opts.fetch ? { fetch: opts.fetch } : {}), userAgent: "pincer-hooks" });
        if (sent.ok) log.info({ hook: name, deliveryId, attempts: sent.attempts }, "hook result delivered");
        else log.warn({ hook: name, deliveryId, error: sent.error, attempts: sent.attempts }, "hook result not delivered");
      }, (err: unknown) => log.error({ err, hook: name, deliveryId }, "hook run failed before its result could be delivered"));
    }
    return Response.json({ hook: name, deliveryId, journalId, duplicate, ...(runId ? { runId } : {}) }, { status: 202 });
  }
}

/** The run id once the run started, or the outcome's when the run ended first; undefined after `waitMs`. */
async function firstOf(started: Promise<string>, outcome: Promise<{ runId: string }>, waitMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs).unref()));
  try {
    return await Promise.race([started, outcome.then((o) => o.runId || undefined, () => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type DeliveryId = { ok: true; id: string } | { ok: false; message: string };

/** X-GitHub-Delivery, else Idempotency-Key, else a hash of the signed timestamp (or the time received) and the body. */
function deliveryIdOf(hook: HookConfig, headers: Headers, body: Uint8Array, now: number): DeliveryId {
  for (const header of ["x-github-delivery", "idempotency-key"]) {
    const value = headers.get(header)?.trim();
    if (value === undefined || value === "") continue;
    return DELIVERY_ID.test(value) ? { ok: true, id: value } : { ok: false, message: `${header}: must be 1-128 letters, digits, '.', '_', ':' or '-'` };
  }
  const stamp = hook.auth === "hmac-sha256" ? (headers.get(hook.timestamp_header)?.trim() ?? "") : String(now);
  return { ok: true, id: `sha256-${createHash("sha256").update(`${stamp}.`).update(body).digest("hex").slice(0, 40)}` };
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** The first query parameter named like a credential, if any. */
function credentialParam(url: string): string | undefined {
  const query = URL.parse(url)?.searchParams;
  if (!query) return undefined;
  for (const key of query.keys()) if (CREDENTIAL_PARAMS.has(key.toLowerCase())) return key;
  return undefined;
}

function describeAuth(hook: HookConfig): string {
  if (hook.auth === "token") return "send 'Authorization: Bearer <secret>'";
  if (hook.auth === "github") return `GitHub sends ${GITHUB_SIGNATURE_HEADER} when the webhook has a secret`;
  return `send ${hook.signature_header} and ${hook.timestamp_header}`;
}

function refusal(status: 401 | 404): Response {
  return Response.json({ error: { type: "hook_refused", message: REFUSED_MESSAGE } }, { status });
}

function tooMany(name: string, retryAfterSec: number, perMinute: number, scope: string): Response {
  const message = `too many deliveries ${scope}: hook "${name}" accepts ${perMinute} per minute (hooks.${name}.rate_limit_per_minute); retry after ${retryAfterSec} s`;
  return fail(429, "rate_limited", message, { "retry-after": String(retryAfterSec) });
}

function fail(status: number, type: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { type, message } }, { status, headers });
}
