// When a schedule fires: cron expressions and time zones through croner, fixed intervals (`every 30m`) anchored at the
// schedule's creation, and one-shot times (`at`). Pure apart from croner; every caller passes the clock.
import { Cron } from "croner";
import { isTimeZone, parseDuration } from "../core/automation-config.ts";
import type { Schedule, ScheduleKind } from "../core/domain.ts";

export interface ScheduleSpec {
  kind: ScheduleKind;
  expr: string;
  /** IANA zone for cron, and for an `at` written without an offset; undefined = the host's. */
  tz: string | undefined;
}

/** A spec the user wrote that cannot work: `message` names the option and what was expected. */
export class ScheduleSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScheduleSpecError";
  }
}

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;
const HAS_OFFSET = /(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Checks a spec and returns it normalised (an `at` as an ISO instant). Throws ScheduleSpecError with a fix: a cron
 * expression croner refuses, an unknown time zone, a duration that is not `10s`/`30m`/`2h`/`1d`, a date that is not one.
 */
export function validateSpec(spec: ScheduleSpec): ScheduleSpec {
  if (spec.tz !== undefined && !isTimeZone(spec.tz)) throw new ScheduleSpecError(`--tz: unknown time zone "${spec.tz}"; use an IANA name such as Europe/Paris or UTC`);
  switch (spec.kind) {
    case "every":
      if (parseDuration(spec.expr) === undefined) throw new ScheduleSpecError(`--every: expected a duration such as 10s, 30m, 2h or 1d, got "${spec.expr}"`);
      return spec;
    case "cron":
      try {
        new Cron(spec.expr, { paused: true, ...(spec.tz ? { timezone: spec.tz } : {}) });
      } catch (err) {
        throw new ScheduleSpecError(`--cron: "${spec.expr}" is not a cron expression (${err instanceof Error ? err.message : String(err)}); e.g. "0 8 * * 1-5" is 08:00 on weekdays`);
      }
      return spec;
    case "at": {
      const at = parseAt(spec.expr, spec.tz);
      if (at === undefined) throw new ScheduleSpecError(`--at: expected a date and time such as 2026-12-24T09:00 (in --tz, or the host's zone) or an ISO instant, got "${spec.expr}"`);
      return { ...spec, expr: new Date(at).toISOString() };
    }
  }
}

/**
 * The first fire time strictly after `after` (epoch ms), or undefined when there is none (an `at` in the past).
 * `every` fires at `anchor + n·interval`; `anchor` is the schedule's creation time.
 */
export function nextFireAt(spec: ScheduleSpec, after: number, anchor: number): number | undefined {
  switch (spec.kind) {
    case "every": {
      const interval = parseDuration(spec.expr);
      if (interval === undefined) return undefined;
      if (after < anchor) return anchor + interval;
      return anchor + (Math.floor((after - anchor) / interval) + 1) * interval;
    }
    case "cron": {
      const next = new Cron(spec.expr, { paused: true, ...(spec.tz ? { timezone: spec.tz } : {}) }).nextRun(new Date(after));
      return next ? next.getTime() : undefined;
    }
    case "at": {
      const at = parseAt(spec.expr, spec.tz);
      return at !== undefined && at > after ? at : undefined;
    }
  }
}

/** The schedule's next fire after `after`, from its own spec and creation time. */
export function nextFireOf(schedule: Pick<Schedule, "kind" | "expr" | "tz" | "createdAt">, after: number): number | undefined {
  return nextFireAt(schedule, after, schedule.createdAt);
}

/** An `at` value: an ISO instant with offset, or a local date-time read in `tz` (the host's zone when undefined). */
export function parseAt(text: string, tz: string | undefined): number | undefined {
  const t = text.trim();
  if (HAS_OFFSET.test(t)) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const m = LOCAL_DATE_TIME.exec(t);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number) as [number, number, number, number, number, number];
  const guess = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(guess).getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  // The zone's offset at that wall time: read the guess back in the zone and correct by the difference (twice, for
  // times next to a DST change).
  let ms = guess;
  for (let i = 0; i < 2; i++) ms = guess - (wallClockAsUtc(ms, tz) - ms);
  return ms;
}

/** The wall-clock time of instant `ms` in zone `tz`, written as if it were UTC. */
function wallClockAsUtc(ms: number, tz: string | undefined): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    ...(tz ? { timeZone: tz } : {}), hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
}
