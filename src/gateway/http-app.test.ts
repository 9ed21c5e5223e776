// The HTTP app in memory (app.request): probes, bearer auth, rate limit, /metrics, the /api/v1 JSON API and error shapes,
// on a core wired by createApp against the fake OpenAI API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { createApp, type App } from "../app.ts";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { makeHome, PROTOTYPE_NAMES, TEST_GATEWAY_TOKEN, type Home } from "../../test/e2e/harness.ts";
import { createAuthLockout } from "./auth-lockout.ts";
import type { GatewayContext } from "./gateway-context.ts";
import { createHttpApp, type HttpAppOptions } from "./http-app.ts";
import { createGatewayMetrics, type GatewayMetrics } from "./metrics.ts";

const AUTH = { authorization: `Bearer ${TEST_GATEWAY_TOKEN}` };
const tokens = { verify: (t: string) => t === TEST_GATEWAY_TOKEN };
let fake: FakeModelServer;
let home: Home;
let app: App;
let metrics: GatewayMetrics;
let unobserve: () => void;
let http: ReturnType<typeof createHttpApp>;
let firstRunId: string;

const providers = (baseURL: string): string[] => [
  "models:",
  "  providers:",
  `    fake: { type: openai-compatible, base_url: '${baseURL}', api_key: test-key }`,
  "    spare: { type: openai-compatible, base_url: 'http://127.0.0.1:9/v1', api_key: sk-secret-123456789 }",
  "  tiers:",
];

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
  home = await makeHome();
  await home.writeConfig([...providers(fake.baseURL), "    default: { primary: fake/gpt-4o-mini }"].join("\n"));
  app = await createApp({ env: { PINCER_HOME: home.dir }, logger: pino({ level: "silent" }) });
  metrics = createGatewayMetrics();
  unobserve = metrics.observe(app);
  http = createHttpApp({ ctx: app, tokens, metrics });
  fake.enqueue({ text: "recorded answer", usage: { input: 30, output: 6, cached: 3 } });
  const submit = await app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:test:dm:api", channel: "test", text: "hello api" });
  firstRunId = (await submit.result).runId;
});

afterAll(async () => {
  unobserve();
  await app.close();
  await fake.close();
  await home.cleanup();
});

/** Response bodies in these tests are read loosely; the assertions give them their shape. */
type JsonResponse = Omit<Response, "json"> & { json(): Promise<any> };
const get = (path: string, headers: Record<string, string> = AUTH, on = http) => on.request(path, { headers }) as Promise<JsonResponse>;

