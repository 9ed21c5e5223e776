// What an owner does with schedules, the same from `pincer cron …`, the HTTP API and the Control UI: create, edit,
// delete, suspend and resume — checked by schedule-input.ts, written to the store and audited — and the JSON a schedule
// is shown as. The running scheduler re-reads the store (the API wakes it after a change; the CLI's changes are seen on
// its next wake).
import { parseDeliverTarget } from "../core/automation-config.ts";
import type { Schedule, ScheduleFire } from "../core/domain.ts";
import { InputError } from "../core/errors.ts";
import type { Store } from "../store/store.ts";
import { buildSchedule, editSchedule } from "./schedule-input.ts";

export interface ScheduleActor {
  store: Pick<Store, "schedules" | "audit">;
  /** Who did it, for the audit record: `'pincer cron add'`, `the HTTP API`. */
  via: string;
  /** Recorded on new schedules: `cli`, `api`. */
  createdBy: string;
  now: () => number;
  /** Whether an agent of this id is configured. */
  knownAgent: (id: string) => boolean;
}

/** Creates a schedule. Throws InputError (bad input, naming the field) or ScheduleNameTaken. */
export async function createSchedule(actor: ScheduleActor, input: unknown): Promise<Schedule> {
  const record = buildSchedule(input, { now: actor.now(), createdBy: actor.createdBy, knownAgent: actor.knownAgent });
  const created = await actor.store.schedules.create(record);
  await audit(actor, "schedule.create", created, { spec: `${created.kind} ${created.expr}`, tz: created.tz ?? null, agent: created.agentId, session: created.session, deliver: safeDeliver(created.deliver), suspended: created.suspended });
  return created;
}

/** Applies an edit (any fields of scheduleEditSchema). Undefined when no schedule has that id or name. Throws
 * InputError or ScheduleNameTaken. */
export async function changeSchedule(actor: ScheduleActor, idOrName: string, edit: unknown): Promise<Schedule | undefined> {
  if (typeof edit === "object" && edit !== null && !Array.isArray(edit) && Object.keys(edit).length === 0) {
    throw new InputError("nothing to change: give at least one field (name, cron, every, at, tz, message, agent, session, deliver, concurrency, catchup, suspended)");
  }
  const existing = await actor.store.schedules.get(idOrName);
  if (!existing) return undefined;
  const patch = editSchedule(existing, edit, { now: actor.now(), knownAgent: actor.knownAgent });
  const updated = await actor.store.schedules.update(existing.id, patch);
  if (!updated) return undefined;
  const kind = Object.keys(patch).every((k) => k === "suspended" || k === "nextFireAt") && patch.suspended !== undefined
    ? (patch.suspended ? "schedule.suspend" : "schedule.resume")
    : "schedule.update";
  const changed = Object.keys(patch).filter((k) => k !== "nextFireAt").map((k) => (k === "deliver" ? `deliver ${safeDeliver(updated.deliver)}` : k));
  await audit(actor, kind, updated, { changed });
  return updated;
}

/** Suspends (`true`) or resumes a schedule; a resume plans the next fire from now. Undefined when unknown. */
export function setSuspended(actor: ScheduleActor, idOrName: string, suspended: boolean): Promise<Schedule | undefined> {
  return changeSchedule(actor, idOrName, { suspended });
}

/** Deletes a schedule and its fire history. Returns what was deleted, undefined when unknown. */
export async function deleteSchedule(actor: ScheduleActor, idOrName: string): Promise<Schedule | undefined> {
  const existing = await actor.store.schedules.get(idOrName);
  if (!existing || !(await actor.store.schedules.remove(existing.id))) return undefined;
  await audit(actor, "schedule.delete", existing, {});
  return existing;
}

/** Records a manual fire asked for through `via` (the scheduler itself records the fire and its run). */
export async function auditScheduleRun(actor: Pick<ScheduleActor, "store" | "via" | "now">, schedule: Schedule, outcome: { status: string; runId?: string; reason?: string }): Promise<void> {
  await audit(actor, "schedule.run", schedule, { status: outcome.status, ...(outcome.reason ? { reason: outcome.reason } : {}) }, outcome.runId);
}

/** A schedule as the API and `--json` show it: every field, `null` for none, and its latest fire when given. */
export function toScheduleJson(s: Schedule, lastFire?: ScheduleFire): Record<string, unknown> {
  return {
    id: s.id, name: s.name, kind: s.kind, expr: s.expr, tz: s.tz ?? null, message: s.message, agent: s.agentId, session: s.session,
    deliver: s.deliver, concurrency: s.concurrency, catchup: s.catchup, suspended: s.suspended, createdBy: s.createdBy,
    createdAt: s.createdAt, updatedAt: s.updatedAt, nextFireAt: s.nextFireAt ?? null, lastFireAt: s.lastFireAt ?? null,
    ...(lastFire === undefined ? {} : { lastFire: toFireJson(lastFire) }),
  };
}

export function toFireJson(f: ScheduleFire): Record<string, unknown> {
  return {
    fireAt: f.fireAt, status: f.status, reason: f.reason ?? null, runId: f.runId ?? null, sessionKey: f.sessionKey ?? null,
    createdAt: f.createdAt, finishedAt: f.finishedAt ?? null, delivery: f.delivery, deliveryError: f.deliveryError ?? null,
  };
}

/** A delivery target fit for an audit record: a webhook URL without its query, fragment or credentials. */
function safeDeliver(deliver: string): string {
  const target = parseDeliverTarget(deliver);
  if (target?.kind !== "webhook") return deliver;
  const url = new URL(target.url);
  return `webhook:${url.origin}${url.pathname}`;
}

async function audit(actor: Pick<ScheduleActor, "store" | "via" | "now">, kind: string, s: Schedule, detail: Record<string, unknown>, runId?: string): Promise<void> {
  await actor.store.audit.write({
    at: actor.now(), kind, decision: "info", runId, sessionKey: undefined, tool: undefined,
    reason: `${kind.slice("schedule.".length)} with ${actor.via}`, detail: { schedule: s.id, name: s.name, ...detail },
  });
}
