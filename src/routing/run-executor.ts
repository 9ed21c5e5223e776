// Executes one existing Run record: resolves its agent and model, arms the run timeout, and runs the agent loop.
// Shared by the in-process dispatcher and the cluster worker, so a run behaves the same wherever it executes.
import type { AgentConfig } from "../core/config-schema.ts";
import type { Run, Session } from "../core/domain.ts";
import type { RunEvent } from "../core/events.ts";
import { runAgent, type RunAgentDeps, type RunOutcome } from "../agent/run-agent.ts";

export type AbortWhy = "cancelled" | "timeout" | "interrupted";

export interface ExecutorDeps extends RunAgentDeps {
  agentConfig: (agentId: string) => AgentConfig;
  workspaceFor: (agentId: string) => string;
  /** Called once a run is terminal and recorded, e.g. to queue its reply for the channel it came from.
   * Its failure propagates to the caller, so a worker does not ack a run whose reply was not queued. */
  onRunFinished?: (run: Run, outcome: RunOutcome) => Promise<void>;
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
  const agent = deps.agentConfig(run.agentId);
  const timer = setTimeout(() => controls.abort("timeout"), agent.run_timeout_ms);
  timer.unref();
  try {
    const outcome = await runAgent(deps, {
      run,
      agentId: run.agentId,
      agent,
      workspace: deps.workspaceFor(run.agentId),
      modelRef: input.session?.modelOverride ?? agent.model,
      session: input.session,
      signal: controls.signal,
      emit: input.emit,
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
