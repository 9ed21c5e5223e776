// The JSON API under /api/v1: sessions (list, search, rename, delete), usage totals, effective config and /stop, read
// from the Store. Runs, usage series, audit, logs, channels, config files and status have route files of their own
// (api-*.ts). Authentication happens before these routes; secrets never leave (config goes through redactConfig).
import { Hono } from "hono";
import { z } from "zod";
import { redactConfig } from "../config/redact.ts";
import { ZERO_USAGE, addUsage } from "../core/domain.ts";
import { TITLE_MAX_SET } from "../core/session-title.ts";
import { limitParam as limit, notFound, parseJsonBody, parseQuery, textParam as text } from "./api-input.ts";
import { withSessionStats } from "./api-sessions.ts";
import type { GatewayContext } from "./gateway-context.ts";

/** Newest transcript messages returned with a session. */
export const SESSION_MESSAGES = 50;

const sessionsQuery = z.object({ agent: text.optional(), q: z.string().max(200, "must be at most 200 characters").optional(), limit: limit.default(50) });
const sessionPatch = z.strictObject({
  title: z.string().trim().min(1, "must not be empty").max(TITLE_MAX_SET, `must be at most ${TITLE_MAX_SET} characters`).refine((t) => ![...t].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f), "must not contain control characters"),
});
/** Session PATCH bodies are tiny. */
const PATCH_MAX_BYTES = 4 * 1024;
const sessionRunsQuery = z.object({ limit: limit.default(50) });
const usageQuery = z.object({ since: z.coerce.number({ error: "must be epoch milliseconds" }).int("must be epoch milliseconds").nonnegative("must be epoch milliseconds").optional() });

export function createApiRoutes(opts: { ctx: GatewayContext }): Hono {
  const { store, dispatcher } = opts.ctx;
  const api = new Hono();

  api.get("/sessions", async (c) => {
    const q = parseQuery(c, sessionsQuery);
    if (!q.ok) return q.response;
    const { agent, q: query, limit } = q.value;
    const data = await store.sessions.list({ limit, ...(agent ? { agentId: agent } : {}), ...(query?.trim() ? { query: query.trim() } : {}) });
    return c.json({ data: await withSessionStats(store, data) });
  });

  api.patch("/sessions/:key", async (c) => {
    const key = c.req.param("key");
    const body = await parseJsonBody(c, sessionPatch, PATCH_MAX_BYTES);
    if (!body.ok) return body.response;
    if (!(await store.sessions.get(key))) return notFound(c, `session '${key}'`);
    await store.sessions.update(key, { title: body.value.title });
    return c.json(await store.sessions.get(key));
  });

  api.delete("/sessions/:key", async (c) => {
    const key = c.req.param("key");
    if (!(await store.sessions.get(key))) return notFound(c, `session '${key}'`);
    const active = dispatcher.lanes.activeRunId(key);
    if (active) {
      const message = `session '${key}' has a run in flight (${active}). Fix: stop it first (POST /api/v1/sessions/<key>/stop), then delete`;
      return c.json({ error: { type: "conflict", message } }, 409);
    }
    await store.sessions.delete(key);
    return c.json({ deleted: true, key });
  });

  api.get("/sessions/:key", async (c) => {
    const key = c.req.param("key");
    const session = await store.sessions.get(key);
    if (!session) return notFound(c, `session '${key}'`);
    const [usage, messages] = await Promise.all([store.usage.sessionTotal(key), store.transcript.list(key, { limit: SESSION_MESSAGES })]);
    return c.json({ session, usage, activeRunId: dispatcher.lanes.activeRunId(key) ?? null, messages });
  });

  api.get("/sessions/:key/runs", async (c) => {
    const key = c.req.param("key");
    const q = parseQuery(c, sessionRunsQuery);
    if (!q.ok) return q.response;
    if (!(await store.sessions.get(key))) return notFound(c, `session '${key}'`);
    return c.json({ data: await store.runs.list({ sessionKey: key, limit: q.value.limit }) });
  });

  api.post("/sessions/:key/stop", async (c) => {
    const key = c.req.param("key");
    if (!(await store.sessions.get(key))) return notFound(c, `session '${key}'`);
    const { runId, dropped } = dispatcher.stop(key);
    return c.json({ stopped: runId !== undefined, runId: runId ?? null, dropped });
  });

  api.get("/usage", async (c) => {
    const q = parseQuery(c, usageQuery);
    if (!q.ok) return q.response;
    const data = await store.usage.totals(q.value.since === undefined ? {} : { since: q.value.since });
    const total = data.reduce((sum, t) => ({ ...addUsage(sum, t), calls: sum.calls + t.calls }), { ...ZERO_USAGE, calls: 0 });
    return c.json({ since: q.value.since ?? null, data, total });
  });

  api.get("/config", (c) => c.json(redactConfig(opts.ctx.config)));
  return api;
}
