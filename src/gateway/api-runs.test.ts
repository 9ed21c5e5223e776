// /api/v1/runs in memory: the table with filters and paging, one run's events (tool calls with args, results and
// audit decisions, secrets masked), the live stream of runs starting and finishing, and hostile parameters.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOTYPE_NAMES, TEST_GATEWAY_TOKEN } from "../../test/e2e/harness.ts";
import { AUTH, openApiTestApp, type ApiTestApp } from "../../test/support/api-app.ts";
import { readSse } from "../../test/support/sse.ts";
import type { Dispatcher } from "../routing/dispatcher.ts";
import { createHttpApp } from "./http-app.ts";
import { createGatewayMetrics } from "./metrics.ts";

let t: ApiTestApp;
const ids: Record<string, string> = {};
const SESSION = "agent:default:test:dm:runs";
const turn = async (text: string, session = SESSION) => (await (await t.app.dispatcher.send({ agentId: "default", sessionKey: session, channel: "test", text })).result);

beforeAll(async () => {
  t = await openApiTestApp();
  t.fake.enqueue({ text: "plain answer", usage: { input: 20, output: 4 } });
  ids.plain = (await turn("first")).runId;
  t.fake.enqueue(
    { toolCalls: [{ name: "ls", args: { path: "." } }, { name: "read", args: { path: "missing.txt", token: "sk-live-abcdefghijklmnopqrstuvwxyz123" } }] },
    { text: "I looked around." },
  );
  ids.tools = (await turn("look around")).runId;
  t.fake.enqueue({ error: { status: 400, message: "bad things" } });
  ids.failed = (await turn("fail please", "agent:default:test:dm:other")).runId;
});
afterAll(() => t.close());

describe("GET /api/v1/runs", () => {
  it("lists runs newest first with duration, tokens, cost and tool-call count", async () => {
    const body = await (await t.get("/api/v1/runs")).json();
    expect(body.data.map((r: { id: string }) => r.id)).toEqual([ids.failed, ids.tools, ids.plain]);
    const [failed, tools, plain] = body.data;
    expect(plain).toMatchObject({ status: "succeeded", toolCalls: 0, model: "fake/gpt-4o-mini", usage: { inputTokens: 20, outputTokens: 4 }, durationMs: expect.any(Number) });
    expect(tools).toMatchObject({ status: "succeeded", toolCalls: 2 });
    expect(failed).toMatchObject({ status: "failed", errorCode: "bad_request", toolCalls: 0 });
    expect(body.next).toBeNull();
  });

  it("filters by status, session, agent, model, error code and time, and pages with next/before", async () => {
    const list = async (query: string) => ((await (await t.get(`/api/v1/runs?${query}`)).json()).data as Array<{ id: string }>).map((r) => r.id);
    expect(await list("status=failed")).toEqual([ids.failed]);
    expect(await list(`session=${SESSION}`)).toEqual([ids.tools, ids.plain]);
    expect(await list("agent=default&model=fake/gpt-4o-mini")).toEqual([ids.tools, ids.plain]);
    expect(await list("errorCode=bad_request")).toEqual([ids.failed]);
    expect(await list("agent=nobody")).toEqual([]);
    expect(await list(`since=${Date.now() + 60_000}`)).toEqual([]);
    expect(await list("until=2000-01-01T00:00:00Z")).toEqual([]);
    expect(await list("since=2000-01-01")).toHaveLength(3);
    const page1 = await (await t.get("/api/v1/runs?limit=2")).json();
    expect(page1.next).toBe(ids.tools);
    expect(await list(`limit=2&before=${page1.next}`)).toEqual([ids.plain]);
  });

  it("answers bad parameters with 400 naming the parameter, and ignores unknown and prototype-named ones", async () => {
    for (const [query, param] of [
      ["status=done", "status"], ["limit=0", "limit"], ["limit=501", "limit"], ["since=yesterday", "since"], ["until=1e99", "until"],
      ["before=", "before"], [`agent=${"a".repeat(513)}`, "agent"], ["since=2026-13-45", "since"],
    ] as const) {
      const res = await t.get(`/api/v1/runs?${query}`);
      expect(res.status, query).toBe(400);
      expect((await res.json()).error, query).toMatchObject({ type: "invalid_request", param });
    }
    const odd = await t.get("/api/v1/runs?__proto__=x&constructor=y&toString=1&limit=1");
    expect(odd.status).toBe(200);
    expect((await odd.json()).data).toHaveLength(1);
  });
});

