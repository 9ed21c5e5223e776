import { describe, expect, it } from "vitest";
import { formatDeliverTarget, parseDeliverTarget, parseDuration } from "../core/automation-config.ts";
import { nextFireAt, parseAt, ScheduleSpecError, validateSpec } from "./schedule-spec.ts";

describe("schedule specs", () => {
  it("reads durations in seconds, minutes, hours and days", () => {
    expect(parseDuration("10s")).toBe(10_000);
    expect(parseDuration("30m")).toBe(1_800_000);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    for (const bad of ["0s", "10", "1.5h", "m", "-1m", "1w"]) expect(parseDuration(bad)).toBeUndefined();
  });

  it("fires `every` on the grid anchored at creation", () => {
    const anchor = Date.UTC(2026, 11, 1, 10, 0, 0);
    const spec = { kind: "every" as const, expr: "30m", tz: undefined };
    expect(nextFireAt(spec, anchor, anchor)).toBe(anchor + 1_800_000);
    expect(nextFireAt(spec, anchor + 1_800_000, anchor)).toBe(anchor + 3_600_000);
    expect(nextFireAt(spec, anchor + 1_799_999, anchor)).toBe(anchor + 1_800_000);
  });

  it("fires cron expressions in their time zone", () => {
    const spec = { kind: "cron" as const, expr: "0 8 * * 1-5", tz: "Europe/Paris" };
    // Tuesday 2026-12-01 10:00 UTC → Wednesday 08:00 Paris (07:00 UTC, winter time).
    expect(new Date(nextFireAt(spec, Date.UTC(2026, 11, 1, 10), 0)!).toISOString()).toBe("2026-12-02T07:00:00.000Z");
    // Friday 2026-12-04 08:00 Paris has passed → Monday.
    expect(new Date(nextFireAt(spec, Date.UTC(2026, 11, 4, 9), 0)!).toISOString()).toBe("2026-12-07T07:00:00.000Z");
  });

  it("reads `at` in a zone, across a DST change, and never fires one in the past", () => {
    expect(new Date(parseAt("2026-12-24T09:00", "Europe/Paris")!).toISOString()).toBe("2026-12-24T08:00:00.000Z");
    expect(new Date(parseAt("2026-07-01 09:00", "Europe/Paris")!).toISOString()).toBe("2026-07-01T07:00:00.000Z");
    expect(new Date(parseAt("2026-12-24T09:00:00Z", undefined)!).toISOString()).toBe("2026-12-24T09:00:00.000Z");
    expect(parseAt("2026-02-30T09:00", "UTC")).toBeUndefined();
    const spec = validateSpec({ kind: "at", expr: "2026-12-24T09:00", tz: "UTC" });
    expect(spec.expr).toBe("2026-12-24T09:00:00.000Z");
    expect(nextFireAt(spec, Date.UTC(2026, 11, 24, 9), 0)).toBeUndefined();
    expect(nextFireAt(spec, Date.UTC(2026, 11, 24, 8), 0)).toBe(Date.UTC(2026, 11, 24, 9));
  });

  it("refuses bad specs with the option to fix", () => {
    expect(() => validateSpec({ kind: "cron", expr: "61 * * * *", tz: undefined })).toThrow(ScheduleSpecError);
    expect(() => validateSpec({ kind: "cron", expr: "0 8 * * *", tz: "Mars/Olympus" })).toThrow(/--tz/);
    expect(() => validateSpec({ kind: "every", expr: "soon", tz: undefined })).toThrow(/--every/);
    expect(() => validateSpec({ kind: "at", expr: "tomorrow", tz: undefined })).toThrow(/--at/);
  });

  it("parses delivery targets and writes them back", () => {
    for (const text of ["none", "telegram:main:123456", "slack:work:group:C0123", "webhook:https://example.test/hook"]) {
      expect(formatDeliverTarget(parseDeliverTarget(text)!)).toBe(text);
    }
    expect(parseDeliverTarget("telegram:main:-100123")).toEqual({ kind: "chat", channel: "telegram", account: "main", chatKind: "dm", chatId: "-100123" });
    for (const bad of ["webhook:ftp://x", "webhook:https://u:p@x/", "telegram", "telegram:main"]) expect(parseDeliverTarget(bad)).toBeUndefined();
  });
});
