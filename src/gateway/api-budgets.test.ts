// GET /api/v1/budgets in memory: each budget with its use this period and reset, a session budget's top spenders or
// the one session asked for, and a bad parameter.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UsageRecord } from "../core/domain.ts";
import { fakeModels, openApiTestApp, type ApiTestApp } from "../../test/support/api-app.ts";

let t: ApiTestApp;
const A = "agent:default:telegram:dm:1";
const B = "agent:default:telegram:dm:2";
const usage = (over: Partial<UsageRecord>): UsageRecord => ({
  runId: undefined, sessionKey: A, agentId: "default", sender: "telegram:1", provider: "fake", model: "gpt-4o-mini",
  inputTokens: 100, outputTokens: 20, cachedTokens: 0, costUsd: 0.5, at: Date.now() - 1, ...over,
});

beforeAll(async () => {
  t = await openApiTestApp({
    yaml: (url) => [fakeModels(url), "budgets:", "  - { scope: instance, period: month, max_usd: 10 }", "  - { scope: session, max_tokens: 200, action: warn }",
      "  - { scope: 'sender:telegram:1', max_tokens: 1000, action: downgrade }"].join("\n"),
  });
  for (const key of [A, B]) await t.app.store.sessions.ensure({ key, agentId: "default", channel: "telegram" });
  await t.app.store.usage.record(usage({}));
  await t.app.store.usage.record(usage({ sessionKey: B, sender: "telegram:2", inputTokens: 10, outputTokens: 0, costUsd: 0 }));
});
afterAll(() => t.close());

describe("GET /api/v1/budgets", () => {
  it("lists every budget with its use and reset; a session budget with its top spenders", async () => {
    const res = await t.get("/api/v1/budgets");
    expect(res.status).toBe(200);
    const { data } = await res.json();
    expect(data).toHaveLength(3);
    expect(data[0]).toMatchObject({ scope: "instance", period: "month", maxUsd: 10, maxTokens: null, topConsumers: false, statuses: [{ subject: "instance", tokens: 130, costUsd: 0.5, calls: 2, unpricedCalls: 1, over: false }] });
    expect(data[0].statuses[0].resetsAtText).toMatch(/^1 \w{3} \d{4}, 00:00 \(UTC\)$/);
    expect(data[1]).toMatchObject({ scope: "session", topConsumers: true });
    expect(data[1].statuses.map((s: { subject: string; used: number }) => [s.subject, s.used])).toEqual([[`session ${A}`, 0.6], [`session ${B}`, 0.05]]);
    expect(data[2]).toMatchObject({ scope: "sender:telegram:1", downgradeTo: "fast", statuses: [{ tokens: 120 }] });
  });

  it("measures a session budget for ?session=, and answers a bad parameter with 400", async () => {
    const { data } = await (await t.get(`/api/v1/budgets?session=${encodeURIComponent(B)}`)).json();
    expect(data[1]).toMatchObject({ topConsumers: false, statuses: [{ subject: `session ${B}`, tokens: 10 }] });
    const bad = await t.get("/api/v1/budgets?session=");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ param: "session" });
  });
});
