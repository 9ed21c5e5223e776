// The agent loop: model step → tool calls through the gate → model step … until a final answer.
// It persists the transcript as it goes (each tool result as soon as its call ends) and emits RunEvents; it does not
// choose sessions, queues or providers.
import type { ModelMessage, ToolResultPart, UserContent } from "ai";
import type { Usage } from "../core/domain.ts";
import { addUsage, ZERO_USAGE } from "../core/domain.ts";
import { TOOL_PREVIEW_CHARS, type RunEvent } from "../core/events.ts";
import type { ToolCall } from "../tools/tool.ts";
import type { BudgetPayer } from "../models/model-events.ts";

/** What the loop needs from the model layer (the ModelRouter satisfies it). */
export interface ModelStreamer {
  stream(req: {
    ref: string;
    system: string;
    messages: ModelMessage[];
    tools: Array<{ name: string; description: string; parameters: object }>;
    signal: AbortSignal;
    /** Who pays: the budgets matching it are checked before the call. */
    budget?: BudgetPayer;
  }): AsyncIterable<ModelStreamEvent>;
}

export type ModelStreamEvent =
  | { type: "text_delta"; text: string }
  | { type: "attempt_failed"; provider: string; model: string; code: string; message: string }
  | {
      type: "done";
      provider: string;
      model: string;
      finishReason: string;
      toolCalls: ToolCall[];
      text: string;
      responseMessages: ModelMessage[];
      usage: Usage;
    }
  | { type: "failed"; code: string; message: string };

/** What the loop needs from the tool gate. */
export interface ToolRunner {
  specs(): Array<{ name: string; description: string; parameters: object }>;
  /** Contract: never throws. */
  execute(call: ToolCall, signal: AbortSignal): Promise<{ text: string; isError: boolean; decision: "allow" | "deny" }>;
}

export interface AgentLoopOptions {
  runId: string;
  modelRef: string;
  system: string;
  /** Prior transcript, oldest first, ending before this turn's input. */
  history: ModelMessage[];
  input: string;
  /** What the model sees for this turn's input when it is richer than the text (images); the transcript keeps `input`. */
  inputContent?: UserContent;
  /** The transcript holds `inputMessage(input)` already (the run was created with it): it is not persisted again. */
  inputPersisted?: boolean;
  maxSteps: number;
  models: ModelStreamer;
  tools: ToolRunner;
  /** Aborted by /stop, interrupt mode, timeout or shutdown; checked at safe points (between steps and tool calls). */
  signal: AbortSignal;
  emit: (event: RunEvent) => void;
  /** Persists messages as they are produced (the input, tool results, steering), so a crash keeps what was done. */
  persist: (messages: ModelMessage[]) => Promise<void>;
  /**
   * Records a model step as it ends: its usage and its response messages. Contract: what a step that is not `last` left
   * is durable before this resolves, since its tool calls run next. The `last` step (no tool calls, no steering to
   * answer) ends the loop, so the caller may write it together with the run's outcome instead.
   */
  recordStep: (step: ModelStep) => Promise<void>;
  /** Steering messages queued while the run was active; injected after the current step. */
  takeSteering?: () => string[];
  /** What the model is sent of `messages` at each step (e.g. old tool results shortened to stay in the window); the
   * loop keeps and persists the full messages. */
  fitMessages?: (messages: ModelMessage[]) => ModelMessage[];
  /** Continues a run from its persisted transcript instead of starting it: `input` is not sent or persisted again,
   * the model is called next with `history` + `messages`, and `steps` model steps count as used. */
  resume?: { messages: ModelMessage[]; steps: number; rerun?: { call: ToolCall; after: ModelMessage[] } | undefined };
  /** Who pays for the model calls (passed on each call, for budgets). */
  payer?: BudgetPayer;
  /** A successful tool result's richer output for the model when its text names images (MCP image content); the
   * transcript keeps the text. */
  toolResultImages?: (text: string) => Promise<ToolResultPart["output"] | undefined>;
}

/** One model call of the loop, as `recordStep` receives it. */
export interface ModelStep {
  provider: string;
  model: string;
  usage: Usage;
  messages: ModelMessage[];
  /** The loop returns `succeeded` right after this step. */
  last: boolean;
}

export type AgentLoopResult =
  | { status: "succeeded"; reply: string; usage: Usage; model: string }
  | { status: "failed"; reply: string; usage: Usage; model: string | undefined; errorCode: string; error: string }
  | { status: "cancelled"; reply: string; usage: Usage; model: string | undefined };

