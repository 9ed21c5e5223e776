// /api/v1/schedules and /api/v1/automation: the Schedules page's data and actions — list (with each schedule's last
// fire), create, read, edit, delete, run now, suspend, resume, the fire history — and the automation summary (the
// scheduler's state, the heartbeat, the configured hooks without their secrets). Writes go through
// automation/schedule-actions.ts (checked by schedule-input.ts, audited as done with the HTTP API) and wake the
// scheduler of this process.
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AutomationControl } from "../automation/automation.ts";
import { auditScheduleRun, changeSchedule, createSchedule, deleteSchedule, setSuspended, toFireJson, toScheduleJson, type ScheduleActor } from "../automation/schedule-actions.ts";
import { InputError } from "../core/errors.ts";
import { hasOwnEntry } from "../core/own-entry.ts";
import { ScheduleNameTaken } from "../store/store.ts";
import { limitParam, notFound, parseJsonBody, parseQuery, timeParam } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";

/** A schedule's message may be 20,000 characters of any script. */
const BODY_MAX_BYTES = 128 * 1024;
/** The shape only; schedule-input.ts checks every field (the one place schedules are validated). */
const scheduleBody = z.record(z.string(), z.unknown(), { error: "must be a JSON object" });
const firesQuery = z.object({ limit: limitParam.default(50), before: timeParam.optional() });

export function createScheduleRoutes(opts: { ctx: GatewayContext; now: () => number }): Hono {
  const { ctx, now } = opts;
  const api = new Hono();
  const actor: ScheduleActor = {
    store: ctx.store, via: "the HTTP API", createdBy: "api", now,
    knownAgent: (id) => hasOwnEntry(ctx.config.agents, id),
  };
  const automation = (): AutomationControl | undefined => ctx.automation?.();
  const changed = (): void => automation()?.changed();
  const unknown = (c: Context) => notFound(c, `schedule '${c.req.param("id")?.slice(0, 80)}'`);

  api.get("/schedules", async (c) => {
    const schedules = await ctx.store.schedules.list();
    const last = await Promise.all(schedules.map(async (s) => (await ctx.store.schedules.fires(s.id, { limit: 1 }))[0]));
    return c.json({ data: schedules.map((s, i) => toScheduleJson(s, last[i])) });
  });

  api.post("/schedules", async (c) => {
    const body = await parseJsonBody(c, scheduleBody, BODY_MAX_BYTES);
    if (!body.ok) return body.response;
    return answer(c, async () => {
      const created = await createSchedule(actor, body.value);
      changed();
      return { schedule: toScheduleJson(created) };
    }, 201);
  });

  api.get("/schedules/:id", async (c) => {
    const schedule = await ctx.store.schedules.get(c.req.param("id"));
    if (!schedule) return unknown(c);
    const [lastFire] = await ctx.store.schedules.fires(schedule.id, { limit: 1 });
    return c.json({ schedule: toScheduleJson(schedule, lastFire) });
  });

  api.patch("/schedules/:id", async (c) => {
    const body = await parseJsonBody(c, scheduleBody, BODY_MAX_BYTES);
    if (!body.ok) return body.response;
    return answer(c, async () => {
      const updated = await changeSchedule(actor, c.req.param("id"), body.value);
      if (!updated) return unknown(c);
      changed();
      return { schedule: toScheduleJson(updated) };
    });
  });

  api.delete("/schedules/:id", async (c) => {
    const deleted = await deleteSchedule(actor, c.req.param("id"));
    if (!deleted) return unknown(c);
    changed();
    return c.json({ deleted: true, id: deleted.id, name: deleted.name });
  });

  for (const [action, suspended] of [["suspend", true], ["resume", false]] as const) {
    api.post(`/schedules/:id/${action}`, async (c) =>
      answer(c, async () => {
        const updated = await setSuspended(actor, c.req.param("id"), suspended);
        if (!updated) return unknown(c);
        changed();
        return { schedule: toScheduleJson(updated) };
      }));
  }

  api.post("/schedules/:id/run", async (c) => {
    const schedule = await ctx.store.schedules.get(c.req.param("id"));
    if (!schedule) return unknown(c);
    const control = automation();
    if (!control) {
      return c.json({ error: { type: "unavailable", message: "the scheduler does not run in this process, so it cannot fire a schedule now. Fix: run the gateway with automation (pincer gateway), or wait for the schedule's next fire" } }, 503);
    }
    return answer(c, async () => {
      const outcome = await control.runNow(schedule.id);
      await auditScheduleRun(actor, schedule, outcome);
      return { schedule: schedule.id, name: schedule.name, fireAt: outcome.fireAt, status: outcome.status, runId: outcome.runId ?? null, reason: outcome.reason ?? null };
    });
  });

  api.get("/schedules/:id/fires", async (c) => {
    const q = parseQuery(c, firesQuery);
    if (!q.ok) return q.response;
    const schedule = await ctx.store.schedules.get(c.req.param("id"));
    if (!schedule) return unknown(c);
    const { limit, before } = q.value;
    // One more than asked says whether there is an older page; its cursor is the last fire shown.
    const fires = await ctx.store.schedules.fires(schedule.id, { limit: limit + 1, ...(before === undefined ? {} : { before }) });
    const page = fires.slice(0, limit);
    return c.json({ schedule: schedule.id, data: page.map(toFireJson), next: fires.length > limit ? page.at(-1)!.fireAt : null });
  });

  api.get("/automation", async (c) => {
    const status = automation()?.status();
    const schedules = await ctx.store.schedules.list();
    const hb = ctx.config.heartbeat;
    return c.json({
      scheduler: status ? { running: true, leader: status.leader, holder: status.holder ?? null, nextWakeAt: status.nextWakeAt ?? null } : { running: false, leader: false, holder: null, nextWakeAt: null },
      schedules: { total: schedules.length, suspended: schedules.filter((s) => s.suspended).length },
      heartbeat: {
        enabled: hb !== undefined,
        ...(hb ? { every: hb.every, activeHours: hb.active_hours ?? null, tz: hb.tz ?? null, agent: hb.agent, deliver: hb.deliver } : {}),
        nextTickAt: status?.heartbeat.nextTickAt ?? null,
        lastTick: status?.heartbeat.lastTick ?? null,
      },
      hooks: Object.entries(ctx.config.hooks).map(([name, hook]) => ({
        name, path: `/hooks/${name}`, auth: hook.auth, secretEnv: hook.secret_env, secretSet: ctx.env ? Object.hasOwn(ctx.env, hook.secret_env) && Boolean(ctx.env[hook.secret_env]) : null,
        agent: hook.agent, session: hook.session, deliver: hook.deliver,
      })),
    });
  });

  return api;
}

/** Runs a schedule action: InputError → 400 naming the field, ScheduleNameTaken → 409; a Response is answered as is. */
async function answer(c: Context, run: () => Promise<Response | Record<string, unknown>>, status: 200 | 201 = 200): Promise<Response> {
  try {
    const result = await run();
    return result instanceof Response ? result : c.json(result, status);
  } catch (err) {
    if (err instanceof ScheduleNameTaken) {
      return c.json({ error: { type: "name_taken", message: `${err.message}. Fix: choose another name, or edit that schedule`, param: "name" } }, 409);
    }
    if (err instanceof InputError) {
      const param = err.field ?? /^--?([a-z]+):/.exec(err.message)?.[1];
      return c.json({ error: { type: "invalid_request", message: err.message, ...(param ? { param } : {}) } }, 400);
    }
    throw err;
  }
}
