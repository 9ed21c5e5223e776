// Executes one Run end to end: loads prompt files and history, runs the agent loop, records status and usage.
// A run whose transcript already holds messages (its process died mid-run) is resumed from them, not started again.
// Used by every executor (in-process and cluster workers); queueing and session choice happen before this.
import type { ModelMessage } from "ai";
import { configSchema, type AgentConfig, type PincerConfig } from "../core/config-schema.ts";
import { addUsage, ZERO_USAGE, type Run, type RunStatus, type Session, type TranscriptRole, type Usage } from "../core/domain.ts";
import type { RunEvent } from "../core/events.ts";
import type { RunProgress, Store } from "../store/store.ts";
import type { SkillTurn } from "../skills/skills-runtime.ts";
import type { SkillView, Tool } from "../tools/tool.ts";
import type { MemoryTurn } from "../memory/memory-runtime.ts";
import { runAgentLoop, type AgentLoopResult, type ModelStreamer, type ToolRunner } from "./agent-loop.ts";
import { attachImages, toolResultWithImages } from "./input-media.ts";
import { firstUnansweredCall, planResume } from "./resume-plan.ts";
import { payerOfRun } from "./run-payer.ts";
import { fitContext, loadHistory, parseCompactInput, shrinkToWindow, type FittedContext } from "./context-manager.ts";
import { loadPromptFiles, renderSystemPrompt, type PromptFile } from "./system-prompt.ts";

export interface RunAgentDeps {
  store: Store;
  models: ModelStreamer;
  /** Builds the tool runner bound to this run (policy, workspace, audit ids, the run's skills). */
  toolsFor: (run: Run, workspace: string, skills?: SkillView, memoryTools?: readonly Tool[], emit?: (event: RunEvent) => void) => ToolRunner | Promise<ToolRunner>;
  /** The skills of this turn (prompt index, folders for the tools); undefined = none. */
  skillsFor?: (input: { agentId: string; workspace: string }) => Promise<SkillTurn | undefined>;
  /** The memory of this turn (prompt block, memory tools), in owner sessions only; undefined = none. */
  memoryFor?: (input: { agentId: string; workspace: string; run: Run }) => Promise<MemoryTurn | undefined>;
  now: () => number;
  /** Defaults to reading the files on every turn; the dispatcher passes a caching loader. */
  promptFiles?: (workspace: string) => PromptFile[] | Promise<PromptFile[]>;
  /** Context windows and compaction settings, read at each turn (the config may reload); the defaults when absent. */
  context?: () => Pick<PincerConfig, "models" | "compaction">;
}

let defaultContext: Pick<PincerConfig, "models" | "compaction"> | undefined;
const contextConfigOf = (deps: RunAgentDeps): Pick<PincerConfig, "models" | "compaction"> => deps.context?.() ?? (defaultContext ??= configSchema.parse({}));

export interface RunAgentInput {
  run: Run;
  agentId: string;
  agent: AgentConfig;
  workspace: string;
  modelRef: string;
  signal: AbortSignal;
  emit: (event: RunEvent) => void;
  takeSteering?: () => string[];
  /** The run's session as read when the run started (its compaction point); read again when absent. */
  session?: Session | undefined;
  /** Why the signal was aborted, read after the loop ends: `cancelled` or `timeout`. */
  abortReason?: () => "cancelled" | "timeout" | "interrupted" | "budget" | undefined;
}

export interface RunOutcome {
  runId: string;
  status: RunStatus;
  reply: string;
  usage: Usage;
  model: string | undefined;
  errorCode: string | undefined;
  error: string | undefined;
}

/**
 * Whether a run gets the light context: heartbeats, which need only their input (HEARTBEAT.md's open items, the date,
 * pending events) and the tools — no skills index, no memory, no workspace prompt files, no history.
 */
export function hasLightContext(run: Pick<Run, "trigger">): boolean {
  return run.trigger === "heartbeat";
}

/**
 * The id of the call a resume issues again: the first unanswered call when it has an approval request that never let it
 * start — still pending, denied or expired (the gate answers it from the request), or approved while the run was still
 * `waiting_approval` (the answer came, the tool did not start). Approved while `running`: it may have run; not again.
 */
async function rerunnableCall(store: Store, run: Run, own: ModelMessage[], waited: boolean): Promise<string | undefined> {
  const call = firstUnansweredCall(own);
  if (!call) return undefined;
  const request = await store.approvals.forCall(run.id, call.id);
  if (!request) return undefined;
  return request.status !== "approved" || waited ? call.id : undefined;
}

