// `pincer status` as data: reading a gateway's status answer however incomplete, and the next steps it suggests.
import { describe, expect, it } from "vitest";
import { formatAge, readApiStatus, suggestNext, type StatusReport } from "./status-report.ts";

const base: Omit<StatusReport, "next"> = {
  gateway: { running: true, url: "http://127.0.0.1:18790" },
  config: { file: "/h/pincer.yaml", ok: true },
  models: [{ id: "openai", ok: true, checked: "probe", latencyMs: 80 }],
  channels: [{ channel: "telegram", account: "default", state: "connected" }],
  runsInFlight: [],
  today: { tokens: 0, costUsd: 0 },
  lastErrors: [],
  source: "gateway",
};

describe("readApiStatus", () => {
  it("skips what is missing or malformed instead of failing", () => {
    expect(readApiStatus(null)).toEqual({ gateway: {}, models: [], channels: [], runsInFlight: [], lastErrors: [] });
    const read = readApiStatus({
      version: 1, uptime: "long", providers: [{ id: "openai", ok: true, latencyMs: "fast" }, { ok: true }, "x"],
      channels: [{ channel: "slack", account: "work", state: "failed", lastError: "invalid_auth" }, { channel: "slack" }],
      runsInFlight: [{ runId: "run_1", session: "s" }, {}], today: { tokens: 12 }, lastErrors: ["boom", { code: "timeout", at: 5 }, 7],
    });
    expect(read).toEqual({
      gateway: {},
      models: [{ id: "openai", ok: true, checked: "probe" }],
      channels: [{ channel: "slack", account: "work", state: "failed", lastError: "invalid_auth" }],
      runsInFlight: [{ id: "run_1", sessionKey: "s" }],
      today: { tokens: 12, costUsd: 0 },
      lastErrors: [{ message: "boom" }, { message: "timeout", at: 5 }],
    });
  });
});

describe("suggestNext", () => {
  it("puts a broken config and unreachable models before the rest", () => {
    const next = suggestNext({
      ...base,
      config: { file: "/h/pincer.yaml", ok: false, error: "pincer.yaml:3 models: expected a map\nmore" },
      models: [{ id: "openai", ok: false, checked: "probe", error: "openai/gpt-4o: rate limited (429)" }],
      gateway: { running: false, url: null },
      channels: [],
    });
    expect(next).toEqual([
      "fix /h/pincer.yaml (pincer.yaml:3 models: expected a map), then 'pincer config validate'",
      "model provider openai: openai/gpt-4o: rate limited (429)",
      "start the gateway: pincer gateway (or 'pincer gateway install' to keep it running)",
    ]);
  });

  it("points a healthy running gateway at the dashboard, and a failed channel at its probe", () => {
    expect(suggestNext(base)).toEqual(["open the dashboard: pincer dashboard"]);
    expect(suggestNext({ ...base, channels: [{ channel: "telegram", account: "default", state: "failed", lastError: "401" }] })[0]).toBe(
      "channel telegram/default failed: 401 — check it with 'pincer channels status --probe'",
    );
  });
});

describe("formatAge", () => {
  it("rounds to what a person reads", () => {
    expect([formatAge(4_000), formatAge(65_000), formatAge(7_260_000), formatAge(3 * 86_400_000)]).toEqual(["4 s", "1 min", "2 h 1 min", "3 d"]);
  });
});
