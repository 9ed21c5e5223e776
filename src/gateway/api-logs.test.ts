// /api/v1/logs and /api/v1/logs/stream in memory: the newest lines of the log file with filters, secrets masked, the
// live tail (filtered, unsubscribed when the client leaves), bad parameters, and a process without a log file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH, openApiTestApp, type ApiTestApp } from "../../test/support/api-app.ts";
import { TEST_GATEWAY_TOKEN } from "../../test/e2e/harness.ts";
import { readSse } from "../../test/support/sse.ts";
import type { GatewayContext } from "./gateway-context.ts";
import { createHttpApp } from "./http-app.ts";
import { createGatewayMetrics } from "./metrics.ts";

let t: ApiTestApp;
let startedAt: number;

beforeAll(async () => {
  t = await openApiTestApp();
  startedAt = Date.now();
  const log = t.app.log.child({ component: "test.logs" });
  log.info({ chatId: 7 }, "message received");
  log.warn({ api_key: "sk-proj-SECRETSECRETSECRETSECRET" }, "provider slow with key sk-proj-SECRETSECRETSECRETSECRET");
  log.error({ code: "auth_failed" }, "channel telegram/default failed");
});
afterAll(() => t.close());

describe("GET /api/v1/logs", () => {
  it("returns the newest lines oldest first, with fields, filtered by level, text and time; secrets masked", async () => {
    const body = await (await t.get(`/api/v1/logs?since=${startedAt}`)).json();
    expect(body.file).toBe(t.logFile.path);
    expect(body.data.map((l: { msg: string }) => l.msg)).toEqual(["message received", "provider slow with key sk-***", "channel telegram/default failed"]);
    expect(body.data[0]).toEqual({ time: expect.any(Number), level: "info", msg: "message received", component: "test.logs", fields: { chatId: 7 } });
    expect(JSON.stringify(body)).not.toContain("SECRETSECRET");
    const msgs = async (q: string) => ((await (await t.get(`/api/v1/logs?since=${startedAt}&${q}`)).json()).data as Array<{ msg: string }>).map((l) => l.msg);
    expect(await msgs("level=warn")).toEqual(["provider slow with key sk-***", "channel telegram/default failed"]);
    expect(await msgs("q=TELEGRAM")).toEqual(["channel telegram/default failed"]);
    expect(await msgs("q=auth_failed")).toEqual(["channel telegram/default failed"]);
    expect(await msgs("limit=1")).toEqual(["channel telegram/default failed"]);
  });

  it("answers bad parameters with 400 naming them", async () => {
    for (const [query, param] of [["level=loud", "level"], ["limit=0", "limit"], ["limit=1001", "limit"], ["since=later", "since"], [`q=${"x".repeat(201)}`, "q"]] as const) {
      const res = await t.get(`/api/v1/logs?${query}`);
      expect(res.status, query).toBe(400);
      expect((await res.json()).error, query).toMatchObject({ type: "invalid_request", param });
    }
    expect((await t.get("/api/v1/logs/stream?level=loud")).status).toBe(400);
  });

  it("is a 404 in a process that writes no log file", async () => {
    const http = createHttpApp({ ctx: { ...t.app, logFile: undefined } as GatewayContext, tokens: { verify: (x) => x === TEST_GATEWAY_TOKEN }, metrics: createGatewayMetrics() });
    const res = (await http.request("/api/v1/logs", { headers: AUTH })) as Response;
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("writes no log file");
  });
});

describe("GET /api/v1/logs/stream", () => {
  it("streams new lines that pass the filter, and stops listening when the client leaves", async () => {
    let listeners = 0;
    const logFile = { ...t.logFile, subscribe: (l: (line: string) => void) => {
      listeners++;
      const stop = t.logFile.subscribe(l);
      return () => (listeners--, stop());
    } };
    const http = createHttpApp({ ctx: { ...t.app, logFile } as GatewayContext, tokens: { verify: (x) => x === TEST_GATEWAY_TOKEN }, metrics: createGatewayMetrics() });
    const res = (await http.request("/api/v1/logs/stream?level=warn&q=disk", { headers: AUTH })) as Response;
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const frames = readSse(res);
    expect(await frames.next()).toEqual({ event: "ready", data: { file: t.logFile.path } });
    const log = t.app.log.child({ component: "storage" });
    log.info("disk ok"); // below the level
    log.warn("network slow"); // does not match q
    log.warn({ freeMb: 12, password: "hunter2-secret" }, "disk almost full");
    expect(await frames.next()).toEqual({ event: "log", data: { time: expect.any(Number), level: "warn", msg: "disk almost full", component: "storage", fields: { freeMb: 12, password: "***" } } });
    expect(listeners).toBe(1);
    await frames.close();
    await expect.poll(() => listeners).toBe(0);
  });
});
