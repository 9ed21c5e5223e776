// Unit tests for the agent loop against a scripted in-memory ModelStreamer and ToolRunner: steps, tool results,
// failures, cancellation, steering, usage and events. No network, no store.
import type { ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import type { Usage } from "../core/domain.ts";
import type { RunEvent } from "../core/events.ts";
import type { ToolCall } from "../tools/tool.ts";
import { runAgentLoop, type AgentLoopOptions, type ModelStep, type ModelStreamEvent, type ModelStreamer, type ToolRunner } from "./agent-loop.ts";

type StreamRequest = Parameters<ModelStreamer["stream"]>[0];
/** One model step: the events it streams, or a function of the request returning them. */
type Step = ModelStreamEvent[] | ((req: StreamRequest) => ModelStreamEvent[]);

const usageOf = (inputTokens: number, outputTokens: number): Usage => ({ inputTokens, outputTokens, cachedTokens: 0, costUsd: 0.001 });

function done(opts: { text?: string; toolCalls?: ToolCall[]; usage?: Usage }): ModelStreamEvent {
  const text = opts.text ?? "";
  const toolCalls = opts.toolCalls ?? [];
  const content = [
    ...(text ? [{ type: "text" as const, text }] : []),
    ...toolCalls.map((c) => ({ type: "tool-call" as const, toolCallId: c.id, toolName: c.name, input: c.args })),
  ];
  return {
    type: "done",
    provider: "fake",
    model: "m1",
    finishReason: toolCalls.length > 0 ? "tool-calls" : "stop",
    toolCalls,
    text,
    responseMessages: [{ role: "assistant", content }],
    usage: opts.usage ?? usageOf(10, 5),
  };
}

const call = (id: string, name = "read"): ToolCall => ({ id, name, args: { path: "a.txt" } });

/** Streams the scripted steps in order; records each request with a snapshot of its messages. */
function scriptedModel(steps: Step[]): ModelStreamer & { requests: StreamRequest[] } {
  const requests: StreamRequest[] = [];
  return {
    requests,
    async *stream(req) {
      requests.push({ ...req, messages: [...req.messages] });
      const step = steps[requests.length - 1];
      if (!step) throw new Error(`scriptedModel: no step ${requests.length}`);
      yield* typeof step === "function" ? step(req) : step;
    },
  };
}

/** Answers every call with `results[name]` (default: ok text); `onCall` runs before answering. */
function scriptedTools(
  results: Record<string, { text: string; isError: boolean }> = {},
  onCall: (c: ToolCall) => void = () => {},
): ToolRunner & { calls: ToolCall[] } {
  const calls: ToolCall[] = [];
  return {
    calls,
    specs: () => [{ name: "read", description: "Reads a file.", parameters: { type: "object", properties: {} } }],
    async execute(c) {
      calls.push(c);
      onCall(c);
      return { ...(results[c.name] ?? { text: `${c.name} ok`, isError: false }), decision: "allow" };
    },
  };
}

/** Runs the loop with recording fakes: `persisted` gets every message written, through `persist` or `recordStep`. */
async function runLoop(overrides: Partial<AgentLoopOptions> & Pick<AgentLoopOptions, "models">) {
  const events: RunEvent[] = [];
  const persisted: ModelMessage[] = [];
  const steps: ModelStep[] = [];
  const persist = overrides.persist ?? (async (m: ModelMessage[]) => void persisted.push(...m));
  const result = await runAgentLoop({
    runId: "run-1",
    modelRef: "default",
    system: "system prompt",
    history: [],
    input: "hello",
    maxSteps: 4,
    tools: scriptedTools(),
    signal: new AbortController().signal,
    emit: (e) => events.push(e),
    recordStep: async (step) => {
      steps.push(step);
      await persist(step.messages);
    },
    ...overrides,
    persist,
  });
  return { result, events, persisted, steps };
}

const toolOutputs = (messages: ModelMessage[]) =>
  messages.flatMap((m) => (m.role === "tool" ? m.content.flatMap((p) => (p.type === "tool-result" ? [{ id: p.toolCallId, output: p.output }] : [])) : []));

describe("runAgentLoop", () => {
  it("returns a final answer in one step and persists user + assistant", async () => {
    const models = scriptedModel([[{ type: "text_delta", text: "Hi" }, { type: "text_delta", text: " there" }, done({ text: "Hi there" })]]);

    const { result, events, persisted } = await runLoop({ models });

    expect(result).toMatchObject({ status: "succeeded", reply: "Hi there", model: "fake/m1" });
    expect(events.map((e) => e.type)).toEqual(["text_delta", "text_delta", "step_finished"]);
    expect(persisted.map((m) => m.role)).toEqual(["user", "assistant"]);
  });

  it("sends a result's images to the model as image data while the transcript keeps the text", async () => {
    const models = scriptedModel([[done({ toolCalls: [call("c1", "mcp__s__shot")] })], [done({ text: "a red square" })]]);
    const tools = scriptedTools({ mcp__s__shot: { text: "screenshot\n[image: inbox/mcp/x.png]", isError: false } });
    const rich = { type: "content" as const, value: [{ type: "text" as const, text: "screenshot\n[image: inbox/mcp/x.png]" }, { type: "image-data" as const, data: "iVBORw0KGgo=", mediaType: "image/png" }] };
    const { persisted } = await runLoop({ models, tools, toolResultImages: async (text) => (text.includes("x.png") ? rich : undefined) });
    expect(toolOutputs(models.requests[1]!.messages)).toEqual([{ id: "c1", output: rich }]);
    expect(toolOutputs(persisted)).toEqual([{ id: "c1", output: { type: "text", value: "screenshot\n[image: inbox/mcp/x.png]" } }]);
  });

  it("sends tool results back to the model in a second step", async () => {
    const models = scriptedModel([[done({ toolCalls: [call("c1"), call("c2", "ls")] })], [done({ text: "read it" })]]);
    const tools = scriptedTools({ read: { text: "file body", isError: false }, ls: { text: "no such dir", isError: true } });

    const { result } = await runLoop({ models, tools });

    expect(result).toMatchObject({ status: "succeeded", reply: "read it" });
    expect(toolOutputs(models.requests[1]!.messages)).toEqual([
      { id: "c1", output: { type: "text", value: "file body" } },
      { id: "c2", output: { type: "error-text", value: "no such dir" } },
    ]);
  });

  it("persists the assistant's tool calls before any runs, and each result as soon as its call ends", async () => {
    const models = scriptedModel([[done({ toolCalls: [call("c1"), call("c2")] })], [done({ text: "ok" })]]);
    const persisted: ModelMessage[] = [];
    const seenAtCall: string[][] = [];
    const tools = scriptedTools({}, () => seenAtCall.push(persisted.map((m) => (m.role === "tool" ? `result ${toolOutputs([m])[0]!.id}` : m.role))));

    await runLoop({ models, tools, persist: async (m) => void persisted.push(...m) });

    // What a crash during each call would leave: c1 running → no result yet; c2 running → c1's result recorded.
    expect(seenAtCall).toEqual([["user", "assistant"], ["user", "assistant", "result c1"]]);
  });

  it("continues a resumed run from its messages without sending or persisting the input again", async () => {
    const earlier: ModelMessage[] = [{ role: "user", content: "hello" }, { role: "assistant", content: [{ type: "tool-call", toolCallId: "c1", toolName: "read", input: {} }] }];
    const models = scriptedModel([[done({ text: "done" })]]);

    const { result, persisted } = await runLoop({ models, resume: { messages: earlier, steps: 1 }, maxSteps: 2 });

    expect(result).toMatchObject({ status: "succeeded", reply: "done" });
    expect(models.requests[0]!.messages).toEqual(earlier);
    expect(persisted.map((m) => m.role)).toEqual(["assistant"]);
  });

  it("emits tool_call_start and tool_call_end around each call", async () => {
    const models = scriptedModel([[done({ toolCalls: [call("c1")] })], [done({ text: "ok" })]]);

    const { events } = await runLoop({ models });

    expect(events.filter((e) => e.type.startsWith("tool_call"))).toEqual([
      { type: "tool_call_start", runId: "run-1", callId: "c1", name: "read", args: { path: "a.txt" } },
      { type: "tool_call_end", runId: "run-1", callId: "c1", name: "read", isError: false, decision: "allow", preview: "read ok" },
    ]);
  });

  it("fails with max_steps when the model never stops calling tools", async () => {
    const models = scriptedModel([[done({ toolCalls: [call("c1")] })], [done({ toolCalls: [call("c2")] })]]);

    const { result } = await runLoop({ models, maxSteps: 2 });

    expect(result).toMatchObject({ status: "failed", errorCode: "max_steps" });
    expect(models.requests).toHaveLength(2);
  });

  it("turns a model `failed` event into a failed result with its code", async () => {
    const models = scriptedModel([[{ type: "failed", code: "rate_limited", message: "all providers returned 429" }]]);

    const { result } = await runLoop({ models });

    expect(result).toMatchObject({ status: "failed", errorCode: "rate_limited", error: "all providers returned 429" });
  });

  it("reports a stream that ends without done or failed as failed/unknown", async () => {
    const { result } = await runLoop({ models: scriptedModel([[{ type: "text_delta", text: "partial" }]]) });

    expect(result).toMatchObject({ status: "failed", errorCode: "unknown" });
  });

  it("emits model_failover for attempt_failed", async () => {
    const failover: ModelStreamEvent = { type: "attempt_failed", provider: "p1", model: "m0", code: "overloaded", message: "529" };
    const models = scriptedModel([[failover, done({ text: "ok" })]]);

    const { events } = await runLoop({ models });

    expect(events[0]).toEqual({ type: "model_failover", runId: "run-1", provider: "p1", model: "m0", code: "overloaded", message: "529" });
  });

  it("is cancelled without calling the model when aborted before the first step", async () => {
    const controller = new AbortController();
    controller.abort("cancelled");
    const models = scriptedModel([]);

    const { result, persisted } = await runLoop({ models, signal: controller.signal });

    expect(result.status).toBe("cancelled");
    expect(models.requests).toHaveLength(0);
    expect(persisted.map((m) => m.role)).toEqual(["user"]);
  });

  it("is cancelled when the model stream ends on an aborted signal", async () => {
    const controller = new AbortController();
    const models = scriptedModel([
      () => {
        controller.abort("cancelled");
        return [{ type: "failed", code: "aborted", message: "aborted" }];
      },
    ]);

    const { result } = await runLoop({ models, signal: controller.signal });

    expect(result.status).toBe("cancelled");
  });

  it("answers tool calls skipped by cancellation and stops before the next step", async () => {
    const controller = new AbortController();
    const models = scriptedModel([[done({ toolCalls: [call("c1"), call("c2")] })]]);
    const tools = scriptedTools({}, () => controller.abort("cancelled"));

    const { result, persisted } = await runLoop({ models, tools, signal: controller.signal });

    expect(result.status).toBe("cancelled");
    expect(tools.calls.map((c) => c.id)).toEqual(["c1"]);
    expect(toolOutputs(persisted)).toEqual([
      { id: "c1", output: { type: "text", value: "read ok" } },
      { id: "c2", output: { type: "error-text", value: "cancelled before it ran" } },
    ]);
  });

  it("injects steering as a user message after a tool step", async () => {
    const models = scriptedModel([[done({ toolCalls: [call("c1")] })], [done({ text: "ok" })]]);
    const steering = ["also check b.txt"];

    await runLoop({ models, takeSteering: () => steering.splice(0) });

    expect(models.requests[1]!.messages.slice(-2).map((m) => m.role)).toEqual(["tool", "user"]);
    expect(models.requests[1]!.messages.at(-1)).toEqual({ role: "user", content: "also check b.txt" });
  });

  it("takes another step when steering arrives after a final answer", async () => {
    const models = scriptedModel([[done({ text: "first" })], [done({ text: "second" })]]);
    const steering = ["one more thing", "and another"];

    const { result, persisted } = await runLoop({ models, takeSteering: () => steering.splice(0) });

    expect(result).toMatchObject({ status: "succeeded", reply: "second" });
    expect(persisted.map((m) => m.role)).toEqual(["user", "assistant", "user", "user", "assistant"]);
  });

  it("leaves steering for a follow-up when the final answer used the last step", async () => {
    const models = scriptedModel([[done({ text: "final" })]]);
    const steering = ["too late"];

    const { result } = await runLoop({ models, maxSteps: 1, takeSteering: () => steering.splice(0) });

    expect(result).toMatchObject({ status: "succeeded", reply: "final" });
    expect(steering).toEqual(["too late"]);
  });

  it("sums usage across steps and records it once per step", async () => {
    const models = scriptedModel([[done({ toolCalls: [call("c1")], usage: usageOf(100, 20) })], [done({ text: "ok", usage: usageOf(150, 30) })]]);

    const { result, steps } = await runLoop({ models });

    expect(result.usage).toEqual({ inputTokens: 250, outputTokens: 50, cachedTokens: 0, costUsd: 0.002 });
    expect(steps.map((r) => r.usage.inputTokens)).toEqual([100, 150]);
  });

  it("marks only the step the loop ends with as last: tools run after the others, and a final answer that takes steering is not last", async () => {
    const models = scriptedModel([[done({ toolCalls: [call("c1")] })], [done({ text: "first" })], [done({ text: "second" })]]);
    // Asked after the tool step (nothing), after "first" (one message), after "second" (nothing).
    const steering = [[], ["one more thing"], []];

    const { steps, persisted } = await runLoop({ models, takeSteering: () => steering.shift() ?? [] });

    expect(steps.map((s) => s.last)).toEqual([false, false, true]);
    expect(persisted.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant", "user", "assistant"]);
  });

  it("ends on a last step when the final answer comes with no steering", async () => {
    const models = scriptedModel([[done({ text: "only" })]]);

    const { result, steps } = await runLoop({ models });

    expect(result).toMatchObject({ status: "succeeded", reply: "only" });
    expect(steps).toEqual([{ provider: "fake", model: "m1", usage: usageOf(10, 5), messages: [{ role: "assistant", content: [{ type: "text", text: "only" }] }], last: true }]);
  });
});
