// /api/v1/approvals, /approval-rules and /sessions/<key>/elevate in memory over a whole app with a store-backed
// ApprovalService: listing by status, answering once / always / deny with who answered (api, ui, cli), 404 for unknown
// ids and sessions, 409 for answered ones and refused codes, rules revoked, the elevation flow; the edge: the token,
// capped and malformed bodies with the field named, 503 without a service.
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, openApiTestApp, type ApiTestApp, type JsonResponse } from "../../test/support/api-app.ts";
import { TEST_GATEWAY_TOKEN } from "../../test/e2e/harness.ts";
import { addPendingRequest, createFakeApprovals } from "../routing/approval-test-kit.ts";
import { createHttpApp } from "./http-app.ts";
import { createGatewayMetrics } from "./metrics.ts";

const SESSION = "agent:default:webchat:dm:webchat";
const path = (p: string) => `/api/v1${p}`;
const sessionPath = `/sessions/${encodeURIComponent(SESSION)}`;
let t: ApiTestApp;
let http: Hono;
let clock = Date.parse("2026-03-01T10:00:00Z");

beforeAll(async () => {
  t = await openApiTestApp();
  const approvals = createFakeApprovals({ store: t.app.store, now: () => clock, code: () => "ABC123" });
  http = createHttpApp({ ctx: { ...t.app, approvals: () => approvals }, tokens: { verify: (x) => x === TEST_GATEWAY_TOKEN }, metrics: createGatewayMetrics(), serverVersion: "t" });
  await t.app.store.sessions.ensure({ key: SESSION, agentId: "default", channel: "webchat" });
  await t.app.store.runs.create({ id: "run_1", sessionKey: SESSION, agentId: "default", input: "deploy" });
});
afterAll(() => t.close());

