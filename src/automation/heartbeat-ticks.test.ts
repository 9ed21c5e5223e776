import { describe, expect, it } from "vitest";
import { nextHeartbeatTick, type TickPlan } from "./heartbeat-ticks.ts";

/** Local wall-clock `YYYY-MM-DD HH:MM` of an instant in `tz`. */
function wall(ms: number, tz: string): string {
  return new Intl.DateTimeFormat("sv-SE", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).format(new Date(ms));
}

/** Every tick from `from` (exclusive) until `until`. */
function ticks(plan: TickPlan, from: number, until: number): number[] {
  const out: number[] = [];
  for (let t = nextHeartbeatTick(plan, from); t !== undefined && t < until; t = nextHeartbeatTick(plan, t)) out.push(t);
  return out;
}

const H = 3_600_000;

describe("nextHeartbeatTick", () => {
  it("ticks on the every grid from local midnight, strictly after the given time", () => {
    const plan = { every: "30m", tz: "UTC" };
    expect(nextHeartbeatTick(plan, Date.parse("2026-06-01T10:10:00Z"))).toBe(Date.parse("2026-06-01T10:30:00Z"));
    expect(nextHeartbeatTick(plan, Date.parse("2026-06-01T10:30:00Z"))).toBe(Date.parse("2026-06-01T11:00:00Z"));
    expect(nextHeartbeatTick({ every: "7h", tz: "UTC" }, Date.parse("2026-06-01T21:00:00Z"))).toBe(Date.parse("2026-06-02T00:00:00Z"));
    expect(nextHeartbeatTick({ every: "soon", tz: "UTC" }, 0)).toBeUndefined();
  });

  it("ticks only inside active hours, anchored at their start", () => {
    const plan = { every: "45m", active_hours: "08:00-22:00", tz: "Europe/Paris" };
    const day = ticks(plan, Date.parse("2026-06-01T00:00:00+02:00"), Date.parse("2026-06-02T00:00:00+02:00")).map((t) => wall(t, "Europe/Paris"));
    expect(day[0]).toBe("2026-06-01 08:00");
    expect(day[1]).toBe("2026-06-01 08:45");
    expect(day.at(-1)).toBe("2026-06-01 21:30");
    expect(day).toHaveLength(19);
    // After the window closes, the next tick is tomorrow's first.
    expect(wall(nextHeartbeatTick(plan, Date.parse("2026-06-01T21:40:00+02:00"))!, "Europe/Paris")).toBe("2026-06-02 08:00");
  });

  it("runs a window past midnight", () => {
    const plan = { every: "2h", active_hours: "22:00-06:00", tz: "America/New_York" };
    const night = ticks(plan, Date.parse("2026-06-01T12:00:00-04:00"), Date.parse("2026-06-02T12:00:00-04:00")).map((t) => wall(t, "America/New_York"));
    expect(night).toEqual(["2026-06-01 22:00", "2026-06-02 00:00", "2026-06-02 02:00", "2026-06-02 04:00"]);
    // Asked at 03:00, the tick of yesterday's window that is still open.
    expect(wall(nextHeartbeatTick(plan, Date.parse("2026-06-02T03:00:00-04:00"))!, "America/New_York")).toBe("2026-06-02 04:00");
  });

  it("keeps even spacing over a DST change and starts the next day on the grid again", () => {
    const tz = "Europe/Paris";
    const plan = { every: "30m", tz };
    // 2026-03-29: 02:00 → 03:00 (a 23-hour day); 2026-10-25: 03:00 → 02:00 (25 hours).
    const spring = ticks(plan, Date.parse("2026-03-28T23:59:00+01:00"), Date.parse("2026-03-30T00:00:00+02:00"));
    expect(spring).toHaveLength(46);
    expect(new Set(spring.slice(1).map((t, i) => t - spring[i]!))).toEqual(new Set([H / 2]));
    expect(spring.map((t) => wall(t, tz))).toContain("2026-03-29 03:00");
    const fall = ticks(plan, Date.parse("2026-10-24T23:59:00+02:00"), Date.parse("2026-10-26T00:00:00+01:00"));
    expect(fall).toHaveLength(50);
    expect(new Set(fall.slice(1).map((t, i) => t - fall[i]!))).toEqual(new Set([H / 2]));
    expect(wall(nextHeartbeatTick(plan, fall.at(-1)!)!, tz)).toBe("2026-10-26 00:00");
    // With active hours the window opens at its local time on both days.
    const active = { every: "1h", active_hours: "08:00-10:00", tz };
    expect(ticks(active, Date.parse("2026-03-29T00:00:00+01:00"), Date.parse("2026-03-30T00:00:00+02:00")).map((t) => wall(t, tz))).toEqual(["2026-03-29 08:00", "2026-03-29 09:00"]);
    expect(ticks(active, Date.parse("2026-10-25T00:00:00+02:00"), Date.parse("2026-10-26T00:00:00+01:00")).map((t) => wall(t, tz))).toEqual(["2026-10-25 08:00", "2026-10-25 09:00"]);
  });

  it("ticks once every n days at the window's start for a day or more", () => {
    const daily = ticks({ every: "1d", active_hours: "09:00-17:00", tz: "UTC" }, Date.parse("2026-06-01T10:00:00Z"), Date.parse("2026-06-04T00:00:00Z"));
    expect(daily.map((t) => new Date(t).toISOString())).toEqual(["2026-06-02T09:00:00.000Z", "2026-06-03T09:00:00.000Z"]);
    const everyOther = ticks({ every: "2d", tz: "UTC" }, Date.parse("2026-06-01T00:00:00Z"), Date.parse("2026-06-09T00:00:00Z"));
    expect(everyOther).toHaveLength(4);
    expect(new Set(everyOther.slice(1).map((t, i) => t - everyOther[i]!))).toEqual(new Set([48 * H]));
  });

  it("treats 00:00-24:00 and a window that ends where it starts as the whole day", () => {
    const from = Date.parse("2026-06-01T00:00:00Z");
    const until = Date.parse("2026-06-02T00:00:00Z");
    expect(ticks({ every: "1h", active_hours: "00:00-24:00", tz: "UTC" }, from - 1, until)).toHaveLength(24);
    expect(ticks({ every: "1h", active_hours: "08:00-08:00", tz: "UTC" }, from - 1, until)).toHaveLength(24);
  });
});
