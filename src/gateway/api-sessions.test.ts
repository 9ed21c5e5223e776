// The Sessions page's API additions in memory (app.request): message counts and usage in GET /api/v1/sessions, and
// POST /api/v1/sessions/:key/reset, on a core wired by createApp against the fake OpenAI API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { createApp, type App } from "../app.ts";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { makeHome, PROTOTYPE_NAMES, TEST_GATEWAY_TOKEN, type Home } from "../../test/e2e/harness.ts";
import { createHttpApp } from "./http-app.ts";
import { createGatewayMetrics } from "./metrics.ts";

const AUTH = { authorization: `Bearer ${TEST_GATEWAY_TOKEN}` };
const KEY = "agent:default:test:dm:reset-me";
const OTHER = "agent:default:test:dm:keep-me";
let fake: FakeModelServer;
let home: Home;
let app: App;
let http: ReturnType<typeof createHttpApp>;

/** Response bodies are read loosely; the assertions give them their shape. */
type JsonResponse = Omit<Response, "json"> & { json(): Promise<any> };
const request = (path: string, init: RequestInit = {}) => http.request(path, { ...init, headers: { ...AUTH, ...init.headers } }) as Promise<JsonResponse>;

async function turn(sessionKey: string, text: string, input: number): Promise<void> {
  fake.enqueue({ text: `answer to ${text}`, usage: { input, output: 2, cached: 0 } });
  const submit = await app.dispatcher.send({ agentId: "default", sessionKey, channel: "test", text });
  await submit.result;
}

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
  home = await makeHome();
  await home.writeConfig([
    "models:",
    "  providers:",
    `    fake: { type: openai-compatible, base_url: '${fake.baseURL}', api_key: test-key }`,
    "  tiers:",
    "    default: { primary: fake/gpt-4o-mini }",
  ].join("\n"));
  app = await createApp({ env: { PINCER_HOME: home.dir }, logger: pino({ level: "silent" }) });
  http = createHttpApp({ ctx: app, tokens: { verify: (t: string) => t === TEST_GATEWAY_TOKEN }, metrics: createGatewayMetrics() });
  await turn(KEY, "one", 10);
  await turn(KEY, "two", 20);
  await turn(OTHER, "three", 5);
});

afterAll(async () => {
  await app.close();
  await fake.close();
  await home.cleanup();
});

describe("GET /api/v1/sessions", () => {
  it("lists each session with its message count and usage", async () => {
    const list = await (await request("/api/v1/sessions")).json();
    const byKey = new Map(list.data.map((s: { key: string }) => [s.key, s]));
    expect(byKey.get(KEY)).toMatchObject({ key: KEY, channel: "test", messageCount: 4, usage: { inputTokens: 30, outputTokens: 4, cachedTokens: 0 } });
    expect(byKey.get(OTHER)).toMatchObject({ messageCount: 2, usage: { inputTokens: 5, outputTokens: 2 } });
  });
});

describe("POST /api/v1/sessions/:key/reset", () => {
  it("empties the transcript and the model override, keeps the session, its runs and its usage; other sessions are untouched", async () => {
    await app.store.sessions.update(KEY, { modelOverride: "fake/gpt-4.1" });
    const res = await request(`/api/v1/sessions/${encodeURIComponent(KEY)}/reset`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ reset: true, key: KEY, stoppedRunId: null });
    const one = await (await request(`/api/v1/sessions/${encodeURIComponent(KEY)}`)).json();
    expect(one.messages).toEqual([]);
    expect(one.session.modelOverride).toBeUndefined();
    expect(one.usage).toMatchObject({ inputTokens: 30 });
    expect((await (await request(`/api/v1/sessions/${encodeURIComponent(KEY)}/runs`)).json()).data).toHaveLength(2);
    const list = await (await request("/api/v1/sessions")).json();
    expect(list.data.find((s: { key: string }) => s.key === KEY)).toMatchObject({ messageCount: 0, usage: { inputTokens: 30 } });
    expect(list.data.find((s: { key: string }) => s.key === OTHER)).toMatchObject({ messageCount: 2 });
  });

  it("needs the token, and answers unknown sessions (also ones named like prototype members) with 404", async () => {
    expect((await http.request(`/api/v1/sessions/${encodeURIComponent(OTHER)}/reset`, { method: "POST" })).status).toBe(401);
    for (const name of ["agent:default:test:dm:nobody", ...PROTOTYPE_NAMES]) {
      const res = await request(`/api/v1/sessions/${encodeURIComponent(name)}/reset`, { method: "POST" });
      expect(res.status, name).toBe(404);
      expect((await res.json()).error).toEqual({ type: "not_found", message: `session '${name}' not found` });
    }
    expect((await (await request(`/api/v1/sessions/${encodeURIComponent(OTHER)}`)).json()).messages).toHaveLength(2);
  });
});