const request = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) =>
  http.request(path(p), {
    method,
    headers: { ...AUTH, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  }) as Promise<JsonResponse>;

describe("/api/v1/approvals", () => {
  it("needs the gateway token", async () => {
    expect((await http.request(path("/approvals"))).status).toBe(401);
    expect((await http.request(path("/approvals/ap_1"), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(401);
  });

  it("lists pending requests by default, and others by status", async () => {
    await addPendingRequest(t.app.store, { id: "ap_list", runId: "run_1", sessionKey: SESSION }, clock);
    const pending = await (await request("GET", "/approvals")).json();
    expect(pending.data.map((r: { id: string }) => r.id)).toContain("ap_list");
    expect((await (await request("GET", "/approvals?status=denied")).json()).data).toEqual([]);
    const bad = await request("GET", "/approvals?status=maybe");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toBe("status: expected all or a comma-separated list of pending, approved, denied, expired");
  });

  it("approves once as operator:api, then answers 409 for the same id and 404 for an unknown one", async () => {
    await addPendingRequest(t.app.store, { id: "ap_once", runId: "run_1", sessionKey: SESSION, callId: "c1" }, clock);
    const ok = await request("POST", "/approvals/ap_once", { decision: "approve" });
    expect(ok.status).toBe(200);
    expect((await ok.json()).request).toMatchObject({ id: "ap_once", status: "approved", answer: "once", answeredBy: "operator:api" });
    const again = await request("POST", "/approvals/ap_once", { decision: "deny" });
    expect(again.status).toBe(409);
    expect((await again.json()).error.message).toBe("approval request 'ap_once' was answered already (approved by operator:api)");
    expect((await request("POST", "/approvals/ap_nope", { decision: "deny" })).status).toBe(404);
  });

  it("names the Control UI and the CLI as who answered, and adds a rule on always", async () => {
    await addPendingRequest(t.app.store, { id: "ap_ui", runId: "run_1", sessionKey: SESSION, callId: "c2" }, clock);
    await addPendingRequest(t.app.store, { id: "ap_cli", runId: "run_1", sessionKey: SESSION, callId: "c3" }, clock);
    expect((await (await request("POST", "/approvals/ap_ui", { decision: "approve", always: true }, { "x-pincer-client": "ui" })).json()).request.answeredBy).toBe("operator:ui");
    expect((await (await request("POST", "/approvals/ap_cli", { decision: "deny" }, { "x-pincer-client": "cli" })).json()).request.answeredBy).toBe("operator:cli");
    const rules = (await (await request("GET", "/approval-rules")).json()).data;
    expect(rules).toMatchObject([{ id: "rule_ap_ui", tool: "exec", subject: "git", createdBy: "operator:ui" }]);
    expect((await (await request("DELETE", "/approval-rules/rule_ap_ui")).json())).toEqual({ revoked: true, id: "rule_ap_ui" });
    expect((await request("DELETE", "/approval-rules/rule_ap_ui")).status).toBe(404);
  });

  it("refuses bad bodies with the field named, and caps them", async () => {
    const cases: Array<[unknown, string]> = [
      [{ decision: "maybe" }, "decision"],
      [{ decision: "deny", always: true }, "always"],
      [{ decision: "approve", by: "telegram:1" }, "body"],
    ];
    for (const [body, param] of cases) {
      const res = await request("POST", "/approvals/ap_x", body);
      expect(res.status).toBe(400);
      expect((await res.json()).error.param).toBe(param);
    }
    expect((await request("POST", "/approvals/ap_x", JSON.stringify({ decision: "approve", pad: "x".repeat(8_000) }))).status).toBe(413);
    const notJson = await http.request(path("/approvals/ap_x"), { method: "POST", headers: { ...AUTH, "content-type": "text/plain" }, body: "approve" });
    expect(notJson.status).toBe(415);
  });

  it("answers 503 when no approval service runs", async () => {
    const bare = createHttpApp({ ctx: { ...t.app, approvals: undefined }, tokens: { verify: (x) => x === TEST_GATEWAY_TOKEN }, metrics: createGatewayMetrics() });
    const res = await bare.request(path("/approvals"), { headers: AUTH });
    expect(res.status).toBe(503);
  });
});

describe("/api/v1/sessions/<key>/elevate", () => {
  it("gives a code, refuses a wrong one, turns on with the right one, shows and ends it", async () => {
    const asked = await request("POST", `${sessionPath}/elevate`, { minutes: 20, reason: "deploy" });
    expect(await asked.json()).toEqual({ code: "ABC123", minutes: 20 });
    const wrong = await request("POST", `${sessionPath}/elevate/confirm`, { code: "ZZZ999" });
    expect(wrong.status).toBe(409);
    expect((await wrong.json()).error).toMatchObject({ message: "the code does not match", param: "code" });
    const on = await request("POST", `${sessionPath}/elevate/confirm`, { code: "abc123" });
    expect((await on.json()).elevation).toMatchObject({ status: "active", minutes: 20, reason: "deploy", requestedBy: "operator:api" });
    const shown = await (await request("GET", `${sessionPath}/elevation`)).json();
    expect(shown.elevation).toMatchObject({ status: "active", expiresAt: clock + 20 * 60_000 });
    expect((await (await request("GET", "/elevations")).json()).data).toHaveLength(1);
    expect((await (await request("DELETE", `${sessionPath}/elevate`)).json())).toMatchObject({ ended: true, elevation: { status: "ended", endReason: "ended by operator:api" } });
    expect((await (await request("DELETE", `${sessionPath}/elevate`)).json())).toEqual({ ended: false, elevation: null });
  });

  it("answers 404 for an unknown session and 400 for bad minutes", async () => {
    expect((await request("POST", `/sessions/${encodeURIComponent("agent:default:webchat:dm:nobody")}/elevate`, {})).status).toBe(404);
    const bad = await request("POST", `${sessionPath}/elevate`, { minutes: 0.5 });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toBe("minutes: must be a whole number of minutes");
  });

  it("passes the service's refusal on (over policy.elevated.max_minutes)", async () => {
    const res = await request("POST", `${sessionPath}/elevate`, { minutes: 500 });
    expect(res.status).toBe(409);
    expect((await res.json()).error.message).toBe("minutes must be from 1 to 120 (policy.elevated.max_minutes)");
  });
});
