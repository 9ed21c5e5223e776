// The model layer calls provider models directly; this checks its conversions still match what the installed AI SDK's
// streamText sends and returns for the same input, so an SDK upgrade that changes them fails here.
import { jsonSchema, streamText, tool } from "ai";
import type { ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import { toFunctionTools, toProviderPrompt } from "./model-prompt.ts";
import { ModelStep } from "./model-step.ts";
import type { ProviderCallOptions, ProviderModel, ProviderStreamPart } from "./provider-registry.ts";

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);

const history: ModelMessage[] = [
  {
    role: "user",
    content: [
      { type: "text", text: "look" },
      { type: "text", text: "" },
      { type: "image", image: png, mediaType: "image/jpeg" },
      { type: "image", image: "data:image/webp;base64,UklGRg==" },
      { type: "file", data: "JVBERi0=", mediaType: "application/pdf", filename: "x.pdf" },
    ],
  },
  {
    role: "assistant",
    content: [
      { type: "reasoning", text: "hmm", providerOptions: { anthropic: { signature: "s" } } },
      { type: "text", text: "" },
      { type: "text", text: "", providerOptions: { openai: { itemId: "i" } } },
      { type: "text", text: "ok" },
      { type: "tool-call", toolCallId: "c1", toolName: "read", input: { p: 1 } },
      { type: "tool-call", toolCallId: "c2", toolName: "read", input: {} },
    ],
  },
  { role: "tool", content: [{ type: "tool-result", toolCallId: "c1", toolName: "read", output: { type: "text", value: "A" } }], providerOptions: { x: { a: 1 } } },
  {
    role: "tool",
    content: [
      { type: "tool-result", toolCallId: "c2", toolName: "read", output: { type: "content", value: [{ type: "text", text: "t" }, { type: "media", data: "AAA", mediaType: "image/png" }] } },
    ],
  },
  { role: "user", content: "go on" },
  { role: "assistant", content: "plain" },
  { role: "user", content: "again" },
];

const answer: ProviderStreamPart[] = [
  { type: "stream-start", warnings: [] },
  { type: "response-metadata", id: "resp", modelId: "m" },
  { type: "reasoning-start", id: "r1", providerMetadata: { a: { b: 1 } } },
  { type: "reasoning-delta", id: "r1", delta: "th" },
  { type: "reasoning-end", id: "r1", providerMetadata: { a: { sig: "z" } } },
  { type: "text-start", id: "t1" },
  { type: "text-delta", id: "t1", delta: "hel" },
  { type: "text-delta", id: "t1", delta: "lo", providerMetadata: { o: { i: 2 } } },
  { type: "text-end", id: "t1" },
  { type: "text-start", id: "t2" },
  { type: "text-end", id: "t2" },
  { type: "tool-call", toolCallId: "k1", toolName: "read", input: '{"p":2}', providerMetadata: { g: { ts: "q" } } },
  { type: "tool-call", toolCallId: "k2", toolName: "read", input: '{"p":' },
  { type: "tool-call", toolCallId: "k3", toolName: "nope", input: "5" },
  { type: "tool-call", toolCallId: "k4", toolName: "read", input: "" },
  { type: "file", mediaType: "image/png", data: new Uint8Array([1, 2, 3]) },
  {
    type: "finish",
    finishReason: { unified: "tool-calls", raw: "tool_calls" },
    usage: { inputTokens: { total: 100, noCache: 60, cacheRead: 40, cacheWrite: 0 }, outputTokens: { total: 7, text: 7, reasoning: 0 } },
  },
];

function recordingModel(calls: ProviderCallOptions[]): ProviderModel {
  return {
    specificationVersion: "v3",
    provider: "fake.chat",
    modelId: "m",
    supportedUrls: {},
    doGenerate: () => Promise.reject(new Error("not used")),
    doStream: async (options) => {
      calls.push(options);
      return { stream: ReadableStream.from(answer) };
    },
  };
}

/** Compares as the transcript stores values: JSON, bytes as arrays, URLs as strings. */
const asStored = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v instanceof URL ? v.href : v)));

async function viaStreamText() {
  const calls: ProviderCallOptions[] = [];
  const result = streamText({
    model: recordingModel(calls),
    system: "sys",
    messages: history,
    tools: { read: tool({ description: "Read", inputSchema: jsonSchema({ type: "object" }) }) },
    maxRetries: 0,
    onError: () => {},
  });
  const toolCalls: unknown[] = [];
  let finish: { finishReason: string; totalUsage: { inputTokens?: number; outputTokens?: number; cachedInputTokens?: number } } | undefined;
  for await (const part of result.fullStream) {
    if (part.type === "tool-call") toolCalls.push({ id: part.toolCallId, name: part.toolName, args: part.input });
    if (part.type === "finish") finish = part;
  }
  return { call: calls[0]!, toolCalls, finish: finish!, messages: (await result.response).messages };
}

describe("parity with the AI SDK's streamText", () => {
  it("sends the same prompt and tools, and reads the same step from the same stream", async () => {
    const sdk = await viaStreamText();
    const step = new ModelStep([{ name: "read", description: "Read", parameters: { type: "object" } }]);
    for (const part of answer) step.add(part);
    const ours = step.finish();
    if (!ours.ok) throw new Error("the step failed");

    expect(asStored(toProviderPrompt("sys", history))).toEqual(asStored(sdk.call.prompt));
    expect(toFunctionTools([{ name: "read", description: "Read", parameters: { type: "object" } }])).toEqual({ tools: sdk.call.tools, toolChoice: sdk.call.toolChoice });
    // streamText also answers invalid and unknown tool calls with a tool message; the agent loop answers them itself.
    expect(asStored(ours.responseMessages)).toEqual(asStored(sdk.messages.filter((m) => m.role === "assistant")));
    expect(ours.toolCalls).toEqual(sdk.toolCalls);
    expect(ours.finishReason).toBe(sdk.finish.finishReason);
    expect(ours.usage).toEqual({ inputTokens: sdk.finish.totalUsage.inputTokens, outputTokens: sdk.finish.totalUsage.outputTokens, cachedTokens: sdk.finish.totalUsage.cachedInputTokens });
  });
});
