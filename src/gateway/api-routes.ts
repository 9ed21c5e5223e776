// The JSON API under /api/v1: sessions, usage totals, effective config and /stop, read from the Store. Runs, usage
// series, audit, logs, channels, config files and status have route files of their own (api-*.ts).
// Authentication happens before these routes; secrets never leave (config goes through redactConfig).
import { Hono } from "hono";
import { z } from "zod";
import { redactConfig } from "../config/redact.ts";
import { ZERO_USAGE, addUsage } from "../core/domain.ts";
import { limitParam as limit, notFound, parseQuery, textParam as text } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";

/** Newest transcript messages returned with a session. */
export const SESSION_MESSAGES = 50;

const sessionsQuery = z.object({ agent: text.optional(), limit: limit.default(50) });
const sessionRunsQuery = z.object({ limit: limit.default(50) });
const usageQuery = z.object({ since: z.coerce.number({ error: "must be epoch milliseconds" }).int("must be epoch milliseconds").nonnegative("must be epoch milliseconds").optional() });

export function createApiRoutes(opts: { ctx: GatewayContext }): Hono {
  const { store, dispatcher } = opts.ctx;
  const api = new Hono();

  api.get("/sessions", async (c) => {
    const q = parseQuery(c, sessionsQuery);
    if (!q.ok) return q.response;
    const data = await store.sessions.list({ limit: q.value.limit, ...(q.value.agent ? { agentId: q.value.agent } : {}) });
    return c.json({ data });
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
