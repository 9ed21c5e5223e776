import { describe, expect, it } from "vitest";
import { budgetWindow, formatResetTime, startOfLocalDay } from "./budget-period.ts";

const at = (iso: string): number => Date.parse(iso);

describe("budget periods", () => {
  it("a UTC day runs from midnight to midnight", () => {
    expect(budgetWindow(at("2026-12-01T23:59:59Z"), { period: "day", tz: "UTC" })).toEqual({ start: at("2026-12-01T00:00:00Z"), end: at("2026-12-02T00:00:00Z") });
  });

  it("a day in Europe/Paris starts at local midnight, so 23:30 UTC is already the next day there", () => {
    expect(budgetWindow(at("2026-12-01T23:30:00Z"), { period: "day", tz: "Europe/Paris" })).toEqual({ start: at("2026-12-01T23:00:00Z"), end: at("2026-12-02T23:00:00Z") });
    expect(budgetWindow(at("2026-12-01T22:59:00Z"), { period: "day", tz: "Europe/Paris" }).start).toBe(at("2026-11-30T23:00:00Z"));
  });

  it("a month in New York, across the year's end", () => {
    expect(budgetWindow(at("2026-12-15T12:00:00Z"), { period: "month", tz: "America/New_York" })).toEqual({ start: at("2026-12-01T05:00:00Z"), end: at("2027-01-01T05:00:00Z") });
  });

  it("days around a DST change are 23 and 25 hours long", () => {
    const spring = budgetWindow(at("2026-03-29T12:00:00Z"), { period: "day", tz: "Europe/Paris" });
    expect(spring.end - spring.start).toBe(23 * 3_600_000);
    const autumn = budgetWindow(at("2026-10-25T12:00:00Z"), { period: "day", tz: "Europe/Paris" });
    expect(autumn.end - autumn.start).toBe(25 * 3_600_000);
  });

  it("a day whose midnight a DST change skips starts when the day does (Havana springs forward at 00:00)", () => {
    expect(startOfLocalDay(2026, 3, 8, "America/Havana")).toBe(at("2026-03-08T05:00:00Z"));
  });

  it("reads a reset time in the budget's zone", () => {
    expect(formatResetTime(at("2026-12-01T23:00:00Z"), "Europe/Paris")).toBe("2 Dec 2026, 00:00 (Europe/Paris)");
  });
});
