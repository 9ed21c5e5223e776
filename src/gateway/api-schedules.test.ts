// /api/v1/schedules and /api/v1/automation in memory over a whole app: create, list with the last fire, read by id or
// name, edit, suspend, resume, fire history pages, delete and run now (a stub AutomationControl; 503 without one), each
// write audited and waking the scheduler; the edge: authentication, capped and malformed bodies, bad fields named,
// unknown ids, taken names; the automation summary never shows a hook's secret.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AutomationControl } from "../automation/automation.ts";
import { AUTH, fakeModels, openApiTestApp, type ApiTestApp, type JsonResponse } from "../../test/support/api-app.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { createHttpApp } from "./http-app.ts";
import { TEST_GATEWAY_TOKEN } from "../../test/e2e/harness.ts";
import type { Hono } from "hono";

const SECRET = "hook-secret-value-9f8e7d";
const yaml = (baseURL: string) => [
  fakeModels(baseURL),
  "agents:", "  default: {}", "  helper: {}",
  "heartbeat:", "  every: 1h", "  active_hours: \"08:00-22:00\"", "  tz: Europe/Paris",
  "hooks:",
  "  github:", "    auth: github", "    secret_env: GH_HOOK_SECRET", "    message: \"{{body.action}}\"",
  "  ci:", "    auth: token", "    secret_env: CI_HOOK_SECRET", "    message: build done", "    deliver: none",
  "",
].join("\n");

let t: ApiTestApp;
/** The same app served with a running automation. */
let withAutomation: Hono;
const calls = { changed: 0, runNow: [] as string[] };
const stub: AutomationControl = {
  async runNow(id) {
    calls.runNow.push(id);
    return { fireAt: 1_000, status: "started", runId: "run_manual1" };
  },
  changed: () => void calls.changed++,
  status: () => ({ leader: true, holder: "gw-1", nextWakeAt: 5_000, heartbeat: { enabled: true, nextTickAt: 6_000, lastTick: { at: 4_000, status: "skipped", reason: "no open items" } } }),
};

beforeAll(async () => {
  t = await openApiTestApp({ yaml, env: { GH_HOOK_SECRET: SECRET } });
  withAutomation = createHttpApp({ ctx: { ...t.app, automation: () => stub }, tokens: { verify: (x) => x === TEST_GATEWAY_TOKEN }, metrics: createGatewayMetrics(), serverVersion: "t" });
});
afterAll(() => t.close());

