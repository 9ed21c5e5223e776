// Budget periods in a time zone: when the current local day or month began and when the next one begins, and how a
// reset time reads. Pure (Intl only); knows nothing of spend or limits.
import type { BudgetConfig } from "../core/automation-config.ts";

/** `[start, end)` in epoch ms: the period `now` falls in. */
export interface BudgetWindow {
  start: number;
  end: number;
}

const partsFormats = new Map<string, Intl.DateTimeFormat>();

/** The local calendar date of `at` in `tz`. */
function localDate(at: number, tz: string): { y: number; m: number; d: number } {
  let fmt = partsFormats.get(tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", { timeZone: tz, year: "numeric", month: "numeric", day: "numeric" });
    partsFormats.set(tz, fmt);
  }
  const parts = fmt.formatToParts(new Date(at));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return { y: get("year"), m: get("month"), d: get("day") };
}

const dayNumber = (d: { y: number; m: number; d: number }): number => Date.UTC(d.y, d.m - 1, d.d) / 86_400_000;

/**
 * The first instant (to the minute) whose local date in `tz` is `y-m-d` or later: local midnight, or the moment a DST
 * change that skips midnight lands on. Months and days out of range roll over (`m: 13` is January of `y + 1`).
 */
export function startOfLocalDay(y: number, m: number, d: number, tz: string): number {
  const target = dayNumber({ y, m, d });
  // UTC offsets lie within −12 h … +14 h, so the instant is within a day and a half of UTC midnight.
  let lo = Math.floor((target * 86_400_000 - 15 * 3_600_000) / 60_000);
  let hi = Math.ceil((target * 86_400_000 + 13 * 3_600_000) / 60_000);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (dayNumber(localDate(mid * 60_000, tz)) >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo * 60_000;
}

/** The day or month (in the budget's time zone) that `now` falls in. */
export function budgetWindow(now: number, budget: Pick<BudgetConfig, "period" | "tz">): BudgetWindow {
  const { y, m, d } = localDate(now, budget.tz);
  if (budget.period === "month") return { start: startOfLocalDay(y, m, 1, budget.tz), end: startOfLocalDay(y, m + 1, 1, budget.tz) };
  return { start: startOfLocalDay(y, m, d, budget.tz), end: startOfLocalDay(y, m, d + 1, budget.tz) };
}

const resetFormats = new Map<string, Intl.DateTimeFormat>();

/** A reset time as people read it in the budget's zone: `2 Dec 2026, 00:00 (Europe/Paris)`. */
export function formatResetTime(at: number, tz: string): string {
  let fmt = resetFormats.get(tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-GB", { timeZone: tz, day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    resetFormats.set(tz, fmt);
  }
  return `${fmt.format(new Date(at))} (${tz})`;
}
