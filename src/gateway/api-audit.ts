// /api/v1/audit: the audit log (tool decisions, config reloads, pairing, interrupted runs …), newest first, with
// filters and keyset paging (`before` the last id of a page).
import { Hono } from "hono";
import { z } from "zod";
import { limitParam, parseQuery, textParam, timeParam } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";

const DECISIONS = ["allow", "deny", "info"] as const;
const ID_MESSAGE = "must be an audit record id (a positive integer)";

const auditQuery = z.object({
  kind: textParam.optional(),
  tool: textParam.optional(),
  decision: z.enum(DECISIONS, { error: `must be one of ${DECISIONS.join(", ")}` }).optional(),
  run: textParam.optional(),
  since: timeParam.optional(),
  until: timeParam.optional(),
  before: z.coerce.number({ error: ID_MESSAGE }).int(ID_MESSAGE).positive(ID_MESSAGE).max(Number.MAX_SAFE_INTEGER, ID_MESSAGE).optional(),
  limit: limitParam.default(100),
});

export function createAuditRoutes(opts: { ctx: GatewayContext }): Hono {
  const api = new Hono();
  api.get("/audit", async (c) => {
    const q = parseQuery(c, auditQuery);
    if (!q.ok) return q.response;
    const { kind, tool, decision, run, since, until, before, limit } = q.value;
    const data = await opts.ctx.store.audit.list({
      limit,
      ...(kind ? { kind } : {}),
      ...(tool ? { tool } : {}),
      ...(decision ? { decision } : {}),
      ...(run ? { runId: run } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(before !== undefined ? { before } : {}),
    });
    // `next`: pass as `before` for the following page; null on the last one.
    return c.json({ data, next: data.length === limit ? (data.at(-1)?.id ?? null) : null });
  });
  return api;
}
