// When a heartbeat ticks: every `every` from the start of each day's active window (local midnight without
// `active_hours`), in `tz`, and never outside the window. Pure: the caller passes the time.
import { ACTIVE_HOURS, parseDuration } from "../core/automation-config.ts";
import { parseAt } from "./schedule-spec.ts";

/** The part of the `heartbeat` config that says when it ticks. */
export interface TickPlan {
  every: string;
  active_hours?: string | undefined;
  /** IANA zone of the window and of "day"; undefined = the host's. */
  tz?: string | undefined;
}

const DAY_MS = 86_400_000;
const DAY_MIN = 1_440;

/** A daily window in minutes after local midnight; `end` ≤ `start` runs past midnight (equal: a full 24 hours). */
interface DailyWindow {
  start: number;
  end: number;
}

/**
 * The first tick strictly after `after` (epoch ms), or undefined when `every` is not a duration.
 *
 * The grid restarts every local day at the window's start (`08:00` for `08:00-22:00`, midnight without active hours):
 * ticks are `start + n·every` while before the window's end, so `every: 30m` ticks at :00 and :30 and `every: 7h` at
 * 00:00, 07:00, 14:00, 21:00. Steps are real time, so on a day with a DST change the spacing stays even and the
 * next day starts the grid afresh. `every` of a day or more ticks once at the window's start on every n-th day
 * (n = whole days of `every`, counted from 1970-01-01 in the zone).
 */
export function nextHeartbeatTick(plan: TickPlan, after: number): number | undefined {
  const interval = parseDuration(plan.every);
  if (interval === undefined) return undefined;
  const window = parseWindow(plan.active_hours);
  const everyDays = interval >= DAY_MS ? Math.floor(interval / DAY_MS) : 0;
  const today = localDayOf(after, plan.tz);
  // Yesterday's window may still be open (a window past midnight, or a longer DST day).
  for (let day = today - 1; day <= today + Math.max(everyDays, 1) + 1; day++) {
    if (everyDays > 0 && day % everyDays !== 0) continue;
    const start = instantOf(day, window.start, plan.tz);
    if (everyDays > 0) {
      if (start > after) return start;
      continue;
    }
    const end = instantOf(window.end <= window.start ? day + 1 : day, window.end, plan.tz);
    const n = after < start ? 0 : Math.floor((after - start) / interval) + 1;
    const tick = start + n * interval;
    if (tick < end) return tick;
  }
  return undefined;
}

function parseWindow(activeHours: string | undefined): DailyWindow {
  const m = activeHours === undefined ? null : ACTIVE_HOURS.exec(activeHours);
  if (!m) return { start: 0, end: DAY_MIN };
  return { start: Number(m[1]) * 60 + Number(m[2]), end: Number(m[3]) * 60 + Number(m[4]) };
}

/** The local calendar day of `ms` in `tz`, as days since 1970-01-01. */
function localDayOf(ms: number, tz: string | undefined): number {
  const parts = new Intl.DateTimeFormat("en-US", { ...(tz ? { timeZone: tz } : {}), year: "numeric", month: "numeric", day: "numeric" }).formatToParts(new Date(ms));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return Math.floor(Date.UTC(get("year"), get("month") - 1, get("day")) / DAY_MS);
}

/** The instant of wall-clock `minutes` after midnight of local `day` in `tz` (24:00 is the next day's midnight). */
function instantOf(day: number, minutes: number, tz: string | undefined): number {
  const date = new Date((day + Math.floor(minutes / DAY_MIN)) * DAY_MS).toISOString().slice(0, 10);
  const m = minutes % DAY_MIN;
  const hhmm = `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  return parseAt(`${date}T${hhmm}`, tz)!;
}