const request = (method: string, path: string, body?: unknown, http: Hono = t.http) =>
  http.request(path, {
    method,
    headers: { ...AUTH, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  }) as Promise<JsonResponse>;
const create = (body: Record<string, unknown>) => request("POST", "/api/v1/schedules", body, withAutomation);
const audits = async (prefix: string) => (await t.app.store.audit.list({})).filter((a) => a.kind.startsWith(prefix)).map((a) => `${a.kind} ${a.reason}`);

describe("/api/v1/schedules", () => {
  it("needs the gateway token", async () => {
    expect((await t.get("/api/v1/schedules", {})).status).toBe(401);
    expect((await t.send("POST", "/api/v1/schedules", { name: "x" }, {})).status).toBe(401);
    expect((await t.get("/api/v1/automation", {})).status).toBe(401);
  });

  it("creates a schedule (createdBy api, next fire planned, audited, scheduler woken) and lists it with its last fire", async () => {
    const before = calls.changed;
    const res = await create({ name: "morning", cron: "0 8 * * 1-5", tz: "Europe/Paris", message: "Brief me", deliver: "telegram:main:123" });
    expect(res.status).toBe(201);
    const { schedule } = await res.json();
    expect(schedule).toMatchObject({ name: "morning", kind: "cron", expr: "0 8 * * 1-5", tz: "Europe/Paris", agent: "default", session: "isolated", deliver: "telegram:main:123", concurrency: "forbid", catchup: "skip", suspended: false, createdBy: "api", lastFireAt: null });
    expect(schedule.nextFireAt).toBeGreaterThan(Date.now());
    expect(calls.changed).toBe(before + 1);
    expect(await audits("schedule.create")).toContain("schedule.create create with the HTTP API");

    await t.app.store.schedules.recordFire({ scheduleId: schedule.id, fireAt: 100, status: "succeeded", reason: undefined, runId: "run_a", sessionKey: undefined, delivery: "sent" });
    const list = await (await t.get("/api/v1/schedules")).json();
    const row = list.data.find((s: { name: string }) => s.name === "morning");
    expect(row).toMatchObject({ id: schedule.id, lastFire: { fireAt: 100, status: "succeeded", runId: "run_a", delivery: "sent" } });
  });

  it("reads one schedule by id or name; unknown ids and prototype names are 404", async () => {
    const { schedule } = await (await create({ name: "reader", every: "30m", message: "check" })).json();
    expect((await (await t.get(`/api/v1/schedules/${schedule.id}`)).json()).schedule).toMatchObject({ name: "reader", kind: "every", expr: "30m" });
    expect((await (await t.get("/api/v1/schedules/reader")).json()).schedule.id).toBe(schedule.id);
    for (const id of ["sch_nope", "__proto__", "constructor"]) {
      const res = await t.get(`/api/v1/schedules/${id}`);
      expect(res.status).toBe(404);
      expect((await res.json()).error.type).toBe("not_found");
    }
    expect((await request("PATCH", "/api/v1/schedules/sch_nope", { message: "x" })).status).toBe(404);
    expect((await request("DELETE", "/api/v1/schedules/sch_nope")).status).toBe(404);
    expect((await request("POST", "/api/v1/schedules/sch_nope/suspend")).status).toBe(404);
    expect((await request("POST", "/api/v1/schedules/sch_nope/run", undefined, withAutomation)).status).toBe(404);
    expect((await t.get("/api/v1/schedules/sch_nope/fires")).status).toBe(404);
  });

  it("answers 400 naming the field for bad schedules", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: "a", message: "m" }, "cron"],
      [{ name: "a", cron: "not a cron", message: "m" }, "cron"],
      [{ name: "a", every: "5 minutes", message: "m" }, "every"],
      [{ name: "a", at: "tomorrow", message: "m" }, "at"],
      [{ name: "a", every: "5m", tz: "Mars/Olympus", message: "m" }, "tz"],
      [{ name: "a", every: "5m", cron: "* * * * *", message: "m" }, "every"],
      [{ name: "a", every: "5m" }, "message"],
      [{ name: "bad name!", every: "5m", message: "m" }, "name"],
      [{ name: "a", every: "5m", message: "m", agent: "nobody" }, "agent"],
      [{ name: "a", every: "5m", message: "m", agent: "constructor" }, "agent"],
      [{ name: "a", every: "5m", message: "m", deliver: "somewhere" }, "deliver"],
      [{ name: "a", every: "5m", message: "m", concurrency: "sometimes" }, "concurrency"],
      [{ name: "a", every: "5m", message: "m", extra: 1 }, ""],
    ];
    for (const [body, param] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const { error } = await res.json();
      expect(error.type).toBe("invalid_request");
      if (param) expect(error.param, JSON.stringify(body)).toBe(param);
    }
  });

  it("refuses a taken name with 409, on create and on rename", async () => {
    await create({ name: "taken", every: "1h", message: "m" });
    const res = await create({ name: "taken", every: "2h", message: "m" });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { type: "name_taken", param: "name" } });
    const other = (await (await create({ name: "other", every: "1h", message: "m" })).json()).schedule;
    expect((await request("PATCH", `/api/v1/schedules/${other.id}`, { name: "taken" })).status).toBe(409);
  });

  it("reads bodies through the capped reader: JSON only, not too big, an object", async () => {
    const wrongType = await t.http.request("/api/v1/schedules", { method: "POST", headers: { ...AUTH, "content-type": "text/plain" }, body: "{}" });
    expect(wrongType.status).toBe(415);
    expect((await request("POST", "/api/v1/schedules", "{not json")).status).toBe(400);
    expect((await request("POST", "/api/v1/schedules", "[1]")).status).toBe(400);
    const huge = await request("POST", "/api/v1/schedules", { name: "huge", every: "1h", message: "x".repeat(200 * 1024) });
    expect(huge.status).toBe(413);
  });

  it("edits, suspends and resumes, re-planning the next fire; an empty edit is 400", async () => {
    const { schedule } = await (await create({ name: "editable", every: "1h", message: "m" })).json();
    const edited = await request("PATCH", `/api/v1/schedules/editable`, { every: "10s", message: "new text", concurrency: "replace" }, withAutomation);
    expect(edited.status).toBe(200);
    const after = (await edited.json()).schedule;
    expect(after).toMatchObject({ id: schedule.id, expr: "10s", message: "new text", concurrency: "replace" });
    expect(after.nextFireAt - Date.now()).toBeLessThanOrEqual(10_000);
    const empty = await request("PATCH", `/api/v1/schedules/${schedule.id}`, {});
    expect(empty.status).toBe(400);
    expect((await request("PATCH", `/api/v1/schedules/${schedule.id}`, { tz: "Nowhere/Land" })).status).toBe(400);

    const suspended = await request("POST", `/api/v1/schedules/${schedule.id}/suspend`);
    expect((await suspended.json()).schedule.suspended).toBe(true);
    const resumed = await request("POST", `/api/v1/schedules/${schedule.id}/resume`);
    const back = (await resumed.json()).schedule;
    expect(back.suspended).toBe(false);
    expect(back.nextFireAt).toBeGreaterThanOrEqual(Date.now() - 1_000);
    expect(await audits("schedule.")).toEqual(expect.arrayContaining(["schedule.update update with the HTTP API", "schedule.suspend suspend with the HTTP API", "schedule.resume resume with the HTTP API"]));
  });

  it("pages the fire history, newest first", async () => {
    const { schedule } = await (await create({ name: "history", every: "1m", message: "m" })).json();
    for (let i = 1; i <= 5; i++) {
      await t.app.store.schedules.recordFire({ scheduleId: schedule.id, fireAt: i * 60_000, status: i === 3 ? "skipped" : "succeeded", reason: i === 3 ? "previous run still going (forbid)" : undefined, runId: i === 3 ? undefined : `run_${i}`, sessionKey: undefined, delivery: "none" });
    }
    const first = await (await t.get(`/api/v1/schedules/${schedule.id}/fires?limit=2`)).json();
    expect(first.data.map((f: { fireAt: number }) => f.fireAt)).toEqual([300_000, 240_000]);
    expect(first.next).toBe(240_000);
    const second = await (await t.get(`/api/v1/schedules/history/fires?limit=2&before=${first.next}`)).json();
    expect(second.data).toMatchObject([{ fireAt: 180_000, status: "skipped", reason: "previous run still going (forbid)", runId: null }, { fireAt: 120_000, runId: "run_2" }]);
    const last = await (await t.get(`/api/v1/schedules/history/fires?limit=2&before=${second.next}`)).json();
    expect(last).toMatchObject({ data: [{ fireAt: 60_000 }], next: null });
    expect((await t.get(`/api/v1/schedules/history/fires?limit=0`)).status).toBe(400);
    expect((await t.get(`/api/v1/schedules/history/fires?before=yesterday`)).status).toBe(400);
  });

  it("runs a schedule now through the automation (audited); 503 when none runs in this process", async () => {
    const { schedule } = await (await create({ name: "runner", every: "1d", message: "m" })).json();
    const down = await request("POST", `/api/v1/schedules/${schedule.id}/run`);
    expect(down.status).toBe(503);
    expect((await down.json()).error.message).toContain("Fix:");
    const res = await request("POST", "/api/v1/schedules/runner/run", undefined, withAutomation);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ schedule: schedule.id, name: "runner", fireAt: 1_000, status: "started", runId: "run_manual1", reason: null });
    expect(calls.runNow).toEqual([schedule.id]);
    const record = (await t.app.store.audit.list({})).find((a) => a.kind === "schedule.run");
    expect(record).toMatchObject({ runId: "run_manual1", reason: "run with the HTTP API", detail: { schedule: schedule.id, status: "started" } });
  });

  it("deletes a schedule with its history (audited)", async () => {
    const { schedule } = await (await create({ name: "doomed", every: "1h", message: "m" })).json();
    const res = await request("DELETE", "/api/v1/schedules/doomed");
    expect(await res.json()).toEqual({ deleted: true, id: schedule.id, name: "doomed" });
    expect((await t.get(`/api/v1/schedules/${schedule.id}`)).status).toBe(404);
    expect(await audits("schedule.delete")).toEqual(["schedule.delete delete with the HTTP API"]);
  });
});

