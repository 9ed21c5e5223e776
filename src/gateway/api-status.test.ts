// /api/v1/status in memory: version and uptime, provider reachability (cached; ?probe=1 forces a probe), channel
// accounts, runs in flight, today's usage, the latest errors from failed runs and error log lines, the dashboard URL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiTestApp, type ApiTestApp } from "../../test/support/api-app.ts";
import { localDate } from "./api-usage.ts";

let t: ApiTestApp;
const listRequests = (): number => t.fake.requests.filter((r) => r.path === "/v1/models").length;

beforeAll(async () => {
  t = await openApiTestApp({ http: { startedAt: Date.now() - 5_000 } });
  t.fake.enqueue({ text: "fine", usage: { input: 12, output: 3 } });
  await (await t.app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:test:dm:s", channel: "test", text: "hi" })).result;
  t.fake.enqueue({ error: { status: 400, message: "the model refused sk-proj-SECRETSECRETSECRETSECRET" } });
  await (await t.app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:test:dm:s", channel: "test", text: "again" })).result;
  t.app.log.child({ component: "channels" }).error({ channel: "telegram" }, "channel not started: token rejected");
  await t.app.store.sessions.ensure({ key: "agent:default:test:dm:busy", agentId: "default", channel: "test" });
  await t.app.store.runs.create({ id: "run_waiting", sessionKey: "agent:default:test:dm:busy", agentId: "default", input: "queued" });
});
afterAll(() => t.close());

describe("GET /api/v1/status", () => {
  it("shows the gateway at a glance", async () => {
    const status = await (await t.get("/api/v1/status")).json();
    expect(status).toMatchObject({
      version: "9.9.9-test",
      uptimeMs: expect.any(Number),
      dashboardUrl: "http://localhost/", // the origin the request came to (in memory: localhost)
      defaultModel: { ref: "default", ok: true, problem: null },
      models: [{ provider: "fake", ok: true, models: ["fake/gpt-4o-mini"], latencyMs: expect.any(Number), error: null }],
      channels: [],
      runs: { inFlight: [{ id: "run_waiting", session: "agent:default:test:dm:busy", agent: "default", status: "pending", since: expect.any(Number) }] },
      // The failed call (a 400) recorded no usage.
      today: { date: localDate(Date.now()), calls: 1, inputTokens: 12, outputTokens: 3, byModel: [{ model: "fake/gpt-4o-mini", calls: 1 }] },
    });
    expect(status.uptimeMs).toBeGreaterThanOrEqual(5_000);
    expect(status.errors.map((e: { source: string }) => e.source).sort()).toEqual(["log", "run"]);
    expect(status.errors).toContainEqual(expect.objectContaining({ source: "log", message: "channel not started: token rejected", code: "channels" }));
    expect(status.errors).toContainEqual(expect.objectContaining({ source: "run", code: "bad_request", runId: expect.any(String), session: "agent:default:test:dm:s" }));
    expect(JSON.stringify(status)).not.toContain("SECRETSECRET");
  });

  it("reuses the last probe unless asked to probe now", async () => {
    await t.get("/api/v1/status");
    const before = listRequests();
    await t.get("/api/v1/status");
    expect(listRequests()).toBe(before);
    await t.get("/api/v1/status?probe=1");
    expect(listRequests()).toBe(before + 1);
  });

  it("says what stops the default agent from answering", async () => {
    const bare = await openApiTestApp({ yaml: () => "models:\n  tiers:\n    default: { primary: openai/gpt-4o-mini }\n" });
    try {
      const status = await (await bare.get("/api/v1/status")).json();
      expect(status.defaultModel).toMatchObject({ ref: "default", ok: false, problem: expect.stringContaining("OPENAI_API_KEY") });
      expect(status.models).toMatchObject([{ provider: "openai", ok: false, error: { code: "missing_credential" } }]);
    } finally {
      await bare.close();
    }
  });

  it("refuses a bad probe parameter and a request without the token", async () => {
    const res = await t.get("/api/v1/status?probe=maybe");
    expect(res.status).toBe(400);
    expect((await res.json()).error.param).toBe("probe");
    expect((await t.get("/api/v1/status", {})).status).toBe(401);
  });
});