describe("GET /api/v1/runs/:id", () => {
  it("returns the run with its events in order: input, tool calls with args, results and decisions, then the answer", async () => {
    const run = await (await t.get(`/api/v1/runs/${ids.tools}`)).json();
    expect(run).toMatchObject({ id: ids.tools, status: "succeeded", toolCalls: 2, reply: "I looked around." });
    expect(run.events.map((e: { type: string }) => e.type)).toEqual(["input", "tool", "tool", "text"]);
    const [input, ls, read, answer] = run.events;
    expect(input).toMatchObject({ text: "look around" });
    expect(ls).toMatchObject({ name: "ls", args: { path: "." }, status: "ok", decision: "allow", durationMs: expect.any(Number), callId: expect.any(String) });
    expect(read).toMatchObject({ name: "read", status: "error", decision: "allow", result: expect.any(String) });
    expect(answer).toEqual({ type: "text", text: "I looked around.", at: expect.any(Number) });
    expect(JSON.stringify(run)).not.toContain("sk-live-abcdefghijklmnopqrstuvwxyz123");
  });

  it("shows a failed run with its error and no events but its input", async () => {
    const run = await (await t.get(`/api/v1/runs/${ids.failed}`)).json();
    expect(run).toMatchObject({ status: "failed", errorCode: "bad_request", error: expect.stringContaining("bad things") });
    expect(run.events).toEqual([{ type: "input", text: "fail please", at: expect.any(Number) }]);
  });

  it("answers unknown and prototype-named ids with 404", async () => {
    for (const id of ["run_nope", ...PROTOTYPE_NAMES]) {
      const res = await t.get(`/api/v1/runs/${id}`);
      expect(res.status, id).toBe(404);
      expect((await res.json()).error.type).toBe("not_found");
    }
  });
});

describe("GET /api/v1/runs/stream", () => {
  it("sends run.started and run.finished with the run summary for runs of every session, until the client leaves", async () => {
    // The dispatcher, counting the stream's subscriptions.
    let subscribed = 0;
    const dispatcher = { ...t.app.dispatcher, subscribe: (l: Parameters<Dispatcher["subscribe"]>[0]) => {
      subscribed++;
      const stop = t.app.dispatcher.subscribe(l);
      return () => (subscribed--, stop());
    } };
    const http = createHttpApp({ ctx: { ...t.app, dispatcher }, tokens: { verify: (x) => x === TEST_GATEWAY_TOKEN }, metrics: createGatewayMetrics() });
    const res = await http.request("/api/v1/runs/stream", { headers: AUTH });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const frames = readSse(res);
    expect(await frames.next()).toEqual({ event: "ready", data: {} });
    t.fake.enqueue({ text: "streamed" });
    const outcome = turn("hello stream", "agent:default:test:dm:stream");
    const started = await frames.next();
    const finished = await frames.next();
    const { runId } = await outcome;
    expect(started).toMatchObject({ event: "run.started", data: { id: runId, sessionKey: "agent:default:test:dm:stream", status: "running" } });
    expect(finished).toMatchObject({ event: "run.finished", data: { id: runId, status: "succeeded", reply: "streamed", toolCalls: 0, durationMs: expect.any(Number) } });
    expect(subscribed).toBe(1);
    await frames.close();
    await expect.poll(() => subscribed).toBe(0);
  });

  it("refuses a client without the token", async () => {
    expect((await t.get("/api/v1/runs/stream", {})).status).toBe(401);
  });
});
