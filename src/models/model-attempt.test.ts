import { APICallError } from "ai";
import type { ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import type { ProviderConfig } from "../core/config-schema.ts";
import { runAttempt } from "./model-attempt.ts";
import type { AttemptOutcome } from "./model-attempt.ts";
import type { Candidate } from "./model-candidates.ts";
import type { ModelEvent, ModelRequest, ToolSpec } from "./model-events.ts";
import { mergePrices } from "./prices.ts";
import type { ProviderCallOptions, ProviderModel, ProviderStreamPart } from "./provider-registry.ts";

const candidate: Candidate = {
  ref: "openai/gpt-4o",
  providerId: "openai",
  modelId: "gpt-4o",
  providerConfig: { type: "openai" } as ProviderConfig,
  authMode: "auto",
  origin: 'model "openai/gpt-4o"',
};

const readFile: ToolSpec = { name: "read_file", description: "Read a file", parameters: { type: "object", properties: { path: { type: "string" } } } };

/** A provider model that records its calls and streams `parts`, or throws `error` from doStream. */
function fakeModel(script: { parts?: ProviderStreamPart[]; error?: unknown }): { model: ProviderModel; calls: ProviderCallOptions[] } {
  const calls: ProviderCallOptions[] = [];
  const model: ProviderModel = {
    specificationVersion: "v3",
    provider: "fake.chat",
    modelId: "gpt-4o",
    supportedUrls: {},
    doGenerate: () => Promise.reject(new Error("not used")),
    doStream: async (options) => {
      calls.push(options);
      if (script.error !== undefined) throw script.error;
      return { stream: ReadableStream.from(script.parts ?? []) };
    },
  };
  return { model, calls };
}

async function attempt(model: ProviderModel, req: Partial<ModelRequest> = {}): Promise<{ events: ModelEvent[]; outcome: AttemptOutcome }> {
  const settings = { loadModel: async () => model, prices: mergePrices(undefined), timeoutMs: 60_000, fetch: undefined, now: () => 0 };
  const full: ModelRequest = { ref: "openai/gpt-4o", system: "Be terse.", messages: [{ role: "user", content: "hi" }], tools: [], signal: new AbortController().signal, ...req };
  const gen = runAttempt(settings, candidate, { apiKey: "sk-test-key-0000000001" }, full);
  const events: ModelEvent[] = [];
  for (;;) {
    const next = await gen.next();
    if (next.done) return { events, outcome: next.value };
    events.push(next.value);
  }
}

function usage(input: number, output: number, cached: number): Extract<ProviderStreamPart, { type: "finish" }>["usage"] {
  return {
    inputTokens: { total: input, noCache: input - cached, cacheRead: cached, cacheWrite: undefined },
    outputTokens: { total: output, text: output, reasoning: undefined },
  };
}

const finish = (unified: "stop" | "tool-calls", u = usage(10, 5, 0)): ProviderStreamPart => ({ type: "finish", finishReason: { unified, raw: undefined }, usage: u });

function text(id: string, ...deltas: string[]): ProviderStreamPart[] {
  return [{ type: "text-start", id }, ...deltas.map((delta): ProviderStreamPart => ({ type: "text-delta", id, delta })), { type: "text-end", id }];
}

const apiError = (statusCode: number, message: string): APICallError =>
  new APICallError({ message, url: "https://api.example/v1/chat/completions", requestBodyValues: {}, statusCode });

describe("model attempt: the prompt sent", () => {
  it("sends the system prompt, the messages and the tools as function tools, once", async () => {
    const { model, calls } = fakeModel({ parts: [...text("t", "ok"), finish("stop")] });
    await attempt(model, { tools: [readFile] });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      prompt: [
        { role: "system", content: "Be terse." },
        { role: "user", content: [{ type: "text", text: "hi" }] },
      ],
      tools: [{ type: "function", name: "read_file", description: "Read a file", inputSchema: readFile.parameters }],
      toolChoice: { type: "auto" },
    });
    expect(calls[0]?.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it("sends no tools and no tool choice when there are none", async () => {
    const { model, calls } = fakeModel({ parts: [...text("t", "ok"), finish("stop")] });
    await attempt(model);
    expect(calls[0]?.tools).toBeUndefined();
    expect(calls[0]?.toolChoice).toBeUndefined();
  });

  it("sends images as file parts with the media type read from their bytes", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    const { model, calls } = fakeModel({ parts: [...text("t", "a chart"), finish("stop")] });
    const messages: ModelMessage[] = [
      { role: "user", content: [{ type: "text", text: "what is this?" }, { type: "text", text: "" }, { type: "image", image: png, mediaType: "image/jpeg" }] },
    ];
    await attempt(model, { messages });
    expect(calls[0]?.prompt[1]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "what is this?", providerOptions: undefined },
        { type: "file", mediaType: "image/png", filename: undefined, data: png, providerOptions: undefined },
      ],
      providerOptions: undefined,
    });
  });

  it("sends back earlier steps: reasoning with its provider options, tool calls, and merged tool results", async () => {
    const { model, calls } = fakeModel({ parts: [...text("t", "done"), finish("stop")] });
    const signature = { anthropic: { signature: "sig-1" } };
    const messages: ModelMessage[] = [
      { role: "user", content: "read both" },
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "two files", providerOptions: signature },
          { type: "text", text: "" },
          { type: "tool-call", toolCallId: "c1", toolName: "read_file", input: { path: "a" } },
          { type: "tool-call", toolCallId: "c2", toolName: "read_file", input: { path: "b" } },
        ],
      },
      { role: "tool", content: [{ type: "tool-result", toolCallId: "c1", toolName: "read_file", output: { type: "text", value: "A" } }] },
      { role: "tool", content: [{ type: "tool-result", toolCallId: "c2", toolName: "read_file", output: { type: "error-text", value: "gone" } }] },
    ];
    await attempt(model, { messages, tools: [readFile] });
    expect(calls[0]?.prompt.slice(2)).toMatchObject([
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "two files", providerOptions: signature },
          { type: "tool-call", toolCallId: "c1", toolName: "read_file", input: { path: "a" } },
          { type: "tool-call", toolCallId: "c2", toolName: "read_file", input: { path: "b" } },
        ],
      },
      {
        role: "tool",
        content: [
          { type: "tool-result", toolCallId: "c1", output: { type: "text", value: "A" } },
          { type: "tool-result", toolCallId: "c2", output: { type: "error-text", value: "gone" } },
        ],
      },
    ]);
    expect(calls[0]?.prompt).toHaveLength(4);
  });

  it("fails without calling the provider when a tool call has no result", async () => {
    const { model, calls } = fakeModel({ parts: [finish("stop")] });
    const messages: ModelMessage[] = [
      { role: "user", content: "go" },
      { role: "assistant", content: [{ type: "tool-call", toolCallId: "c1", toolName: "read_file", input: {} }] },
      { role: "user", content: "and?" },
    ];
    const { outcome } = await attempt(model, { messages });
    expect(outcome).toMatchObject({ ok: false, error: { code: "server_error", message: "openai/gpt-4o: unexpected provider response: tool calls without results in the prompt: c1" } });
    expect(calls).toHaveLength(0);
  });
});