/** Contract: never throws; a bug inside the loop fails this run and is reported on the outcome. */
export async function runAgent(deps: RunAgentDeps, input: RunAgentInput): Promise<RunOutcome> {
  const { run } = input;
  const { store } = deps;
  const runId = input.run.id;
  // A run found waiting for an approval keeps that status until its resume knows whether it waits again.
  const waited = run.status === "waiting_approval";
  if (run.status !== "running" && !waited) await store.runs.update(runId, { status: "running", startedAt: deps.now() });
  input.emit({ type: "run_started", runId, sessionKey: run.sessionKey, agentId: input.agentId });

  let outcome: RunOutcome;
  let usageCalls = 0;
  // Usage of earlier attempts (kept on the run as each model call ends) adds up with this attempt's.
  let runUsage = run.usage;
  // The loop's last step, written in one transaction with the outcome below.
  let lastStep: RunProgress | undefined;
  try {
    const payer = await payerOfRun(store, run);
    // A light context (heartbeats) leaves out the skills, memory, workspace prompt files and history.
    const light = hasLightContext(run);
    const skills = light ? undefined : await deps.skillsFor?.({ agentId: input.agentId, workspace: input.workspace });
    const memory = light ? undefined : await deps.memoryFor?.({ agentId: input.agentId, workspace: input.workspace, run });
    const tools = await deps.toolsFor(run, input.workspace, skills?.view, memory?.tools, input.emit);
    const files = light ? [] : await (deps.promptFiles ?? loadPromptFiles)(input.workspace);
    const system = renderSystemPrompt({
      agentId: input.agentId,
      workspace: input.workspace,
      files,
      toolNames: tools.specs().map((s) => s.name),
      now: new Date(deps.now()),
      skills: skills?.prompt,
      memory: memory?.prompt,
      light,
    });
    const loaded = await loadHistory(store, run.sessionKey, input.session);
    const history = light ? [] : loaded.rows.filter((m) => m.runId !== runId).map((m) => ({ id: m.id, message: m.content as ModelMessage }));
    const own = loaded.rows.filter((m) => m.runId === runId).map((m) => m.content as ModelMessage);
    const contextDeps = { store, models: deps.models, now: deps.now, config: contextConfigOf(deps) };
    const fit = (force?: { focus: string }): Promise<FittedContext> =>
      fitContext(contextDeps, {
        run, agentId: input.agentId, modelRef: input.modelRef, system, tools, history, compaction: light ? undefined : loaded.compaction, input: run.input, signal: input.signal,
        payer, ...(force ? { force } : {}),
      });
    // `/compact [focus]` (sent by the chat command) compacts now; the command is not part of the conversation, so its
    // input leaves the transcript (the run record keeps it and the reply).
    const compactRequest = parseCompactInput(run.input);
    if (compactRequest) await store.transcript.deleteRun(runId);
    const fitted = await fit(compactRequest);
    runUsage = addUsage(runUsage, fitted.usage);
    const persist = async (messages: ModelMessage[]): Promise<void> => {
      await store.transcript.append(run.sessionKey, runId, toTranscript(messages));
    };
    // A run created with its input (its only message) starts like a new one; a run with more is resumed from them.
    const inputOnly = own.length === 1 && isInputOf(own[0]!, run.input);
    const plan = own.length > 0 && !inputOnly ? planResume(own, { rerun: await rerunnableCall(store, run, own, waited) }) : undefined;
    if (plan?.kind === "continue" && plan.repairs.length > 0 && !plan.rerun) await persist(plan.repairs);
    if (waited && !(plan?.kind === "continue" && plan.rerun)) await store.runs.update(runId, { status: "running" });
    const inputContent = !plan && run.input.includes("[image: ") ? await attachImages(run.input, input.workspace) : undefined;
    const loop: AgentLoopResult = compactRequest
      ? { status: "succeeded", reply: describeCompaction(fitted), usage: ZERO_USAGE, model: "" }
      : plan?.kind === "answered"
      ? { status: "succeeded", reply: plan.reply, usage: ZERO_USAGE, model: run.model ?? "" }
      : await runAgentLoop({
        runId,
        modelRef: input.modelRef,
        system,
        history: fitted.messages,
        fitMessages: (messages) => shrinkToWindow(messages, { system, tools: tools.specs(), window: fitted.window, config: contextDeps.config }),
        input: run.input,
        ...(inputContent ? { inputContent } : {}),
        ...(inputOnly ? { inputPersisted: true } : {}),
        ...(plan ? { resume: { messages: plan.messages, steps: plan.steps, ...(plan.rerun ? { rerun: { call: plan.rerun, after: plan.repairs } } : {}) } } : {}),
        maxSteps: input.agent.max_steps,
        models: deps.models,
        payer,
        tools,
        toolResultImages: (text) => toolResultWithImages(text, input.workspace),
        signal: input.signal,
        emit: input.emit,
        persist,
        recordStep: async ({ provider, model, usage, messages, last }) => {
          // Keyed by run, attempt and model call: recording one call twice never counts it twice.
          const idempotencyKey = `${runId}:${run.attempt}:${usageCalls++}`;
          runUsage = addUsage(runUsage, usage);
          // The ledger entry, the run's running total and the step's messages commit together.
          const step: RunProgress = {
            usage: { runId, sessionKey: run.sessionKey, agentId: input.agentId, provider, model, ...usage, at: deps.now(), idempotencyKey, ...(payer.sender ? { sender: payer.sender } : {}) },
            messages: toTranscript(messages),
            patch: { usage: runUsage },
          };
          if (last) lastStep = step;
          else await store.runs.record(run, step);
        },
        takeSteering: input.takeSteering,
      });
    const result = { ...loop, usage: runUsage };
    if (result.status === "cancelled") {
      const reason = input.abortReason?.() ?? "cancelled";
      const limit = run.parentRunId !== undefined ? "policy.subagents.timeout_s" : `agents.${input.agentId}.run_timeout_ms`;
      outcome =
        reason === "timeout"
          ? { ...result, runId, status: "failed", errorCode: "timeout", error: `the run exceeded ${limit} (${input.agent.run_timeout_ms} ms)` }
          : reason === "budget"
          ? { ...result, runId, status: "failed", errorCode: "token_budget", error: "the sub-agent used more tokens than policy.subagents.max_tokens allows" }
          : { ...result, runId, status: reason === "interrupted" ? "interrupted" : "cancelled", errorCode: undefined, error: undefined };
    } else if (result.status === "failed") {
      outcome = { ...result, runId };
    } else {
      outcome = { ...result, runId, errorCode: undefined, error: undefined };
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    outcome = { runId, status: "failed", reply: "", usage: runUsage, model: undefined, errorCode: errorCodeOf(err), error: message };
  }

  return finishRun(deps, input, outcome, lastStep);
}

/** Writes the outcome (with the last step, when the loop left one) and emits `run_finished`. */
async function finishRun(deps: RunAgentDeps, input: RunAgentInput, outcome: RunOutcome, lastStep: RunProgress | undefined): Promise<RunOutcome> {
  const { run } = input;
  const runId = run.id;
  try {
    await deps.store.runs.record(run, {
      ...lastStep,
      patch: {
        status: outcome.status,
        reply: outcome.reply,
        usage: outcome.usage,
        model: outcome.model,
        errorCode: outcome.errorCode,
        error: outcome.error,
        finishedAt: deps.now(),
      },
    });
  } finally {
    // Sent even when the store fails: followers (WebSocket, metrics) drop what they keep per run on this event.
    input.emit({
      type: "run_finished",
      runId,
      status: outcome.status,
      reply: outcome.reply,
      usage: outcome.usage,
      ...(outcome.errorCode ? { errorCode: outcome.errorCode, error: outcome.error } : {}),
    });
  }
  return outcome;
}

function isInputOf(message: ModelMessage, input: string): boolean {
  return message.role === "user" && message.content === input;
}

/** Transcript entries of model messages; a system message is kept as a user one. */
function toTranscript(messages: ModelMessage[]): Array<{ role: TranscriptRole; content: ModelMessage }> {
  return messages.map((m) => ({ role: m.role === "system" ? "user" : m.role, content: m }));
}

function errorCodeOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return code;
  if (err instanceof Error && err.name === "ConfigError") return "config";
  return "internal";
}

/** The reply to `/compact`. */
function describeCompaction(fitted: FittedContext): string {
  const use = `Context: about ${fitted.tokens.toLocaleString("en-US")} of ${fitted.window.toLocaleString("en-US")} tokens.`;
  if (!fitted.compacted) return `Nothing to compact yet. ${use}`;
  return `Compacted: ${fitted.compacted.messages} older message(s) summarised (about ${fitted.compacted.tokensBefore.toLocaleString("en-US")} tokens before). ${use}`;
}