describe("/api/v1/automation", () => {
  it("summarises the scheduler, the heartbeat and the hooks, without secrets", async () => {
    const off = await (await t.get("/api/v1/automation")).json();
    expect(off.scheduler).toEqual({ running: false, leader: false, holder: null, nextWakeAt: null });
    const res = await request("GET", "/api/v1/automation", undefined, withAutomation);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    const body = JSON.parse(text);
    expect(body.scheduler).toEqual({ running: true, leader: true, holder: "gw-1", nextWakeAt: 5_000 });
    expect(body.heartbeat).toEqual({ enabled: true, every: "1h", activeHours: "08:00-22:00", tz: "Europe/Paris", agent: "default", deliver: "none", nextTickAt: 6_000, lastTick: { at: 4_000, status: "skipped", reason: "no open items" } });
    expect(body.hooks).toEqual([
      { name: "github", path: "/hooks/github", auth: "github", secretEnv: "GH_HOOK_SECRET", secretSet: true, agent: "default", session: "isolated", deliver: "none" },
      { name: "ci", path: "/hooks/ci", auth: "token", secretEnv: "CI_HOOK_SECRET", secretSet: false, agent: "default", session: "isolated", deliver: "none" },
    ]);
    expect(body.schedules.total).toBeGreaterThan(0);
  });
});