describe("probes and auth", () => {
  it("serves /healthz and /readyz without a token", async () => {
    expect(await (await get("/healthz", {})).json()).toEqual({ ok: true });
    const ready = await get("/readyz", {});
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, checks: { store: "ok", providers: "ok" } });
  });

  it("stays ready while chat channels connect, listing each enabled account's state in /readyz", async () => {
    const config = { ...app.config, channels: { telegram: { accounts: { default: { enabled: true }, old: { enabled: false } } }, slack: { accounts: { work: { enabled: true } } } } } as unknown as GatewayContext["config"];
    const channels = { webhook: () => undefined, stats: { inbound: new Map(), replies: new Map() }, status: () => [{ channel: "slack", account: "work", state: "connected", since: 0 }] };
    const connecting = createHttpApp({ ctx: { ...app, config, channels }, tokens, metrics: createGatewayMetrics() });
    const ready = await get("/readyz", {}, connecting);
    expect(ready.status).toBe(200);
    expect((await ready.json()).channels).toEqual({ "telegram/default": "starting", "slack/work": "connected" });
  });

  it("serves the WebChat page without a token (it holds no data), and nothing else; gateway.webchat: false turns it off", async () => {
    const page = await get("/", {});
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect((await get("/api/v1/sessions", {})).status).toBe(401);
    const off = createHttpApp({ ctx: { ...app, config: { ...app.config, gateway: { ...app.config.gateway, webchat: false } } }, tokens, metrics: createGatewayMetrics() });
    expect((await get("/", {}, off)).status).toBe(401);
    expect((await get("/", AUTH, off)).status).toBe(404);
  });

  it("refuses a request whose Host is not this machine (DNS rebinding) with 403 naming gateway.allowed_hosts; /healthz stays open", async () => {
    const rebound = await get("/v1/models", { ...AUTH, host: "evil.example:18790" });
    expect(rebound.status).toBe(403);
    expect((await rebound.json()).error).toEqual({ type: "forbidden_host", message: expect.stringContaining("add the name to gateway.allowed_hosts") });
    expect((await get("/", { host: "evil.example" })).status).toBe(403);
    expect((await get("/readyz", { host: "evil.example" })).status).toBe(403);
    expect((await get("/healthz", { host: "evil.example" })).status).toBe(200);
    expect((await get("/v1/models", { ...AUTH, host: "127.0.0.1:18790" })).status).toBe(200);
    const proxied = createHttpApp({ ctx: { ...app, config: { ...app.config, gateway: { ...app.config.gateway, allowed_hosts: ["pincer.example.com"] } } }, tokens, metrics });
    expect((await get("/v1/models", { ...AUTH, host: "pincer.example.com" }, proxied)).status).toBe(200);
  });

  it("answers 401 with the reason for a missing, malformed or wrong token", async () => {
    const missing = await get("/v1/models", {});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: { type: "unauthorized", message: "missing Authorization header. Fix: send 'Authorization: Bearer <gateway token>'" } });
    expect((await (await get("/v1/models", { authorization: "Basic abc" })).json()).error.message).toMatch(/^malformed/);
    expect((await (await get("/api/v1/sessions", { authorization: "Bearer nope" })).json()).error.message).toMatch(/^invalid token/);
    expect((await get("/no/such/route", {})).status).toBe(401);
  });

  it("answers 429 with Retry-After once a client exceeds the limit, and resets after the window", async () => {
    let t = 5_000_000;
    const limited = createHttpApp({ ctx: app, tokens, metrics, rateLimit: { perMinute: 2 }, now: () => t });
    expect((await get("/v1/models", AUTH, limited)).status).toBe(200);
    expect((await get("/v1/models", AUTH, limited)).status).toBe(200);
    t += 20_000;
    const refused = await get("/v1/models", AUTH, limited);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("40");
    expect((await refused.json()).error.type).toBe("rate_limited");
    expect((await get("/v1/models", { authorization: "Bearer wrong" }, limited)).status).toBe(401); // another client
    t += 40_000;
    expect((await get("/v1/models", AUTH, limited)).status).toBe(200);
  });

  it("locks an address out after repeated wrong tokens: 429 + Retry-After without checking the token, backing off", async () => {
    let t = 7_000_000;
    const guarded = createHttpApp({ ctx: app, tokens, metrics, now: () => t, authLockout: createAuthLockout({ now: () => t, freeFailures: 3, baseMs: 10_000 }) });
    const from = (addr: string, authorization: string) =>
      guarded.request("/v1/models", { headers: { authorization } }, { incoming: { socket: { remoteAddress: addr } } }) as Promise<JsonResponse>;
    const good = AUTH.authorization;
    for (let i = 0; i < 3; i++) expect((await from("203.0.113.9", `Bearer guess-${i}`)).status).toBe(401);
    expect((await from("203.0.113.9", "Bearer guess-3")).status).toBe(401); // counted: now locked for 10 s
    const locked = await from("203.0.113.9", good);
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).toBe("10");
    expect(await locked.json()).toEqual({ error: { type: "rate_limited", message: "too many failed authentication attempts from this address; retry after 10 s" } });
    expect((await from("198.51.100.1", good)).status).toBe(200); // another address is not affected
    t += 10_000;
    expect((await from("203.0.113.9", "Bearer guess-4")).status).toBe(401);
    expect((await from("203.0.113.9", good)).headers.get("retry-after")).toBe("20"); // the lockout doubled
    t += 20_000;
    expect((await from("203.0.113.9", good)).status).toBe(200);
    expect((await from("203.0.113.9", "")).status).toBe(401); // a missing token guesses nothing and locks nothing
  });

  it("counts a channel webhook's 401 answers per address and account, and locks the address out of that webhook (any Host)", async () => {
    let t = 8_000_000;
    const hooks: string[] = [];
    const channels = {
      webhook: (path: string) =>
        path === "/channels/telegram/default/webhook"
          ? async (req: Request) => (hooks.push(req.headers.get("x-secret") ?? ""), new Response(null, { status: req.headers.get("x-secret") === "right" ? 200 : 401 }))
          : undefined,
      status: () => [],
      stats: { inbound: new Map<string, number>(), replies: new Map<string, number>() },
    };
    const guarded = createHttpApp({ ctx: { ...app, channels }, tokens, metrics, now: () => t, authLockout: createAuthLockout({ now: () => t, freeFailures: 2 }) });
    const post = (secret: string) =>
      guarded.request("/channels/telegram/default/webhook", { method: "POST", headers: { "x-secret": secret, host: "bot.example.com" }, body: "{}" }, { incoming: { socket: { remoteAddress: "192.0.2.5" } } });
    expect([(await post("a")).status, (await post("b")).status, (await post("c")).status]).toEqual([401, 401, 401]);
    const locked = await post("right");
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).toBe("1");
    expect(hooks).toEqual(["a", "b", "c"]); // the locked-out request never reached the adapter
    t += 1_000;
    expect((await post("right")).status).toBe(200);
  });

  it("reports 503 from /readyz and the chat endpoint when the default tier has no credential", async () => {
    const bare = await makeHome();
    await bare.writeConfig(["models:", "  tiers:", "    default: { primary: openai/gpt-4o-mini }"].join("\n"));
    const core = await createApp({ env: { PINCER_HOME: bare.dir }, logger: pino({ level: "silent" }) });
    try {
      const h = createHttpApp({ ctx: core, tokens, metrics: createGatewayMetrics() });
      const ready = await get("/readyz", {}, h);
      expect(ready.status).toBe(503);
      const body = await ready.json();
      expect(body.checks.store).toBe("ok");
      expect(body.checks.providers).toMatch(/openai/);
      const body2 = JSON.stringify({ model: "pincer", messages: [{ role: "user", content: "hi" }] });
      const chat = (await h.request("/v1/chat/completions", { method: "POST", headers: { ...AUTH, "content-type": "application/json" }, body: body2 })) as JsonResponse;
      expect(chat.status).toBe(503);
      expect((await chat.json()).error).toMatchObject({ code: "missing_credential" });
    } finally {
      await core.close();
      await bare.cleanup();
    }
  });
});

