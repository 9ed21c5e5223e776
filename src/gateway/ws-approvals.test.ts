// Approvals over /ws (real loopback server and `ws` client, a store-backed ApprovalService): approval_requested and
// approval_answered run events reach the clients following the session as approval.requested / approval.answered,
// and approval.answer answers as operator:ui — unknown ids, answered ones and a deny with always are refused.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createApp, type App } from "../app.ts";
import type { RunEvent } from "../core/events.ts";
import { fakeProviderConfig, makeHome, TEST_GATEWAY_TOKEN, type Home } from "../../test/e2e/harness.ts";
import { addPendingRequest, createFakeApprovals } from "../routing/approval-test-kit.ts";
import type { Dispatcher } from "../routing/dispatcher.ts";
import { createTokenVerifier } from "./gateway-token.ts";
import type { ServerFrame } from "./ws-protocol.ts";
import { attachWebSocket, type WebSocketEndpoint } from "./ws-server.ts";

const SESSION = "agent:default:webchat:dm:approver";
let home: Home;
let app: App;
let server: Server;
let endpoint: WebSocketEndpoint;
let url: string;
const listeners: Array<(e: RunEvent) => void> = [];
const emit = (e: RunEvent): void => listeners.forEach((fn) => fn(e));

beforeAll(async () => {
  home = await makeHome();
  await home.writeConfig(fakeProviderConfig("http://127.0.0.1:9/v1"));
  app = await createApp({ env: { PINCER_HOME: home.dir }, logger: pino({ level: "silent" }) });
  const dispatcher: Dispatcher = Object.create(app.dispatcher, {
    subscribe: { value: (fn: (e: RunEvent) => void) => (listeners.push(fn), () => undefined) },
  });
  const approvals = createFakeApprovals({ store: app.store, now: Date.now });
  server = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const tokens = createTokenVerifier(createHash("sha256").update(TEST_GATEWAY_TOKEN).digest());
  endpoint = attachWebSocket({ server, ctx: { ...app, dispatcher, approvals: () => approvals }, tokens });
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  await app.store.sessions.ensure({ key: SESSION, agentId: "default", channel: "webchat" });
  await app.store.runs.create({ id: "run_ws", sessionKey: SESSION, agentId: "default", input: "go" });
});

afterAll(async () => {
  await endpoint.close();
  await new Promise((done) => server.close(done));
  await app.close();
  await home.cleanup();
});

async function connect(): Promise<{ send(f: unknown): void; next(match: (f: ServerFrame) => boolean): Promise<ServerFrame>; close(): void }> {
  const ws = new WebSocket(url);
  const frames: ServerFrame[] = [];
  let wake = (): void => {};
  ws.on("message", (data) => {
    frames.push(JSON.parse(String(data)) as ServerFrame);
    wake();
  });
  await new Promise((done, fail) => ws.once("open", done).once("error", fail));
  const next = async (match: (f: ServerFrame) => boolean): Promise<ServerFrame> => {
    for (;;) {
      const at = frames.findIndex(match);
      if (at >= 0) return frames.splice(0, at + 1).at(-1)!;
      await new Promise<void>((done) => (wake = done));
    }
  };
  ws.send(JSON.stringify({ type: "auth", token: TEST_GATEWAY_TOKEN, client: "approver" }));
  await next((f) => f.type === "hello");
  return { send: (f) => ws.send(JSON.stringify(f)), next, close: () => ws.close() };
}

describe("approvals over /ws", () => {
  it("forwards approval events to followers of the session and answers approval.answer as operator:ui", async () => {
    const c = await connect();
    c.send({ type: "sessions.history", id: "h", session: SESSION });
    await c.next((f) => f.type === "history");
    const request = await addPendingRequest(app.store, { id: "ap_ws", runId: "run_ws", sessionKey: SESSION, summary: "<img src=x onerror=alert(1)>" }, Date.now());
    emit({ type: "approval_requested", runId: "run_ws", sessionKey: SESSION, request });
    expect(await c.next((f) => f.type === "approval.requested")).toEqual({ type: "approval.requested", runId: "run_ws", session: SESSION, request });

    c.send({ type: "approval.answer", id: "a1", approvalId: "ap_ws", decision: "approve" });
    expect(await c.next((f) => f.type === "ack")).toEqual({ type: "ack", id: "a1", session: SESSION, runId: "run_ws", approvalStatus: "approved" });
    const answered = await app.store.approvals.get("ap_ws");
    expect(answered).toMatchObject({ answeredBy: "operator:ui", answer: "once" });
    emit({ type: "approval_answered", runId: "run_ws", sessionKey: SESSION, request: answered! });
    expect(await c.next((f) => f.type === "approval.answered")).toMatchObject({ type: "approval.answered", request: { id: "ap_ws", status: "approved" } });
    c.close();
  });

  it("refuses unknown and answered requests, and always with deny", async () => {
    const c = await connect();
    c.send({ type: "approval.answer", id: "u", approvalId: "ap_none", decision: "approve" });
    expect(await c.next((f) => f.type === "error")).toMatchObject({ id: "u", code: "unknown_approval", path: "approvalId" });
    await addPendingRequest(app.store, { id: "ap_twice", runId: "run_ws", sessionKey: SESSION, callId: "c_twice" }, Date.now());
    c.send({ type: "approval.answer", id: "d1", approvalId: "ap_twice", decision: "deny" });
    expect(await c.next((f) => f.type === "ack")).toMatchObject({ id: "d1", approvalStatus: "denied" });
    c.send({ type: "approval.answer", id: "d2", approvalId: "ap_twice", decision: "approve" });
    expect(await c.next((f) => f.type === "error")).toEqual({
      type: "error", id: "d2", code: "approval_closed", message: 'approval request "ap_twice" was answered already (denied by operator:ui)', path: "approvalId",
    });
    c.send({ type: "approval.answer", id: "b", approvalId: "ap_twice", decision: "deny", always: true });
    expect(await c.next((f) => f.type === "error")).toMatchObject({ id: "b", code: "bad_frame", path: "always" });
    c.close();
  });
});
