// Drives the fake Anthropic Messages server with the real @ai-sdk/anthropic provider.
import { createAnthropic } from "@ai-sdk/anthropic";
import { APICallError, generateText, jsonSchema, streamText, tool } from "ai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "./index.ts";
import type { FakeModelServer } from "./index.ts";

const KEY = "sk-ant-test";
let server: FakeModelServer;

beforeEach(async () => {
  server = await startFakeAnthropic({ apiKeys: [KEY] });
});
afterEach(() => server.close());

const model = (apiKey = KEY) => createAnthropic({ baseURL: server.baseURL, apiKey })("claude-sonnet-4-5");

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

describe("fake Anthropic via @ai-sdk/anthropic", () => {
  it("streams text in several deltas with usage", async () => {
    server.enqueue({ text: "Hello there, brave new world", usage: { input: 42, output: 7, cached: 30 }, chunkDelayMs: 1 });
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

  it("streams tool_use blocks and records the request", async () => {
    server.enqueue({ text: "Let me check.", toolCalls: [{ name: "weather", args: { city: "Paris", days: 3 }, id: "toolu_a" }] });
    const result = streamText({ model: model(), system: "be brief", prompt: "weather?", tools: { weather } });
    const calls = await result.toolCalls;
    expect(await result.text).toBe("Let me check.");
    expect(await result.finishReason).toBe("tool-calls");
    expect(calls[0]).toMatchObject({ toolCallId: "toolu_a", toolName: "weather", input: { city: "Paris", days: 3 } });

    const req = server.requests[0]!;
    expect(req.path).toBe("/v1/messages");
    expect(req.apiKey).toBe(KEY);
    expect(req.headers["anthropic-version"]).toBe("2023-06-01");
    expect(req.body.stream).toBe(true);
    expect(req.body.system).toEqual([{ type: "text", text: "be brief" }]);
    expect(req.body.messages[0]).toMatchObject({ role: "user", content: [{ type: "text", text: "weather?" }] });
    expect(req.body.tools[0]).toMatchObject({ name: "weather", input_schema: { type: "object" } });
  });

  it("answers non-streaming calls", async () => {
    server.enqueue({ toolCalls: [{ name: "weather", args: { city: "Oslo", days: 1 } }], usage: { input: 5, output: 2 } });
    const result = await generateText({ model: model(), prompt: "weather?", tools: { weather } });
    expect(result.finishReason).toBe("tool-calls");
    expect(result.toolCalls[0]).toMatchObject({ toolName: "weather", input: { city: "Oslo", days: 1 } });
    expect(result.usage.inputTokens).toBe(5);
    expect(result.usage.outputTokens).toBe(2);
  });

  it("surfaces scripted 429 and 529 as APICallErrors", async () => {
    server.enqueue({ error: { status: 429, retryAfterSec: 3 } }, { error: { status: 529 } });
    const e429 = await catchError(generateText({ model: model(), prompt: "hi", maxRetries: 0 }));
    expect(APICallError.isInstance(e429)).toBe(true);
    expect((e429 as APICallError).statusCode).toBe(429);
    expect((e429 as APICallError).responseHeaders?.["retry-after"]).toBe("3");
    expect(JSON.parse((e429 as APICallError).responseBody ?? "{}").error.type).toBe("rate_limit_error");

    const e529 = await catchError(generateText({ model: model(), prompt: "hi", maxRetries: 0 }));
    expect((e529 as APICallError).statusCode).toBe(529);
    expect((e529 as APICallError).message).toBe("Overloaded");
  });

  it("rejects a wrong API key with 401 and accepts Bearer token auth", async () => {
    const err = await catchError(generateText({ model: model("nope"), prompt: "hi", maxRetries: 0 }));
    expect(APICallError.isInstance(err) && err.statusCode).toBe(401);

    const viaToken = createAnthropic({ baseURL: server.baseURL, authToken: KEY })("claude-sonnet-4-5");
    const { text } = await generateText({ model: viaToken, prompt: "hi" });
    expect(text).toBe("ok");
    expect(server.requests[1]!.apiKey).toBe(KEY);
  });

  it("closes hanging requests on server close", async () => {
    server.enqueue({ hang: true });
    const p = generateText({ model: model(), prompt: "hi", maxRetries: 0 });
    await expect.poll(() => server.requests.length).toBe(1);
    await server.close();
    await expect(p).rejects.toThrow();
  });
});
