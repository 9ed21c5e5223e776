// POST /v1/chat/completions and GET /v1/models in memory (app.request) on a core wired by createApp against the fake OpenAI API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { createApp, type App } from "../app.ts";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { makeHome, PROTOTYPE_NAMES, TEST_GATEWAY_TOKEN, type Home } from "../../test/e2e/harness.ts";
import { createHttpApp } from "./http-app.ts";
import { createGatewayMetrics } from "./metrics.ts";

const AUTH = { authorization: `Bearer ${TEST_GATEWAY_TOKEN}`, "content-type": "application/json" };
let fake: FakeModelServer;
let home: Home;
let app: App;
let http: ReturnType<typeof createHttpApp>;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
  home = await makeHome();
  await home.writeConfig(
    [
      "models:",
      "  providers:",
      "    fake: { type: openai-compatible, base_url: '" + fake.baseURL + "', api_key: test-key }",
      "  tiers:",
      "    default: { primary: fake/gpt-4o-mini }",
      "agents:",
      "  default: {}",
      "  ops: {}",
    ].join("\n"),
  );
  app = await createApp({ env: { PINCER_HOME: home.dir }, logger: pino({ level: "silent" }) });
  http = createHttpApp({ ctx: app, tokens: { verify: (t) => t === TEST_GATEWAY_TOKEN }, metrics: createGatewayMetrics({ processMetrics: false }) });
});

afterAll(async () => {
  await app.close();
  await fake.close();
  await home.cleanup();
});

/** Response bodies in these tests are read loosely; the assertions give them their shape. */
type JsonResponse = Omit<Response, "json"> & { json(): Promise<any> };
const chat = (body: unknown, headers: Record<string, string> = {}) =>
  http.request("/v1/chat/completions", { method: "POST", headers: { ...AUTH, ...headers }, body: JSON.stringify(body) }) as Promise<JsonResponse>;
const userSays = (text: string, extra: Record<string, unknown> = {}) => ({ model: "pincer", messages: [{ role: "user", content: text }], ...extra });

/** The `data:` payloads of an SSE body, in order. */
const sseData = (text: string): string[] =>
  text.split("\n\n").flatMap((frame) => frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)));

