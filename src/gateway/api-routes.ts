// The JSON API under /api/v1: sessions (list, search, rename, delete), runs, usage, audit, effective config and /stop.
// Authentication happens before these routes; secrets never leave (config goes through redactConfig).
import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { redactConfig } from "../config/redact.ts";
import { readRequestBody } from "../core/capped-body.ts";
import { TITLE_MAX_SET } from "../core/session-title.ts";
import { ZERO_USAGE, addUsage } from "../core/domain.ts";
import type { RunStatus } from "../core/domain.ts";
import { withSessionStats } from "./api-sessions.ts";
import type { GatewayContext } from "./gateway-context.ts";
import { formatPath } from "./openai-compat.ts";

/** Newest transcript messages returned with a session. */
export const SESSION_MESSAGES = 50;

const RUN_STATUSES = ["pending", "running", "succeeded", "failed", "cancelled", "interrupted"] as const satisfies readonly RunStatus[];
const limit = z.coerce.number({ error: "must be an integer from 1 to 500" }).int("must be an integer from 1 to 500").min(1, "must be an integer from 1 to 500").max(500, "must be an integer from 1 to 500");
const text = z.string().min(1, "must not be empty").max(512, "must be at most 512 characters");

const sessionsQuery = z.object({ agent: text.optional(), q: z.string().max(200, "must be at most 200 characters").optional(), limit: limit.default(50) });
const sessionPatch = z.strictObject({
  title: z.string().trim().min(1, "must not be empty").max(TITLE_MAX_SET, `must be at most ${TITLE_MAX_SET} characters`).refine((t) => ![...t].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f), "must not contain control characters"),
});
/** Session PATCH bodies are tiny. */
const PATCH_MAX_BYTES = 4 * 1024;
const runsQuery = z.object({
  // `status=failed,running` filters on several statuses at once.
  status: z
    .string()
    .transform((s) => s.split(",").map((x) => x.trim()))
    .pipe(z.array(z.enum(RUN_STATUSES, { error: `must be one or more of ${RUN_STATUSES.join(", ")}, comma-separated` })))
    .optional(),
  session: text.optional(),
  limit: limit.default(50),
});
const sessionRunsQuery = z.object({ limit: limit.default(50) });
const usageQuery = z.object({ since: z.coerce.number({ error: "must be epoch milliseconds" }).int("must be epoch milliseconds").nonnegative("must be epoch milliseconds").optional() });
const auditQuery = z.object({ run: text.optional(), kind: text.optional(), limit: limit.default(100) });

type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

/** Validates the query string; a problem becomes a 400 naming the parameter. */
function parseQuery<T>(c: Context, schema: z.ZodType<T>): Parsed<T> {
  const parsed = schema.safeParse(c.req.query());
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const param = formatPath(issue?.path.slice(0, 1) ?? []);
  const message = `${param}: ${issue?.message ?? "invalid value"}`;
  return { ok: false, response: c.json({ error: { type: "invalid_request", message, param } }, 400) };
}

const notFound = (c: Context, what: string) => c.json({ error: { type: "not_found", message: `${what} not found` } }, 404);

/** Reads a capped JSON body and validates it; a problem becomes a 4xx naming the field. */
async function parseBody<T>(c: Context, schema: z.ZodType<T>, maxBytes: number): Promise<Parsed<T>> {
  const body = await readRequestBody(c.req.raw, { maxBytes });
  if (!body.ok) return { ok: false, response: body.response };
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(body.bytes));
  } catch {
    return { ok: false, response: c.json({ error: { type: "invalid_request", message: "the body is not valid JSON" } }, 400) };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const param = formatPath(issue?.path ?? []) || "body";
  const detail = issue?.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : (issue?.message ?? "invalid value");
  return { ok: false, response: c.json({ error: { type: "invalid_request", message: `${param}: ${detail}`, param } }, 400) };
}

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
    const body = await parseBody(c, sessionPatch, PATCH_MAX_BYTES);
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

  api.get("/runs", async (c) => {
    const q = parseQuery(c, runsQuery);
    if (!q.ok) return q.response;
    const { status, session, limit } = q.value;
    return c.json({ data: await store.runs.list({ limit, ...(status ? { status } : {}), ...(session ? { sessionKey: session } : {}) }) });
  });

  api.get("/runs/:id", async (c) => {
    const run = await store.runs.get(c.req.param("id"));
    return run ? c.json(run) : notFound(c, `run '${c.req.param("id")}'`);
  });

  api.get("/usage", async (c) => {
    const q = parseQuery(c, usageQuery);
    if (!q.ok) return q.response;
    const data = await store.usage.totals(q.value.since === undefined ? {} : { since: q.value.since });
    const total = data.reduce((sum, t) => ({ ...addUsage(sum, t), calls: sum.calls + t.calls }), { ...ZERO_USAGE, calls: 0 });
    return c.json({ since: q.value.since ?? null, data, total });
  });

  api.get("/audit", async (c) => {
    const q = parseQuery(c, auditQuery);
    if (!q.ok) return q.response;
    const { run, kind, limit } = q.value;
    return c.json({ data: await store.audit.list({ limit, ...(run ? { runId: run } : {}), ...(kind ? { kind } : {}) }) });
  });

  api.get("/config", (c) => c.json(redactConfig(opts.ctx.config)));
  return api;
}
