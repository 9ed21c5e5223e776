// Executes one existing Run record: resolves its agent and model, arms the run timeout, and runs the agent loop.
// Shared by the in-process dispatcher and the cluster worker, so a run behaves the same wherever it executes.
import type { AgentConfig, SubagentsPolicy } from "../core/config-schema.ts";
import type { Run, Session } from "../core/domain.ts";
import type { Store } from "../store/store.ts";
import type { RunEvent } from "../core/events.ts";
import { runAgent, type RunAgentDeps, type RunOutcome } from "../agent/run-agent.ts";

/** `budget`: a sub-agent went past policy.subagents.max_tokens. */
export type AbortWhy = "cancelled" | "timeout" | "interrupted" | "budget";

export interface ExecutorDeps extends RunAgentDeps {
  agentConfig: (agentId: string) => AgentConfig;
  workspaceFor: (agentId: string) => string;
  /** Called once a run is terminal and recorded, e.g. to queue its reply for the channel it came from.
   * Its failure propagates to the caller, so a worker does not ack a run whose reply was not queued. */
  onRunFinished?: (run: Run, outcome: RunOutcome) => Promise<void>;
  /** policy.subagents, read when a sub-agent's run starts (runs with a parent run); absent = agent limits only. */
  subagentLimits?: () => SubagentsPolicy;
}

/** Cancellation of one run: the first reason given wins and is what the outcome reports. */
export interface RunControls {
  readonly signal: AbortSignal;
  abort(why: AbortWhy): void;
  reason(): AbortWhy | undefined;
}

export function createRunControls(): RunControls {
  const controller = new AbortController();
  let why: AbortWhy | undefined;
  return {
    signal: controller.signal,
    abort(reason) {
      why ??= reason;
      controller.abort(reason);
    },
    reason: () => why,
  };
}

export interface ExecuteInput {
  run: Run;
  /** The run's session (model override, compaction point), read by the caller just before the run starts. */
  session: Session | undefined;
  controls: RunControls;
  emit: (event: RunEvent) => void;
  takeSteering?: () => string[];
}

/** Runs the agent loop for `run` under its agent's `run_timeout_ms`. Contract: never throws (see runAgent), except
 * what `onRunFinished` throws. */
export async function executeRun(deps: ExecutorDeps, input: ExecuteInput): Promise<RunOutcome> {
  const { run, controls } = input;
  const limits = run.parentRunId !== undefined ? deps.subagentLimits?.() : undefined;
  const agent = limits ? childAgentConfig(deps.agentConfig(run.agentId), limits) : deps.agentConfig(run.agentId);
  // The run timeout does not count time spent waiting for an owner's approval (approvals.timeout_ms bounds that).
  let left = agent.run_timeout_ms;
  let armedAt = Date.now();
  const arm = (): NodeJS.Timeout => {
    armedAt = Date.now();
    const t = setTimeout(() => controls.abort("timeout"), left);
    t.unref();
    return t;
  };
  let timer = arm();
  const paused = (event: RunEvent): void => {
    if (event.type === "approval_requested") {
      clearTimeout(timer);
      left = Math.max(0, left - (Date.now() - armedAt));
    } else if (event.type === "approval_answered") {
      clearTimeout(timer);
      timer = arm();
    }
  };
  const pausing = (event: RunEvent): void => {
    paused(event);
    input.emit(event);
  };
  const emit = limits ? budgetedEmit(pausing, controls, limits.max_tokens, run.usage.inputTokens + run.usage.outputTokens) : pausing;
  try {
    const outcome = await runAgent(deps, {
      run,
      agentId: run.agentId,
      agent,
      workspace: deps.workspaceFor(run.agentId),
      modelRef: input.session?.modelOverride ?? agent.model,
      session: input.session,
      signal: controls.signal,
      emit,
      ...(input.takeSteering ? { takeSteering: input.takeSteering } : {}),
      abortReason: controls.reason,
    });
    clearTimeout(timer);
    await deps.onRunFinished?.(run, outcome);
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

/** A sub-agent's agent config: the smaller of its agent's and policy.subagents' step and time limits. */
function childAgentConfig(agent: AgentConfig, limits: SubagentsPolicy): AgentConfig {
  return { ...agent, max_steps: Math.min(agent.max_steps, limits.max_steps), run_timeout_ms: Math.min(agent.run_timeout_ms, limits.timeout_s * 1000) };
}

/** Passes events on and stops the run once its model steps' tokens (input + output) pass `maxTokens`. */
function budgetedEmit(emit: (event: RunEvent) => void, controls: RunControls, maxTokens: number, used: number): (event: RunEvent) => void {
  let tokens = used;
  return (event) => {
    emit(event);
    if (event.type !== "step_finished") return;
    tokens += event.usage.inputTokens + event.usage.outputTokens;
    if (tokens > maxTokens) controls.abort("budget");
  };
}

/** Statuses of a run still in flight: resumed after a restart, counted as the session's open run. */
export const IN_FLIGHT_STATUSES: Array<Run["status"]> = ["pending", "running", "waiting_approval"];

/**
 * Claims a run to execute or resume it for `worker`. A run found `waiting_approval` keeps that status: its resume tells
 * from it that the approved call never started (see run-agent.ts). Undefined when the run is no longer in flight.
 */
export async function claimRun(store: Pick<Store, "runs">, runId: string, worker: string, now: () => number): Promise<Run | undefined> {
  return (await store.runs.claim(runId, { from: ["waiting_approval"], worker })) ??
    store.runs.claim(runId, { from: ["pending", "running"], worker, patch: { status: "running", startedAt: now() } });
}