describe("model attempt: the stream read", () => {
  it("yields text deltas and ends with done: text, finish reason, usage with cached tokens and cost", async () => {
    const { model } = fakeModel({
      parts: [{ type: "stream-start", warnings: [] }, { type: "response-metadata", id: "r1" }, ...text("t", "hello", "", " world"), finish("stop", usage(1000, 200, 400))],
    });
    const { events, outcome } = await attempt(model);
    expect(outcome).toEqual({ ok: true });
    expect(events.filter((e) => e.type === "text_delta")).toEqual([
      { type: "text_delta", text: "hello" },
      { type: "text_delta", text: " world" },
    ]);
    const done = events.at(-1) as Extract<ModelEvent, { type: "done" }>;
    expect(done).toMatchObject({
      type: "done",
      provider: "openai",
      model: "gpt-4o",
      finishReason: "stop",
      text: "hello world",
      toolCalls: [],
      responseMessages: [{ role: "assistant", content: [{ type: "text", text: "hello world" }] }],
      usage: { inputTokens: 1000, outputTokens: 200, cachedTokens: 400 },
    });
    expect(done.usage.costUsd).toBeCloseTo((600 * 2.5 + 400 * 1.25 + 200 * 10) / 1e6, 12);
  });

  it("returns tool calls with parsed args, the raw string for invalid JSON, and only the assistant message", async () => {
    const { model } = fakeModel({
      parts: [
        { type: "tool-input-start", id: "c1", toolName: "read_file" },
        { type: "tool-input-delta", id: "c1", delta: '{"path":"a.md"}' },
        { type: "tool-input-end", id: "c1" },
        { type: "tool-call", toolCallId: "c1", toolName: "read_file", input: '{"path":"a.md"}', providerMetadata: { google: { thoughtSignature: "s" } } },
        { type: "tool-call", toolCallId: "c2", toolName: "read_file", input: '{"path": "b.md"' },
        { type: "tool-call", toolCallId: "c3", toolName: "read_file", input: "" },
        finish("tool-calls"),
      ],
    });
    const { events } = await attempt(model, { tools: [readFile] });
    expect(events.at(-1)).toMatchObject({
      type: "done",
      finishReason: "tool-calls",
      text: "",
      toolCalls: [
        { id: "c1", name: "read_file", args: { path: "a.md" } },
        { id: "c2", name: "read_file", args: '{"path": "b.md"' },
        { id: "c3", name: "read_file", args: {} },
      ],
      responseMessages: [
        {
          role: "assistant",
          content: [
            { type: "tool-call", toolCallId: "c1", toolName: "read_file", input: { path: "a.md" }, providerOptions: { google: { thoughtSignature: "s" } } },
            { type: "tool-call", toolCallId: "c2", toolName: "read_file", input: {} },
            { type: "tool-call", toolCallId: "c3", toolName: "read_file", input: {} },
          ],
        },
      ],
    });
    expect((events.at(-1) as Extract<ModelEvent, { type: "done" }>).responseMessages).toHaveLength(1);
  });

  it("refuses tool input with a __proto__ key, as the SDK's JSON parsing does", async () => {
    const input = '{"path":"a","__proto__":{"admin":true}}';
    const { model } = fakeModel({ parts: [{ type: "tool-call", toolCallId: "c1", toolName: "read_file", input }, finish("tool-calls")] });
    const { events } = await attempt(model, { tools: [readFile] });
    expect(events.at(-1)).toMatchObject({ toolCalls: [{ id: "c1", args: input }], responseMessages: [{ content: [{ type: "tool-call", input: {} }] }] });
  });

  it("keeps reasoning (with its provider metadata) before the text in the assistant message, and does not stream it", async () => {
    const { model } = fakeModel({
      parts: [
        { type: "reasoning-start", id: "r" },
        { type: "reasoning-delta", id: "r", delta: "think" },
        { type: "reasoning-delta", id: "r", delta: "ing" },
        { type: "reasoning-end", id: "r", providerMetadata: { anthropic: { signature: "sig" } } },
        ...text("t", "answer"),
        finish("stop"),
      ],
    });
    const { events } = await attempt(model);
    expect(events.map((e) => e.type)).toEqual(["text_delta", "done"]);
    expect(events.at(-1)).toMatchObject({
      text: "answer",
      responseMessages: [
        {
          role: "assistant",
          content: [
            { type: "reasoning", text: "thinking", providerOptions: { anthropic: { signature: "sig" } } },
            { type: "text", text: "answer" },
          ],
        },
      ],
    });
  });

  it("returns no response message for an empty answer", async () => {
    const { model } = fakeModel({ parts: [{ type: "text-start", id: "t" }, { type: "text-end", id: "t" }, finish("stop")] });
    const { events } = await attempt(model);
    expect(events).toMatchObject([{ type: "done", text: "", responseMessages: [] }]);
  });
});

