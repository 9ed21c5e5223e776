// Drives the fake OpenAI Chat Completions server with the real @ai-sdk/openai(-compatible) providers.
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, generateText, jsonSchema, streamText, tool } from "ai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startCannedOpenAI, startFakeOpenAI } from "./index.ts";
import type { FakeModelServer } from "./index.ts";

const KEY = "sk-test-123";
let server: FakeModelServer;

beforeEach(async () => {
  server = await startFakeOpenAI({ apiKeys: [KEY] });
});
afterEach(() => server.close());

const compat = (apiKey = KEY) =>
  createOpenAICompatible({ name: "test", baseURL: server.baseURL, apiKey, includeUsage: true })("gpt-4o-mini");
const openai = (apiKey = KEY) => createOpenAI({ baseURL: server.baseURL, apiKey }).chat("gpt-4o-mini");

const weather = tool({
  description: "Get the weather",
  inputSchema: jsonSchema<{ city: string; days: number }>({
    type: "object",
    properties: { city: { type: "string" }, days: { type: "number" } },
    required: ["city", "days"],
  }),
});

async function catchError(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail("expected rejection"),
    (e: unknown) => e,
  );
}

describe.each([
  ["openai-compatible", compat],
  ["openai", openai],
])("fake OpenAI via %s", (_name, model) => {
  it("streams text in several deltas with usage", async () => {
    server.enqueue({ text: "Hello there, brave new world", usage: { input: 42, output: 7, cached: 30 } });
    const result = streamText({ model: model(), prompt: "hi" });
    const deltas: string[] = [];
    for await (const d of result.textStream) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join("")).toBe("Hello there, brave new world");
    expect(await result.finishReason).toBe("stop");
    const usage = await result.usage;
    expect(usage.inputTokens).toBe(42);
    expect(usage.outputTokens).toBe(7);
    expect(usage.inputTokenDetails.cacheReadTokens).toBe(30);
  });

  it("streams tool calls and records the request body", async () => {
    server.enqueue({ toolCalls: [{ name: "weather", args: { city: "Paris", days: 3 }, id: "call_a" }] });
    const result = streamText({ model: model(), prompt: "weather?", tools: { weather } });
    const calls = await result.toolCalls;
    expect(await result.finishReason).toBe("tool-calls");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ toolCallId: "call_a", toolName: "weather", input: { city: "Paris", days: 3 } });

    const req = server.requests[0]!;
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.apiKey).toBe(KEY);
    expect(req.body.stream).toBe(true);
    expect(req.body.messages).toEqual([{ role: "user", content: "weather?" }]);
    expect(req.body.tools[0].function.name).toBe("weather");
  });

  it("answers non-streaming calls with text and tool calls", async () => {
    server.enqueue({ text: "Checking.", toolCalls: [{ name: "weather", args: { city: "Oslo", days: 1 } }], usage: { input: 5, output: 2 } });
    const result = await generateText({ model: model(), prompt: "weather?", tools: { weather } });
    expect(result.text).toBe("Checking.");
    expect(result.finishReason).toBe("tool-calls");
    expect(result.toolCalls[0]).toMatchObject({ toolName: "weather", input: { city: "Oslo", days: 1 } });
    expect(result.usage.inputTokens).toBe(5);
    expect(result.usage.outputTokens).toBe(2);
  });

  it("surfaces a scripted 429 as APICallError with retry-after", async () => {
    server.enqueue({ error: { status: 429, retryAfterSec: 7 } });
    const err = await catchError(generateText({ model: model(), prompt: "hi", maxRetries: 0 }));
    expect(APICallError.isInstance(err)).toBe(true);
    const e = err as APICallError;
    expect(e.statusCode).toBe(429);
    expect(e.isRetryable).toBe(true);
    expect(e.responseHeaders?.["retry-after"]).toBe("7");
  });

  it("rejects a wrong API key with 401", async () => {
    const err = await catchError(generateText({ model: model("sk-wrong"), prompt: "hi", maxRetries: 0 }));
    expect(APICallError.isInstance(err) && err.statusCode).toBe(401);
    expect(server.requests[0]!.apiKey).toBe("sk-wrong");
  });
});

describe("fake OpenAI extras", () => {
  it("uses the fallback when the queue is empty and lists models", async () => {
    server.setFallback((req) => ({ text: `echo ${req.body.messages.at(-1).content}` }));
    const { text } = await generateText({ model: compat(), prompt: "ping" });
    expect(text).toBe("echo ping");

    const res = await fetch(`${server.baseURL}/models`, { headers: { authorization: `Bearer ${KEY}` } });
    const list = (await res.json()) as { object: string; data: { id: string }[] };
    expect(list.object).toBe("list");
    expect(list.data.map((m) => m.id)).toContain("gpt-4o-mini");
  });

  it("hangs until the client aborts", async () => {
    server.enqueue({ hang: true });
    const p = generateText({ model: compat(), prompt: "hi", maxRetries: 0, abortSignal: AbortSignal.timeout(100) });
    await expect(p).rejects.toThrow();
    expect(server.requests).toHaveLength(1);
  });
});

describe("canned fake OpenAI", () => {
  it("answers streamed and plain calls with its one reply and usage, and 404s other routes", async () => {
    const canned = await startCannedOpenAI({ text: "pong pong", usage: { input: 50, output: 2 } });
    try {
      const model = createOpenAICompatible({ name: "canned", baseURL: canned.baseURL, apiKey: "any", includeUsage: true })("gpt-4o-mini");
      const streamed = streamText({ model, prompt: "hi", maxRetries: 0 });
      expect(await streamed.text).toBe("pong pong");
      expect((await streamed.usage).inputTokens).toBe(50);
      const plain = await generateText({ model, prompt: "hi", maxRetries: 0 });
      expect(plain.text).toBe("pong pong");
      expect(plain.usage.outputTokens).toBe(2);
      expect((await fetch(`${canned.baseURL}/models`)).status).toBe(404);
      expect(canned.answered()).toBe(2);
    } finally {
      await canned.close();
    }
  });
});

describe("fake OpenAI embeddings", () => {
  it("answers the AI SDK's embedMany with deterministic, normalised vectors that share concepts", async () => {
    const { embedMany } = await import("ai");
    const model = createOpenAI({ baseURL: server.baseURL, apiKey: KEY }).embedding("text-embedding-3-small");
    const { embeddings, usage } = await embedMany({ model, values: ["car service", "automobile service", "tomato soup"] });
    expect(embeddings).toHaveLength(3);
    const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    expect(dot(embeddings[0]!, embeddings[0]!)).toBeCloseTo(1);
    expect(dot(embeddings[0]!, embeddings[1]!)).toBeCloseTo(1);
    expect(dot(embeddings[0]!, embeddings[2]!)).toBeLessThan(0.5);
    expect(usage.tokens).toBe(6);
    expect(server.requests.at(-1)?.path).toBe("/v1/embeddings");
  });
});
