// `pincer approvals …` and `pincer elevate` over both targets: the gateway's API (its Hono app in memory behind a
// GatewayClient) and the store's approval service; output, --json, refusals, and the elevate confirmation.
import type { Hono } from "hono";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AUTH, openApiTestApp, type ApiTestApp } from "../../test/support/api-app.ts";
import { TEST_GATEWAY_TOKEN } from "../../test/e2e/harness.ts";
import { createHttpApp } from "../gateway/http-app.ts";
import { createGatewayMetrics } from "../gateway/metrics.ts";
import { addPendingRequest, createFakeApprovals } from "../routing/approval-test-kit.ts";
import type { ApprovalService } from "../routing/approval-service.ts";
import { approvalsAnswerCommand, approvalsListCommand, approvalsRevokeCommand, approvalsRulesCommand, elevateCommand } from "./approvals-command.ts";
import { gatewayTarget, serviceTarget, type ApprovalsTarget } from "./approvals-target.ts";
import type { GatewayClient } from "./gateway-client.ts";
import { CliFailure } from "./output.ts";

const SESSION = "agent:default:telegram:dm:42";
const NOW = Date.parse("2026-03-01T10:00:00Z");
let t: ApiTestApp;
let http: Hono;
let service: ApprovalService;

beforeAll(async () => {
  t = await openApiTestApp();
  service = createFakeApprovals({ store: t.app.store, now: () => NOW, code: () => "QW12ER" });
  http = createHttpApp({ ctx: { ...t.app, approvals: () => service }, tokens: { verify: (x) => x === TEST_GATEWAY_TOKEN }, metrics: createGatewayMetrics() });
  await t.app.store.sessions.ensure({ key: SESSION, agentId: "default", channel: "telegram" });
  await t.app.store.runs.create({ id: "run_c", sessionKey: SESSION, agentId: "default", input: "x" });
});
afterAll(() => t.close());
afterEach(() => vi.restoreAllMocks());

/** The gateway's API as the CLI reaches it, without a socket. */
const client: () => GatewayClient = () => ({
  url: "http://127.0.0.1:18789",
  runtime: undefined,
  request: (path, init = {}) => Promise.resolve(http.request(path, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers: { ...AUTH, ...(init.json === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  })),
});

function output(): () => string {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (chunks.push(String(chunk)), true));
  return () => chunks.join("");
}

const targets: Array<[string, () => ApprovalsTarget]> = [["gateway", () => gatewayTarget(client())], ["store", () => serviceTarget(service)]];

describe.each(targets)("pincer approvals through the %s", (name, target) => {
  it("lists what waits, approves with --always as operator:cli, shows and revokes the rule", async () => {
    await addPendingRequest(t.app.store, { id: `ap_${name}`, runId: "run_c", sessionKey: SESSION, callId: `call_${name}` }, NOW);
    const listed = output();
    await approvalsListCommand(target(), {}, NOW);
    expect(listed()).toContain(`ap_${name}  exec  git push origin main  policy.tools.ask  ${SESSION}  expires in 10 min`);
    vi.restoreAllMocks();

    const approved = output();
    await approvalsAnswerCommand(target(), `ap_${name}`, { decision: "approve", always: true });
    expect(approved()).toBe(`approved ap_${name} (exec); from now on exec with git runs without asking ('pincer approvals rules')\n`);
    expect((await t.app.store.approvals.get(`ap_${name}`))?.answeredBy).toBe("operator:cli");
    vi.restoreAllMocks();

    const rules = output();
    await approvalsRulesCommand(target(), { json: true });
    expect(JSON.parse(rules()).data).toMatchObject([{ id: `rule_ap_${name}`, tool: "exec", subject: "git", createdBy: "operator:cli" }]);
    vi.restoreAllMocks();
    output();
    await approvalsRevokeCommand(target(), `rule_ap_${name}`, {});
    await expect(approvalsRevokeCommand(target(), `rule_ap_${name}`, {})).rejects.toThrow(`no approval rule "rule_ap_${name}". See 'pincer approvals rules'`);
  });

  it("refuses unknown and answered requests with what to do", async () => {
    await expect(approvalsAnswerCommand(target(), "ap_missing", { decision: "deny" })).rejects.toThrow(new CliFailure(`no approval request "ap_missing". See 'pincer approvals list'`));
    await addPendingRequest(t.app.store, { id: `ap_d_${name}`, runId: "run_c", sessionKey: SESSION, callId: `call_d_${name}` }, NOW);
    output();
    await approvalsAnswerCommand(target(), `ap_d_${name}`, { decision: "deny" });
    await expect(approvalsAnswerCommand(target(), `ap_d_${name}`, { decision: "approve" })).rejects.toThrow(`approval request ap_d_${name} was answered already (denied by operator:cli)`);
  });

  it("elevates with --yes, refuses a wrong typed code, and ends with --off", async () => {
    const out = output();
    await elevateCommand(target(), SESSION, { minutes: "10", reason: "deploy", yes: true }, async () => "never asked");
    expect(out()).toContain(`elevated mode is on in ${SESSION} for 10 min`);
    await elevateCommand(target(), SESSION, { off: true }, async () => undefined);
    expect(out()).toContain(`elevated mode of ${SESSION} ended`);
    await expect(elevateCommand(target(), SESSION, {}, async (code) => `${code}X`)).rejects.toThrow("elevated mode was not turned on: the code does not match");
    await expect(elevateCommand(target(), SESSION, { minutes: "ten" }, async () => undefined)).rejects.toThrow('--minutes: expected a whole number of minutes, got "ten"');
  });
});