describe("POST /v1/chat/completions", () => {
  it("returns the model's answer as a chat.completion with usage", async () => {
    fake.enqueue({ text: "Hello from the fake", usage: { input: 20, output: 7, cached: 4 } });
    const res = await chat(userSays("hi", { user: "alice" }));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ object: "chat.completion", model: "pincer", choices: [{ index: 0, message: { role: "assistant", content: "Hello from the fake" }, finish_reason: "stop" }] });
    expect(body.id).toMatch(/^chatcmpl-run_/);
    expect(body.usage).toEqual({ prompt_tokens: 20, completion_tokens: 7, total_tokens: 27, prompt_tokens_details: { cached_tokens: 4 } });
    expect(await app.store.sessions.get("agent:default:openai:dm:alice")).toBeDefined();
  });

  it("streams SSE chunks that concatenate to the answer, then usage and [DONE]", async () => {
    fake.enqueue({ text: "one two three four" });
    const res = await chat(userSays("stream please", { stream: true, stream_options: { include_usage: true } }));
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe("one two three four");
    expect(chunks.filter((c) => c.choices[0]?.delta?.content).length).toBeGreaterThan(1); // live deltas, not one final blob
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1).usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 5 });
  });

  it("streams a queued message's own run, not the run ahead of it", async () => {
    fake.enqueue({ text: "alpha beta", delayMs: 100 }, { text: "gamma delta" });
    const headers = { "x-pincer-session": "agent:default:openai:dm:queued-stream" };
    const first = await chat(userSays("one", { stream: true }), headers);
    const second = await chat(userSays("two", { stream: true }), headers);
    const deltas = async (res: JsonResponse) =>
      sseData(await res.text()).slice(0, -1).map((d) => JSON.parse(d).choices[0]?.delta?.content).filter(Boolean);
    expect(await deltas(first)).toEqual(["alpha", " beta"]);
    expect(await deltas(second)).toEqual(["gamma", " delta"]); // followed live, not the whole-reply fallback
  });

  it("lets the run finish and be recorded when the streaming client disconnects", async () => {
    fake.enqueue({ text: "a long answer nobody reads", chunkDelayMs: 20 });
    const sessionKey = "agent:default:openai:dm:gone";
    const finished = new Promise<string>((resolve) => {
      const off = app.dispatcher.subscribe((e) => {
        if (e.type === "run_finished") {
          off();
          resolve(e.status);
        }
      });
    });
    const res = await chat(userSays("talk", { stream: true }), { "x-pincer-session": sessionKey });
    await res.body!.cancel();
    expect(await finished).toBe("succeeded");
    const [run] = await app.store.runs.list({ sessionKey });
    expect(run).toMatchObject({ status: "succeeded", reply: "a long answer nobody reads" });
  });

  it("keeps history server-side for the x-pincer-session header", async () => {
    fake.requests.length = 0;
    fake.enqueue({ text: "first reply" }, { text: "second reply" });
    const headers = { "x-pincer-session": "agent:default:openai:dm:history-test" };
    await chat(userSays("first question"), headers);
    const res = await chat({ model: "pincer", messages: [{ role: "user", content: "second question" }] }, headers);
    expect((await res.json()).choices[0].message.content).toBe("second reply");
    const sent = fake.requests[1]!.body.messages.map((m: { role: string; content: unknown }) => [m.role, m.content]);
    expect(sent.slice(1)).toEqual([["user", "first question"], ["assistant", "first reply"], ["user", "second question"]]);
  });

  it("routes pincer/<agentId> to that agent", async () => {
    fake.enqueue({ text: "ops here" });
    const res = await chat({ ...userSays("status?"), model: "pincer/ops" });
    expect((await res.json()).choices[0].message.content).toBe("ops here");
    expect(await app.store.sessions.get("agent:ops:openai:dm:default")).toMatchObject({ agentId: "ops" });
  });

  it("answers every prototype name as an unknown model: 404 model_not_found, never a JavaScript error", async () => {
    for (const name of PROTOTYPE_NAMES) {
      const res = await chat({ ...userSays("hi"), model: `pincer/${name}` });
      expect(res.status).toBe(404);
      const { error } = await res.json();
      expect(error).toMatchObject({ type: "invalid_request_error", code: "model_not_found", param: "model" });
      expect(error.message).toBe(`The model 'pincer/${name}' does not exist. Use one of: pincer, pincer/default, pincer/ops`);
    }
  });

  it("rejects bad payloads with 400 naming the field", async () => {
    const cases: Array<[unknown, string]> = [
      [{ messages: [{ role: "user", content: "x" }] }, "model"],
      [{ model: "pincer", messages: [] }, "messages"],
      [{ model: "pincer", messages: [{ role: "user", content: 42 }] }, "messages[0].content"],
      [{ model: 7, messages: [{ role: "user", content: "x" }] }, "model"],
      [userSays("x", { stream: "yes" }), "stream"],
      [{ model: "pincer", messages: [{ role: "assistant", content: "only me" }] }, "messages"],
    ];
    for (const [body, param] of cases) {
      const res = await chat(body);
      expect(res.status).toBe(400);
      const { error } = await res.json();
      expect(error).toMatchObject({ type: "invalid_request_error", param });
      expect(error.message.startsWith(`${param}: `)).toBe(true);
    }
    const missing = await (await chat({ messages: [{ role: "user", content: "x" }] })).json();
    expect(missing.error.message).toBe("model: is required");
  });

  it("answers 404 model_not_found for an unknown agent", async () => {
    const res = await chat({ ...userSays("x"), model: "pincer/nobody" });
    expect(res.status).toBe(404);
    expect((await res.json()).error).toMatchObject({ code: "model_not_found", param: "model" });
  });

  it("answers 502 in OpenAI error shape when the provider fails", async () => {
    fake.enqueue({ error: { status: 400, message: "bad things" } });
    const res = await chat(userSays("fail please", { user: "failing" }));
    expect(res.status).toBe(502);
    expect((await res.json()).error).toMatchObject({ type: "upstream_error", code: "bad_request" });
  });
});

describe("GET /v1/models", () => {
  it("lists pincer and one model per agent", async () => {
    const res = (await http.request("/v1/models", { headers: AUTH })) as JsonResponse;
    const body = await res.json();
    expect(body.object).toBe("list");
    expect(body.data.map((m: { id: string }) => m.id)).toEqual(["pincer", "pincer/default", "pincer/ops"]);
    expect(body.data[0]).toMatchObject({ object: "model", owned_by: "pincer" });
  });
});
