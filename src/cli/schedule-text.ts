// Pure: how schedules read in a terminal — the spec (`cron 0 8 * * 1-5`), a time in the host's zone with how far off it
// is (`Mon 2026-01-05 08:00 (in 3h 20m)`), a fire's status.
import type { Schedule, ScheduleFire } from "../core/domain.ts";

/** `cron 0 8 * * 1-5`, `every 30m`, `at 2026-12-24 09:00`. */
export function formatSpec(s: Pick<Schedule, "kind" | "expr">): string {
  return s.kind === "at" ? `at ${formatLocal(Date.parse(s.expr))}` : `${s.kind} ${s.expr}`;
}

const pad = (n: number): string => String(n).padStart(2, "0");
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** `2026-01-05 08:00` in the host's zone (seconds shown when not zero). */
export function formatLocal(ms: number): string {
  const d = new Date(ms);
  const seconds = d.getSeconds() === 0 ? "" : `:${pad(d.getSeconds())}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}${seconds}`;
}

/** `in 3h 20m`, `45s ago`, `in 2d 4h`: the two largest units. */
export function formatFromNow(ms: number, now: number): string {
  const diff = Math.round((ms - now) / 1000);
  const abs = Math.abs(diff);
  const units = [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]] as const;
  const first = units.findIndex(([, size]) => abs >= size);
  const parts: string[] = [];
  if (first < 0) parts.push("0s");
  else {
    const [unit, size] = units[first]!;
    parts.push(`${Math.floor(abs / size)}${unit}`);
    const next = units[first + 1];
    if (next && Math.floor((abs % size) / next[1]) > 0) parts.push(`${Math.floor((abs % size) / next[1])}${next[0]}`);
  }
  const span = parts.join(" ");
  return diff >= 0 ? `in ${span}` : `${span} ago`;
}

/** `Mon 2026-01-05 08:00 (in 3h 20m)`, or `-` when there is no time (a past `at`, a schedule never fired). */
export function formatWhen(ms: number | undefined, now: number): string {
  return ms === undefined ? "-" : `${WEEKDAYS[new Date(ms).getDay()]} ${formatLocal(ms)} (${formatFromNow(ms, now)})`;
}

/** `succeeded 2h ago`, `skipped 5m ago`, `-`. */
export function formatLastFire(fire: ScheduleFire | undefined, now: number): string {
  return fire ? `${fire.status} ${formatFromNow(fire.fireAt, now)}` : "-";
}

/** `sent`, `failed: HTTP 500`, `-` when nothing was to be delivered. */
export function formatDelivery(fire: Pick<ScheduleFire, "delivery" | "deliveryError">): string {
  if (fire.delivery === "none") return "-";
  return fire.deliveryError ? `${fire.delivery}: ${fire.deliveryError}` : fire.delivery;
}
