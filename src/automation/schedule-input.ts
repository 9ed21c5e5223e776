// A schedule as a user (CLI flags, API body, Control UI form) or an agent (the schedule tool) writes it, checked in one
// place: zod for the shape, croner and Intl for the spec, and the record the store keeps, with its next fire time.
import { z } from "zod";
import { automationSessionSchema, deliverSchema } from "../core/automation-config.ts";
import type { Schedule, ScheduleKind } from "../core/domain.ts";
import { InputError } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { ScheduleRepo } from "../store/store.ts";
import { nextFireAt, ScheduleSpecError, validateSpec } from "./schedule-spec.ts";

export type SchedulePatch = Parameters<ScheduleRepo["update"]>[1];

export const SCHEDULE_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/i;

const fields = {
  name: z.string().regex(SCHEDULE_NAME, "expected 1-63 letters, digits, '.', '-' or '_', starting with a letter or digit"),
  /** Exactly one of cron, every, at. */
  cron: z.string().min(1).optional(),
  every: z.string().min(1).optional(),
  at: z.string().min(1).optional(),
  tz: z.string().min(1).optional(),
  message: z.string().min(1).max(20_000),
  agent: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, "agent ids are letters, digits, - and _").default("default"),
  session: automationSessionSchema.default("isolated"),
  deliver: deliverSchema.default("none"),
  concurrency: z.enum(["forbid", "allow", "replace"]).default("forbid"),
  catchup: z.enum(["skip", "once"]).default("skip"),
  suspended: z.boolean().default(false),
};

/** A new schedule. */
export const scheduleInputSchema = z.strictObject(fields);
export type ScheduleInput = z.input<typeof scheduleInputSchema>;

/** Changes to a schedule: any field but the name may change, and the name too (`name`). A new spec replaces the old. */
export const scheduleEditSchema = z.strictObject({
  name: fields.name.optional(),
  cron: fields.cron, every: fields.every, at: fields.at,
  tz: z.string().min(1).nullable().optional(),
  message: fields.message.optional(),
  agent: fields.agent.removeDefault().optional(),
  session: automationSessionSchema.optional(),
  deliver: deliverSchema.optional(),
  concurrency: z.enum(["forbid", "allow", "replace"]).optional(),
  catchup: z.enum(["skip", "once"]).optional(),
  suspended: z.boolean().optional(),
});
export type ScheduleEdit = z.input<typeof scheduleEditSchema>;

/** The one spec among cron/every/at; InputError when none or several are given. */
function specOf(input: { cron?: string | undefined; every?: string | undefined; at?: string | undefined }, required: boolean): { kind: ScheduleKind; expr: string } | undefined {
  const given = (["cron", "every", "at"] as const).filter((k) => input[k] !== undefined);
  if (given.length > 1) throw new InputError(`give one of --cron, --every or --at, not ${given.map((k) => `--${k}`).join(" and ")}`, { field: given[1] });
  const kind = given[0];
  if (!kind) {
    if (required) throw new InputError("say when it runs: --cron \"0 8 * * 1-5\", --every 30m or --at 2026-12-24T09:00", { field: "cron" });
    return undefined;
  }
  return { kind, expr: input[kind]! };
}

function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ScheduleSpecError) throw new InputError(err.message);
    throw err;
  }
}

/**
 * The record for a new schedule, checked: spec, zone, agent (`knownAgent`), delivery target. Its first fire is the
 * first planned time after `now`.
 */
export function buildSchedule(raw: unknown, opts: { now: number; createdBy: string; knownAgent: (id: string) => boolean }): Omit<Schedule, "createdAt" | "updatedAt" | "lastFireAt"> & { createdAt: number } {
  const parsed = scheduleInputSchema.safeParse(raw);
  if (!parsed.success) throw inputErrorOf(parsed.error);
  const input = parsed.data;
  const spec = checked(() => validateSpec({ ...specOf(input, true)!, tz: input.tz }));
  if (!opts.knownAgent(input.agent)) throw new InputError(`unknown agent "${input.agent}"`, { field: "agent" });
  return {
    id: newId("sch"), name: input.name, kind: spec.kind, expr: spec.expr, tz: spec.tz, message: input.message, agentId: input.agent,
    session: input.session, deliver: input.deliver, concurrency: input.concurrency, catchup: input.catchup, suspended: input.suspended,
    createdBy: opts.createdBy, createdAt: opts.now, nextFireAt: nextFireAt(spec, opts.now, opts.now),
  };
}

/** The store patch for an edit of `existing`; a changed spec or a resume re-plans the next fire from `now`. */
export function editSchedule(existing: Schedule, raw: unknown, opts: { now: number; knownAgent: (id: string) => boolean }): SchedulePatch {
  const parsed = scheduleEditSchema.safeParse(raw);
  if (!parsed.success) throw inputErrorOf(parsed.error);
  const edit = parsed.data;
  const given = specOf(edit, false);
  const tz = edit.tz === null ? undefined : (edit.tz ?? existing.tz);
  const spec = checked(() => validateSpec({ ...(given ?? { kind: existing.kind, expr: existing.expr }), tz }));
  if (edit.agent !== undefined && !opts.knownAgent(edit.agent)) throw new InputError(`unknown agent "${edit.agent}"`, { field: "agent" });
  const replan = given !== undefined || edit.tz !== undefined || (edit.suspended === false && existing.suspended);
  return {
    ...(edit.name !== undefined ? { name: edit.name } : {}),
    ...(edit.message !== undefined ? { message: edit.message } : {}),
    ...(edit.agent !== undefined ? { agentId: edit.agent } : {}),
    ...(edit.session !== undefined ? { session: edit.session } : {}),
    ...(edit.deliver !== undefined ? { deliver: edit.deliver } : {}),
    ...(edit.concurrency !== undefined ? { concurrency: edit.concurrency } : {}),
    ...(edit.catchup !== undefined ? { catchup: edit.catchup } : {}),
    ...(edit.suspended !== undefined ? { suspended: edit.suspended } : {}),
    ...(given !== undefined || edit.tz !== undefined ? { kind: spec.kind, expr: spec.expr, tz: spec.tz } : {}),
    // An `every` grid stays anchored at the schedule's creation.
    ...(replan ? { nextFireAt: nextFireAt(spec, opts.now, spec.kind === "every" ? existing.createdAt : opts.now) } : {}),
  };
}

function inputErrorOf(error: z.ZodError): InputError {
  const issue = error.issues[0];
  const field = issue?.path.join(".") || undefined;
  return new InputError(`${field ? `${field}: ` : ""}${issue?.message ?? "invalid schedule"}`, field ? { field } : {});
}