describe("model attempt: errors", () => {
  it("maps an error part like a thrown error, after text too (streamed)", async () => {
    const { model } = fakeModel({ parts: [...text("t", "partial"), { type: "error", error: apiError(529, "Overloaded") }, finish("stop")] });
    const { events, outcome } = await attempt(model);
    expect(events.map((e) => e.type)).toEqual(["text_delta"]);
    expect(outcome).toMatchObject({ ok: false, streamed: true, error: { code: "server_error", retryable: true, message: "openai/gpt-4o: provider error (529): Overloaded" } });
  });

  it("maps an error thrown by doStream, with the credential masked", async () => {
    const { model } = fakeModel({ error: apiError(401, "Incorrect API key provided: sk-test-key-0000000001") });
    const { events, outcome } = await attempt(model);
    expect(events).toEqual([]);
    expect(outcome).toMatchObject({ ok: false, streamed: false, error: { code: "auth_failed", status: 401 } });
    expect((outcome as { error: Error }).error.message).not.toContain("sk-test-key-0000000001");
  });

  it("maps a 429 error part to rate_limited", async () => {
    const { model } = fakeModel({ parts: [{ type: "error", error: apiError(429, "slow down") }] });
    expect((await attempt(model)).outcome).toMatchObject({ ok: false, streamed: false, error: { code: "rate_limited", retryable: true } });
  });

  it("fails a stream that ends without output or a finish part", async () => {
    const { model } = fakeModel({ parts: [{ type: "stream-start", warnings: [] }] });
    expect((await attempt(model)).outcome).toMatchObject({ ok: false, error: { code: "server_error" } });
  });

  it("finishes a stream that has output but no finish part, as 'other' with no usage", async () => {
    const { model } = fakeModel({ parts: text("t", "cut") });
    const { events } = await attempt(model);
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "other", text: "cut", usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 } });
  });

  it("reports a cancelled caller as aborted", async () => {
    const ctl = new AbortController();
    ctl.abort();
    const { model } = fakeModel({ error: new DOMException("aborted", "AbortError") });
    expect((await attempt(model, { signal: ctl.signal })).outcome).toMatchObject({ ok: false, error: { code: "aborted" } });
  });
});
