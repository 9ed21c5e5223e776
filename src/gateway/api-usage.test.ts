// /api/v1/usage/daily and /api/v1/usage.csv in memory: local-day series by model, provider, agent and channel, the
// CSV download (quoting, formula-safe text, headers), days that stay local across a DST change, and bad parameters.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { UsageRecord } from "../core/domain.ts";
import { openApiTestApp, type ApiTestApp } from "../../test/support/api-app.ts";
import { csvField, localDate, localMidnight, renderUsageCsv, toDailyUsage } from "./api-usage.ts";

let t: ApiTestApp;
const HOUR = 3_600_000;
const today = localMidnight(Date.now(), 0);
// Earlier today, whatever the time now: usage in the future is not counted.
const earlier = (n: number): number => today + Math.floor(((Date.now() - today) * n) / 3);
const usage = (over: Partial<UsageRecord>): UsageRecord => ({
  runId: undefined, sessionKey: "agent:default:telegram:dm:1", agentId: "default", provider: "openai", model: "gpt-5",
  inputTokens: 100, outputTokens: 10, cachedTokens: 0, costUsd: 0.5, at: earlier(1), ...over,
});

beforeAll(async () => {
  t = await openApiTestApp();
  await t.app.store.sessions.ensure({ key: "agent:default:telegram:dm:1", agentId: "default", channel: "telegram" });
  await t.app.store.sessions.ensure({ key: "agent:helper:slack:dm:2", agentId: "helper", channel: "slack" });
  await t.app.store.usage.record(usage({}));
  await t.app.store.usage.record(usage({ at: earlier(2), costUsd: 0.25 }));
  await t.app.store.usage.record(usage({ at: localMidnight(Date.now(), 1) + HOUR, provider: "anthropic", model: "claude", sessionKey: "agent:helper:slack:dm:2", agentId: "helper", costUsd: 2 }));
  await t.app.store.usage.record(usage({ at: localMidnight(Date.now(), 5), costUsd: 9 })); // outside 3 days
});
afterAll(() => t.close());

describe("GET /api/v1/usage/daily", () => {
  it("returns one value per local day for each model, the most expensive first, with totals", async () => {
    const body = await (await t.get("/api/v1/usage/daily?days=3")).json();
    expect(body.dates).toEqual([2, 1, 0].map((n) => localDate(localMidnight(Date.now(), n))));
    expect(body).toMatchObject({ by: "model", since: localMidnight(Date.now(), 2), timeZone: expect.any(String) });
    expect(body.series.map((s: { key: string }) => s.key)).toEqual(["anthropic/claude", "openai/gpt-5"]);
    expect(body.series[1]).toMatchObject({ calls: [0, 0, 2], inputTokens: [0, 0, 200], costUsd: [0, 0, 0.75], total: { calls: 2, outputTokens: 20 } });
    expect(body.series[0]).toMatchObject({ calls: [0, 1, 0], costUsd: [0, 2, 0] });
    expect(body.total).toEqual({ calls: 3, inputTokens: 300, outputTokens: 30, cachedTokens: 0, costUsd: 2.75 });
  });

  it("groups by provider, agent or channel", async () => {
    const keys = async (by: string) => ((await (await t.get(`/api/v1/usage/daily?days=3&by=${by}`)).json()).series as Array<{ key: string }>).map((s) => s.key);
    expect(await keys("provider")).toEqual(["anthropic", "openai"]);
    expect(await keys("agent")).toEqual(["helper", "default"]);
    expect(await keys("channel")).toEqual(["slack", "telegram"]);
  });

  it("answers bad parameters with 400 naming them", async () => {
    for (const [query, param] of [["days=0", "days"], ["days=367", "days"], ["days=1.5", "days"], ["by=cost", "by"], ["by=__proto__", "by"]] as const) {
      const res = await t.get(`/api/v1/usage/daily?${query}`);
      expect(res.status, query).toBe(400);
      expect((await res.json()).error, query).toMatchObject({ type: "invalid_request", param });
      expect((await t.get(`/api/v1/usage.csv?${query}`)).status, query).toBe(400);
    }
  });
});

describe("GET /api/v1/usage.csv", () => {
  it("downloads the same numbers as CSV, one row per day and group", async () => {
    const res = await t.get("/api/v1/usage.csv?days=3&by=agent");
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="pincer-usage-by-agent-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv"$/);
    const dates = [1, 0].map((n) => localDate(localMidnight(Date.now(), n)));
    expect(await res.text()).toBe(
      ["date,agent,calls,input_tokens,output_tokens,cached_tokens,cost_usd", `${dates[0]},helper,1,100,10,0,2.000000`, `${dates[1]},default,2,200,20,0,0.750000`, ""].join("\r\n"),
    );
  });

  it("quotes fields RFC 4180 style and defuses spreadsheet formulas", () => {
    expect(csvField('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    expect(csvField("=HYPERLINK(\"x\")")).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField("@sum")).toBe("'@sum");
    expect(csvField("-5")).toBe("-5");
    expect(csvField("-rf")).toBe("'-rf");
    const text = renderUsageCsv({
      by: "model", timeZone: "UTC", dates: ["2026-01-01"], since: 0, until: 0, total: { calls: 1, inputTokens: 1, outputTokens: 1, cachedTokens: 0, costUsd: 0 },
      series: [{ key: "odd,model", calls: [1], inputTokens: [1], outputTokens: [1], cachedTokens: [0], costUsd: [0], total: { calls: 1, inputTokens: 1, outputTokens: 1, cachedTokens: 0, costUsd: 0 } }],
    });
    expect(text.split("\r\n")[1]).toBe('2026-01-01,"odd,model",1,1,1,0,0.000000');
  });
});

describe("local days", () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it("stay local across a DST change: quarter-hour buckets land on the day they belong to", () => {
    process.env.TZ = "Europe/Berlin";
    const until = Date.parse("2026-03-30T12:00:00+02:00"); // the day after clocks went forward
    const since = localMidnight(until, 2);
    expect(new Date(since).toISOString()).toBe("2026-03-27T23:00:00.000Z"); // Mar 28, 00:00 CET
    const bucket = (iso: string) => ({ at: since + Math.floor((Date.parse(iso) - since) / 900_000) * 900_000, key: "m", calls: 1, inputTokens: 1, outputTokens: 0, cachedTokens: 0, costUsd: 0 });
    const daily = toDailyUsage({
      buckets: [bucket("2026-03-29T23:59:00+02:00"), bucket("2026-03-30T00:00:00+02:00"), bucket("2026-03-28T23:59:00+01:00")],
      since, until, days: 3, by: "model",
    });
    expect(daily.dates).toEqual(["2026-03-28", "2026-03-29", "2026-03-30"]);
    expect(daily.series[0]!.calls).toEqual([1, 1, 1]);
    expect(daily.timeZone).toBe("Europe/Berlin");
  });
});
