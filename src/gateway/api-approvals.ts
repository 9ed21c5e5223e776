// /api/v1/approvals, /api/v1/approval-rules and /api/v1/sessions/<key>/elevate(d): the operator answers waiting tool
// calls, lists and revokes standing rules, and turns elevated mode on (code, then confirm) and off — for the Control
// UI, `pincer approvals` / `pincer elevate` and scripts. Decisions and their audit are the ApprovalService's; this file
// is the edge (zod, capped bodies, 404/409) and names who answered.
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { ApprovalStatus } from "../core/domain.ts";
import type { ApprovalService } from "../routing/approval-service.ts";
import { limitParam, notFound, parseJsonBody, parseQuery, textParam } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";

/** Bodies here are a decision or a code and a reason. */
const BODY_MAX_BYTES = 4 * 1024;
/** Longest elevation reason, characters. */
const MAX_REASON_CHARS = 200;

const STATUSES = ["pending", "approved", "denied", "expired"] as const;
const statusParam = z.string().max(64).transform((text, ctx) => {
  if (text === "all") return [...STATUSES];
  const parts = text.split(",").map((s) => s.trim());
  const bad = parts.find((p) => !(STATUSES as readonly string[]).includes(p));
  if (bad !== undefined) {
    ctx.addIssue({ code: "custom", message: `expected all or a comma-separated list of ${STATUSES.join(", ")}` });
    return z.NEVER;
  }
  return parts as ApprovalStatus[];
});
const listQuery = z.object({ status: statusParam.optional(), session: textParam.optional(), limit: limitParam.default(100) });
const answerBody = z.strictObject({ decision: z.enum(["approve", "deny"]), always: z.boolean().optional() })
  .refine((b) => !(b.always && b.decision === "deny"), { error: "always applies to approve only", path: ["always"] });
const elevateBody = z.strictObject({
  minutes: z.number().int("must be a whole number of minutes").min(1).max(1440).optional(),
  reason: z.string().trim().max(MAX_REASON_CHARS, `must be at most ${MAX_REASON_CHARS} characters`).optional(),
});
const confirmBody = z.strictObject({ code: z.string().trim().min(1).max(32) });

/** Who answered through HTTP: the Control UI and the CLI say so in a header (they hold the operator's token either way). */
export function operatorOf(c: Context): "operator:ui" | "operator:cli" | "operator:api" {
  const client = c.req.header("x-pincer-client");
  return client === "ui" ? "operator:ui" : client === "cli" ? "operator:cli" : "operator:api";
}

export function createApprovalRoutes(opts: { ctx: GatewayContext }): Hono {
  const { ctx } = opts;
  const api = new Hono();
  const unavailable = (c: Context) =>
    c.json({ error: { type: "unavailable", message: "approvals are not available in this gateway (no approval service runs). Fix: restart the gateway with this version" } }, 503);
  const service = (): ApprovalService | undefined => ctx.approvals?.();
  const knownSession = async (c: Context): Promise<string | Response> => {
    const key = c.req.param("key") ?? "";
    return (await ctx.store.sessions.get(key)) ? key : notFound(c, `session '${key.slice(0, 200)}'`);
  };

  api.get("/approvals", async (c) => {
    const q = parseQuery(c, listQuery);
    if (!q.ok) return q.response;
    const s = service();
    if (!s) return unavailable(c);
    const data = await s.list({ status: q.value.status ?? ["pending"], ...(q.value.session ? { sessionKey: q.value.session } : {}), limit: q.value.limit });
    return c.json({ data });
  });

  api.post("/approvals/:id", async (c) => {
    const body = await parseJsonBody(c, answerBody, BODY_MAX_BYTES);
    if (!body.ok) return body.response;
    const s = service();
    if (!s) return unavailable(c);
    const id = c.req.param("id");
    const result = await s.answer(id, { decision: body.value.decision, ...(body.value.always ? { always: true } : {}) }, operatorOf(c));
    if (result.ok) return c.json({ request: result.request });
    if (result.reason === "unknown") return notFound(c, `approval request '${id.slice(0, 80)}'`);
    const r = result.request;
    const message = result.reason === "expired"
      ? `approval request '${id}' expired before it was answered; the call was denied`
      : `approval request '${id}' was answered already (${r?.status ?? "answered"}${r?.answeredBy ? ` by ${r.answeredBy}` : ""})`;
    return c.json({ error: { type: result.reason === "expired" ? "expired" : "conflict", message }, ...(r ? { request: r } : {}) }, 409);
  });

  api.get("/approval-rules", async (c) => {
    const s = service();
    if (!s) return unavailable(c);
    return c.json({ data: await s.rules() });
  });

  api.delete("/approval-rules/:id", async (c) => {
    const s = service();
    if (!s) return unavailable(c);
    const id = c.req.param("id");
    if (!(await s.revokeRule(id, operatorOf(c)))) return notFound(c, `approval rule '${id.slice(0, 80)}'`);
    return c.json({ revoked: true, id });
  });

  api.get("/elevations", async (c) => {
    const s = service();
    if (!s) return unavailable(c);
    // Through the service, which ends an expired one on read.
    const records = await ctx.store.elevations.active();
    const active = await Promise.all(records.map((e) => s.elevation(e.sessionKey)));
    return c.json({ data: active.filter((e) => e !== undefined) });
  });

  api.get("/sessions/:key/elevation", async (c) => {
    const s = service();
    if (!s) return unavailable(c);
    const key = await knownSession(c);
    if (typeof key !== "string") return key;
    return c.json({ elevation: (await s.elevation(key)) ?? null, policy: { enabled: ctx.config.policy.elevated.enabled, ...pick(ctx) } });
  });

  api.post("/sessions/:key/elevate", async (c) => {
    const body = await parseJsonBody(c, elevateBody, BODY_MAX_BYTES);
    if (!body.ok) return body.response;
    const s = service();
    if (!s) return unavailable(c);
    const key = await knownSession(c);
    if (typeof key !== "string") return key;
    const asked = await s.elevate(key, { ...body.value, by: operatorOf(c) });
    if (!asked.ok) return c.json({ error: { type: "refused", message: asked.reason } }, 409);
    return c.json({ code: asked.code, minutes: asked.minutes });
  });

  api.post("/sessions/:key/elevate/confirm", async (c) => {
    const body = await parseJsonBody(c, confirmBody, BODY_MAX_BYTES);
    if (!body.ok) return body.response;
    const s = service();
    if (!s) return unavailable(c);
    const key = await knownSession(c);
    if (typeof key !== "string") return key;
    const confirmed = await s.confirmElevation(key, body.value.code, operatorOf(c));
    if (!confirmed.ok) return c.json({ error: { type: "refused", message: confirmed.reason, param: "code" } }, 409);
    return c.json({ elevation: confirmed.elevation });
  });

  api.delete("/sessions/:key/elevate", async (c) => {
    const s = service();
    if (!s) return unavailable(c);
    const key = await knownSession(c);
    if (typeof key !== "string") return key;
    const by = operatorOf(c);
    const ended = await s.endElevation(key, by, `ended by ${by}`);
    return c.json({ ended: ended !== undefined, elevation: ended ?? null });
  });

  return api;
}

function pick(ctx: GatewayContext): { default_minutes: number; max_minutes: number; allow: string[] } {
  const e = ctx.config.policy.elevated;
  return { default_minutes: e.default_minutes, max_minutes: e.max_minutes, allow: e.allow };
}