describe("probes: an unset api_key_env", () => {
  it("makes /readyz and the chat endpoint answer 503 naming the variable, and nothing reaches the provider", async () => {
    const local = await makeHome();
    await local.writeConfig(["models:", "  providers:", `    local: { type: openai-compatible, base_url: '${fake.baseURL}', api_key_env: OPENAI_KEY }`,
      "  tiers:", "    default: { primary: local/gpt-4o-mini }"].join("\n"));
    const core = await createApp({ env: { PINCER_HOME: local.dir }, logger: pino({ level: "silent" }) });
    const before = fake.requests.length;
    try {
      const h = createHttpApp({ ctx: core, tokens, metrics: createGatewayMetrics() });
      const ready = await get("/readyz", {}, h);
      expect(ready.status).toBe(503);
      expect((await ready.json()).checks.providers).toMatch(/^models\.providers\.local\.api_key_env: OPENAI_KEY is not set \(provider "local", tier "default"/);
      const body = JSON.stringify({ model: "pincer", messages: [{ role: "user", content: "hi" }] });
      const chat = (await h.request("/v1/chat/completions", { method: "POST", headers: { ...AUTH, "content-type": "application/json" }, body })) as JsonResponse;
      expect(chat.status).toBe(503);
      expect((await chat.json()).error).toMatchObject({ code: "missing_credential" });
      expect(fake.requests.length).toBe(before);
    } finally {
      await core.close();
      await local.cleanup();
    }
  });
});

describe("/metrics", () => {
  it("exposes run, token and HTTP metrics in Prometheus text", async () => {
    const res = await get("/metrics");
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain('pincer_runs_total{status="succeeded"} 1');
    expect(text).toContain('pincer_model_step_tokens_total{provider="fake",model="gpt-4o-mini",kind="cached"} 3');
    expect(text).toContain("pincer_queue_depth 0");
    expect(text).toContain('pincer_http_requests_total{route="/v1/models",status="200"}');
    expect(text).toContain('pincer_http_requests_total{route="/readyz",status="200"} 1');
    expect(text).toContain('pincer_http_requests_total{route="unmatched",status="401"} 1');
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(() => createGatewayMetrics()).not.toThrow();
  });
});

describe("/api/v1", () => {
  it("lists sessions and shows one with usage and messages; unknown ones are 404", async () => {
    const list = await (await get("/api/v1/sessions?agent=default&limit=5")).json();
    expect(list.data.map((s: { key: string }) => s.key)).toContain("agent:default:test:dm:api");
    const one = await (await get("/api/v1/sessions/agent:default:test:dm:api")).json();
    expect(one.usage).toMatchObject({ inputTokens: 30, outputTokens: 6, cachedTokens: 3 });
    expect(one.messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
    expect((await get("/api/v1/sessions/agent:default:test:dm:nobody")).status).toBe(404);
    const runs = await (await get("/api/v1/sessions/agent:default:test:dm:api/runs")).json();
    expect(runs.data[0].id).toBe(firstRunId);
  });

  it("titles a session from its first message, finds it by ?q=, renames it with PATCH and refuses bad titles naming the field", async () => {
    const key = "agent:default:test:dm:api";
    const found = await (await get("/api/v1/sessions?q=HELLO%20API")).json();
    expect(found.data.map((s: { key: string; title?: string }) => [s.key, s.title])).toEqual([[key, "hello api"]]);
    expect((await (await get("/api/v1/sessions?q=no%20such%20words")).json()).data).toEqual([]);
    const patch = (body: string, path = `/api/v1/sessions/${key}`) =>
      http.request(path, { method: "PATCH", headers: { ...AUTH, "content-type": "application/json" }, body }) as Promise<JsonResponse>;
    const renamed = await patch(JSON.stringify({ title: "  Greetings  " }));
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ key, title: "Greetings" });
    expect((await (await get(`/api/v1/sessions/${key}`)).json()).session.title).toBe("Greetings");
    for (const [body, message] of [
      ['{"title":""}', "title: must not be empty"], ['{"title":5}', "title: Invalid input: expected string, received number"],
      [JSON.stringify({ title: "x".repeat(201) }), "title: must be at most 200 characters"], ['{"title":"a","key":"b"}', "body: unknown field(s) key"], ["not json", "the body is not valid JSON"],
    ]) {
      const res = await patch(body!);
      expect(res.status, body).toBe(400);
      expect((await res.json()).error.message, body).toBe(message);
    }
    expect((await patch('{"title":"x"}', "/api/v1/sessions/agent:default:test:dm:nobody")).status).toBe(404);
    expect((await patch(JSON.stringify({ title: "x".repeat(10_000) }))).status).toBe(413);
  });

  it("lists and shows runs, filtered by status and session", async () => {
    const runs = await (await get("/api/v1/runs?status=succeeded,failed&session=agent:default:test:dm:api&limit=10")).json();
    expect(runs.data.map((r: { id: string }) => r.id)).toEqual([firstRunId]);
    expect(await (await get(`/api/v1/runs/${firstRunId}`)).json()).toMatchObject({ status: "succeeded", reply: "recorded answer" });
    const missing = await get("/api/v1/runs/run_nope");
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.type).toBe("not_found");
  });

  it("totals usage per provider/model with a grand total", async () => {
    const usage = await (await get("/api/v1/usage?since=0")).json();
    expect(usage.data[0]).toMatchObject({ provider: "fake", model: "gpt-4o-mini", inputTokens: 30 });
    expect(usage.total).toMatchObject({ inputTokens: 30, outputTokens: 6, calls: 1 });
    const future = await (await get(`/api/v1/usage?since=${Date.now() + 60_000}`)).json();
    expect(future.total.calls).toBe(0);
  });

  it("lists audit records, stops a session, and shows config without secrets", async () => {
    expect((await get("/api/v1/audit?kind=tool.call&limit=5")).status).toBe(200);
    const stop = (await http.request("/api/v1/sessions/agent:default:test:dm:api/stop", { method: "POST", headers: AUTH })) as JsonResponse;
    expect(await stop.json()).toEqual({ stopped: false, runId: null, dropped: 0 });
    const config = await (await get("/api/v1/config")).text();
    expect(config).toContain('"spare"');
    expect(config).not.toContain("sk-secret-123456789");
    expect(config).not.toContain("test-key");
  });

  it("deletes a session with its transcript and runs, keeping usage; 404 when unknown", async () => {
    const key = "agent:default:test:dm:todelete";
    fake.enqueue({ text: "soon gone" });
    const { runId } = await (await app.dispatcher.send({ agentId: "default", sessionKey: key, channel: "test", text: "delete me" })).result;
    const del = () => http.request(`/api/v1/sessions/${key}`, { method: "DELETE", headers: AUTH }) as Promise<JsonResponse>;
    const res = await del();
    expect(await res.json()).toEqual({ deleted: true, key });
    expect((await get(`/api/v1/sessions/${key}`)).status).toBe(404);
    expect((await get(`/api/v1/runs/${runId}`)).status).toBe(404);
    expect((await del()).status).toBe(404);
  });

  it("answers ids named like prototype members with 404", async () => {
    for (const name of PROTOTYPE_NAMES) {
      for (const path of [`/api/v1/sessions/${name}`, `/api/v1/sessions/agent:${name}:test:dm:x`, `/api/v1/sessions/${name}/runs`, `/api/v1/runs/${name}`]) {
        const res = await get(path);
        expect(res.status, path).toBe(404);
        expect((await res.json()).error.type).toBe("not_found");
      }
      const stop = await http.request(`/api/v1/sessions/${name}/stop`, { method: "POST", headers: AUTH });
      expect(stop.status).toBe(404);
    }
  });

  it("rejects bad query parameters with 400 naming the parameter", async () => {
    for (const [path, param] of [["/api/v1/sessions?limit=0", "limit"], ["/api/v1/runs?limit=abc", "limit"], ["/api/v1/runs?status=done", "status"], ["/api/v1/usage?since=-5", "since"], ["/api/v1/audit?limit=501", "limit"]] as const) {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatchObject({ type: "invalid_request", param });
    }
  });
});

describe("errors", () => {
  it("answers unknown routes with 404 JSON and thrown bugs with 500 JSON, logging the error", async () => {
    expect(await (await get("/api/v1/nothing")).json()).toEqual({ error: { type: "not_found", message: "no route for GET /api/v1/nothing" } });
    const lines: string[] = [];
    const log = pino({ level: "error" }, { write: (l: string) => void lines.push(l) });
    const broken: GatewayContext = { ...app, log, store: { ...app.store, runs: { ...app.store.runs, get: () => Promise.reject(new Error("boom")) } } };
    const opts: HttpAppOptions = { ctx: broken, tokens, metrics };
    const res = await get("/api/v1/runs/x", AUTH, createHttpApp(opts));
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("boom");
    expect(lines.join("")).toContain("boom");
  });
});