/** Runs one turn. Contract: never throws for model or tool failures; they come back as a `failed` result. */
export async function runAgentLoop(opts: AgentLoopOptions): Promise<AgentLoopResult> {
  const messages: ModelMessage[] = [...opts.history];
  if (opts.resume) messages.push(...opts.resume.messages);
  else {
    const userMessage = inputMessage(opts.input);
    messages.push(opts.inputContent ? { role: "user", content: opts.inputContent } : userMessage);
    if (!opts.inputPersisted) await opts.persist([userMessage]);
  }

  const specs = opts.tools.specs();
  const runCall = async (call: ToolCall): Promise<ModelMessage> => {
    opts.emit({ type: "tool_call_start", runId: opts.runId, callId: call.id, name: call.name, args: call.args });
    const result = await opts.tools.execute(call, opts.signal);
    opts.emit({
      type: "tool_call_end",
      runId: opts.runId,
      callId: call.id,
      name: call.name,
      isError: result.isError,
      decision: result.decision,
      preview: result.text.slice(0, TOOL_PREVIEW_CHARS),
    });
    const message = toolResultMessage(call, result.text, result.isError);
    const rich = !result.isError && opts.toolResultImages && result.text.includes("[image: ") ? await opts.toolResultImages(result.text) : undefined;
    messages.push(rich ? { role: "tool", content: [{ type: "tool-result", toolCallId: call.id, toolName: call.name, output: rich }] } : message);
    await opts.persist([message]);
    return message;
  };
  // A resumed call that was waiting for approval goes through the gate again (it finds its stored request), then the
  // results of the step's later calls, which never started.
  const rerun = opts.resume?.rerun;
  if (rerun) {
    await runCall(rerun.call);
    if (rerun.after.length > 0) {
      messages.push(...rerun.after);
      await opts.persist(rerun.after);
    }
  }
  let usage = ZERO_USAGE;
  let model: string | undefined;
  let reply = "";

  for (let step = (opts.resume?.steps ?? 0) + 1; step <= opts.maxSteps; step++) {
    if (opts.signal.aborted) return { status: "cancelled", reply, usage, model };
    let done: Extract<ModelStreamEvent, { type: "done" }> | undefined;
    let failure: Extract<ModelStreamEvent, { type: "failed" }> | undefined;
    const sent = opts.fitMessages ? opts.fitMessages(messages) : messages;
    for await (const event of opts.models.stream({ ref: opts.modelRef, system: opts.system, messages: sent, tools: specs, signal: opts.signal, ...(opts.payer ? { budget: opts.payer } : {}) })) {
      if (event.type === "text_delta") opts.emit({ type: "text_delta", runId: opts.runId, text: event.text });
      else if (event.type === "attempt_failed") {
        const { provider, model: m, code, message } = event;
        opts.emit({ type: "model_failover", runId: opts.runId, provider, model: m, code, message });
      }
      else if (event.type === "done") done = event;
      else failure = event;
    }
    if (!done) {
      if (opts.signal.aborted) return { status: "cancelled", reply, usage, model };
      const f = failure ?? { code: "unknown", message: "the model stream ended without a result" };
      return { status: "failed", reply, usage, model, errorCode: f.code, error: f.message };
    }
    model = `${done.provider}/${done.model}`;
    usage = addUsage(usage, done.usage);
    // A final answer takes steering that arrived meanwhile; with no step left to answer it, it stays queued for the
    // caller to run as a follow-up.
    const final = done.toolCalls.length === 0;
    const steering = final && step < opts.maxSteps ? (opts.takeSteering?.() ?? []) : [];
    const last = final && steering.length === 0;
    await opts.recordStep({ provider: done.provider, model: done.model, usage: done.usage, messages: done.responseMessages, last });
    opts.emit({ type: "step_finished", runId: opts.runId, step, provider: done.provider, model: done.model, usage: done.usage });
    messages.push(...done.responseMessages);
    if (done.text) reply = done.text;

    if (final) {
      if (last) return { status: "succeeded", reply, usage, model };
      await pushSteering(messages, steering, opts);
      continue;
    }

    // Each result is persisted as soon as its call ends: after a crash the transcript tells finished calls (a
    // result) from the one that may have been running (the first call without one). Calls run one at a time.
    let answered = 0;
    for (const call of done.toolCalls) {
      if (opts.signal.aborted) break;
      await runCall(call);
      answered++;
    }
    // Tool results must answer every call; a call skipped by cancellation gets an explicit result.
    const skipped = done.toolCalls.slice(answered).map((call) => toolResultMessage(call, "cancelled before it ran", true));
    if (skipped.length > 0) {
      messages.push(...skipped);
      await opts.persist(skipped);
    }
    if (opts.signal.aborted) return { status: "cancelled", reply, usage, model };
    const steered = opts.takeSteering?.() ?? [];
    if (steered.length > 0) await pushSteering(messages, steered, opts);
  }
  return {
    status: "failed",
    reply,
    usage,
    model,
    errorCode: "max_steps",
    error: `the agent used all ${opts.maxSteps} steps without a final answer (agents.<id>.max_steps)`,
  };
}

async function pushSteering(messages: ModelMessage[], steering: string[], opts: AgentLoopOptions): Promise<void> {
  const added: ModelMessage[] = steering.map((text) => ({ role: "user", content: text }));
  messages.push(...added);
  await opts.persist(added);
}

/** The transcript message of a turn's input. */
export function inputMessage(input: string): ModelMessage {
  return { role: "user", content: input };
}

/** The transcript message answering one tool call; an error result is `error-text`, which providers mark as failed. */
export function toolResultMessage(call: Pick<ToolCall, "id" | "name">, text: string, isError: boolean): ModelMessage {
  return {
    role: "tool",
    content: [
      { type: "tool-result", toolCallId: call.id, toolName: call.name, output: isError ? { type: "error-text", value: text } : { type: "text", value: text } },
    ],
  };
}
