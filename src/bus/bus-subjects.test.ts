// Pure naming rules of the bus: subjects, durable names, wildcard matching, backoff, and the heartbeat helper.
import { afterEach, describe, expect, it, vi } from "vitest";
import { backoffFor, deadLetterSubject, durableName, eventPattern, eventSubject, isWorkSubject, matchSubject, validateInstance, workSubject } from "./bus-subjects.ts";
import { keepWorking } from "./keep-working.ts";

describe("bus subjects", () => {
  it("builds work, dead-letter and event subjects under pincer.<instance>", () => {
    expect(workSubject("team-a", "outbound.telegram.main")).toBe("pincer.team-a.outbound.telegram.main");
    expect(deadLetterSubject("team-a", "runs")).toBe("pincer.team-a.dlq.runs");
    expect(eventSubject("team-a", "events.run_1")).toBe("pincer.team-a.events.run_1");
    expect(eventPattern("team-a", "events.*.text")).toBe("pincer.team-a.events.*.text");
    expect(durableName("outbound.slack.t1", "slack")).toBe("slack_outbound_slack_t1");
  });

  it("refuses what would leave the instance's namespace or collide with work", () => {
    expect(() => validateInstance("A.b")).toThrow(/expected 1-63 lowercase letters/);
    expect(() => workSubject("x", "outbound.a.b.c" as "runs")).toThrow(/not a work topic/);
    expect(() => workSubject("x", "outbound.a>.b" as "runs")).toThrow(/not a work topic/);
    expect(() => durableName("runs", "my.group")).toThrow(/consumer group "my.group" is invalid/);
    expect(() => eventSubject("x", "events.*")).toThrow(/not a valid event subject/);
    expect(() => eventSubject("x", "outbound.a.b")).toThrow(/work or dead-letter subject/);
    expect(() => eventPattern("x", "> .a")).toThrow(/not a valid event pattern/);
    expect(isWorkSubject("dlq.runs")).toBe(true);
    expect(isWorkSubject("events.runs")).toBe(false);
  });

  it("matches NATS wildcards token by token", () => {
    expect(matchSubject("a.*", "a.b")).toBe(true);
    expect(matchSubject("a.*", "a.b.c")).toBe(false);
    expect(matchSubject("a.>", "a.b.c")).toBe(true);
    expect(matchSubject("a.>", "a")).toBe(false);
    expect(matchSubject("a.*.c", "a.b.c")).toBe(true);
    expect(matchSubject("a.b", "a.b.c")).toBe(false);
    expect(matchSubject(">", "a")).toBe(true);
  });

  it("picks the backoff for a delivery, repeating the last entry", () => {
    expect([1, 2, 3, 4, 9].map((n) => backoffFor([100, 500, 2000], n))).toEqual([100, 500, 2000, 2000, 2000]);
    expect(backoffFor([], 3)).toBe(0);
  });
});

describe("keepWorking", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("heartbeats on a timer until stopped", () => {
    vi.useFakeTimers();
    const msg = { working: vi.fn() };
    const stop = keepWorking(msg, 1_000);
    vi.advanceTimersByTime(3_500);
    stop();
    vi.advanceTimersByTime(5_000);
    expect(msg.working).toHaveBeenCalledTimes(3);
  });
});
