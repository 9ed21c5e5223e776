// /api/v1/usage/daily and /api/v1/usage.csv: tokens and cost per local day (the gateway's time zone) by model,
// provider, agent or channel, as chart-ready series or as a CSV download. Summed by the store in quarter-hour
// buckets (every time zone's offset is a multiple of 15 minutes), so days stay local across DST changes.
import { Hono } from "hono";
import { z } from "zod";
import { ZERO_USAGE, addUsage, type Usage } from "../core/domain.ts";
import type { UsageBucket, UsageGroup } from "../store/store.ts";
import { parseQuery } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";

const GROUPS = ["model", "provider", "agent", "channel"] as const satisfies readonly UsageGroup[];
const QUARTER_HOUR = 15 * 60_000;
const DAYS_MESSAGE = "must be an integer from 1 to 366";

const dailyQuery = z.object({
  days: z.coerce.number({ error: DAYS_MESSAGE }).int(DAYS_MESSAGE).min(1, DAYS_MESSAGE).max(366, DAYS_MESSAGE).default(30),
  by: z.enum(GROUPS, { error: `must be one of ${GROUPS.join(", ")}` }).default("model"),
});

export type Totals = Usage & { calls: number };

/** One group's values per day, aligned with `dates`. */
export interface UsageSeries {
  key: string;
  calls: number[];
  inputTokens: number[];
  outputTokens: number[];
  cachedTokens: number[];
  costUsd: number[];
  total: Totals;
}

export interface DailyUsage {
  by: UsageGroup;
  timeZone: string;
  /** Local dates, oldest first: `YYYY-MM-DD`. */
  dates: string[];
  /** Epoch ms: the first day's local midnight, and now. */
  since: number;
  until: number;
  /** Groups with any usage in the window, the most expensive first (then by tokens, then by key). */
  series: UsageSeries[];
  total: Totals;
}

const ZERO_TOTALS: Totals = { ...ZERO_USAGE, calls: 0 };

export function createUsageRoutes(opts: { ctx: GatewayContext; now: () => number }): Hono {
  const api = new Hono();
  const load = async (days: number, by: UsageGroup): Promise<DailyUsage> => {
    const until = opts.now();
    const since = localMidnight(until, days - 1);
    const buckets = await opts.ctx.store.usage.buckets({ since, until: until + 1, bucketMs: QUARTER_HOUR, by });
    return toDailyUsage({ buckets, since, until, days, by });
  };

  api.get("/usage/daily", async (c) => {
    const q = parseQuery(c, dailyQuery);
    if (!q.ok) return q.response;
    return c.json(await load(q.value.days, q.value.by));
  });

  api.get("/usage.csv", async (c) => {
    const q = parseQuery(c, dailyQuery);
    if (!q.ok) return q.response;
    const usage = await load(q.value.days, q.value.by);
    const name = `pincer-usage-by-${usage.by}-${usage.dates[0]}-to-${usage.dates.at(-1)}.csv`;
    return c.body(renderUsageCsv(usage), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${name}"`,
    });
  });
  return api;
}

/** Epoch ms of local midnight `daysBack` days before the day of `at`. */
export function localMidnight(at: number, daysBack: number): number {
  const d = new Date(at);
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - daysBack);
  return d.getTime();
}

/** The local date of `at`: `YYYY-MM-DD`. */
export function localDate(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** Pure: quarter-hour buckets → one series per group with a value for each local day. */
export function toDailyUsage(input: { buckets: readonly UsageBucket[]; since: number; until: number; days: number; by: UsageGroup }): DailyUsage {
  const dates: string[] = [];
  for (let i = input.days - 1; i >= 0; i--) dates.push(localDate(localMidnight(input.until, i)));
  const index = new Map(dates.map((d, i) => [d, i]));
  const byKey = new Map<string, UsageSeries>();
  let total = ZERO_TOTALS;
  for (const b of input.buckets) {
    const day = index.get(localDate(b.at));
    if (day === undefined) continue;
    let series = byKey.get(b.key);
    if (!series) {
      const zeros = (): number[] => dates.map(() => 0);
      series = { key: b.key, calls: zeros(), inputTokens: zeros(), outputTokens: zeros(), cachedTokens: zeros(), costUsd: zeros(), total: ZERO_TOTALS };
      byKey.set(b.key, series);
    }
    series.calls[day]! += b.calls;
    series.inputTokens[day]! += b.inputTokens;
    series.outputTokens[day]! += b.outputTokens;
    series.cachedTokens[day]! += b.cachedTokens;
    series.costUsd[day]! += b.costUsd;
    series.total = { ...addUsage(series.total, b), calls: series.total.calls + b.calls };
    total = { ...addUsage(total, b), calls: total.calls + b.calls };
  }
  const tokens = (s: UsageSeries): number => s.total.inputTokens + s.total.outputTokens;
  const series = [...byKey.values()].sort((a, b) => b.total.costUsd - a.total.costUsd || tokens(b) - tokens(a) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    by: input.by,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    dates,
    since: input.since,
    until: input.until,
    series,
    total,
  };
}

/** One row per day and group with usage, oldest day first: RFC 4180 quoting, CRLF line ends. */
export function renderUsageCsv(usage: DailyUsage): string {
  const rows: string[][] = [["date", usage.by, "calls", "input_tokens", "output_tokens", "cached_tokens", "cost_usd"]];
  usage.dates.forEach((date, i) => {
    for (const s of usage.series) {
      if (s.calls[i] === 0) continue;
      rows.push([date, s.key, String(s.calls[i]), String(s.inputTokens[i]), String(s.outputTokens[i]), String(s.cachedTokens[i]), s.costUsd[i]!.toFixed(6)]);
    }
  });
  return rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** Quotes a field when it holds a comma, quote or line break; a text a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab, CR at the start) gets a leading apostrophe. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
