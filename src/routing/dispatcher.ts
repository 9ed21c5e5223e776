// The dispatcher: turns a message on a session into a Run, through the session's lane, executed in-process.
// Owns run creation, cancellation, timeouts and event fan-out; the agent loop itself lives in src/agent.
import type { AgentConfig, QueueMode } from "../core/config-schema.ts";
import type { Run } from "../core/domain.ts";
import type { RunEvent } from "../core/events.ts";
import { newId } from "../core/ids.ts";
import { runAgent, type RunAgentDeps, type RunOutcome } from "../agent/run-agent.ts";
import type { Store } from "../store/store.ts";
import { createPromptFileLoader } from "../agent/system-prompt.ts";
import { SessionLanes, type LaneSubmit } from "./session-lanes.ts";

export interface TurnRequest {
  agentId: string;
  sessionKey: string;
  channel: string;
  text: string;
  /** Overrides the session's and agent's queue mode for this message. */
  queueMode?: QueueMode;
}

export interface DispatcherOptions extends RunAgentDeps {
  store: Store;
  agentConfig: (agentId: string) => AgentConfig;
  workspaceFor: (agentId: string) => string;
}

/** Added to a session whose run was cut off by a stop or crash of the process. */
export const INTERRUPTED_NOTICE =
  "My previous reply was interrupted because Pincer stopped while it was running. Your message was kept; send it again if you still need an answer.";

export type RunListener = (event: RunEvent) => void;

export interface Dispatcher {
  /** Queues or starts a turn. Contract: `result` always settles with the outcome of the run that answered. */
  send(req: TurnRequest): Promise<LaneSubmit<RunOutcome>>;
  /** `/stop`: cancels the session's active run at its next safe point. */
  stop(sessionKey: string, reason?: "cancelled" | "interrupted"): { runId: string | undefined; dropped: number };
  /** Receives every run event; returns an unsubscribe function. */
  subscribe(listener: RunListener): () => void;
  /** Marks runs left `pending`/`running` by a previous process as interrupted; returns them. */
  recoverInterrupted(): Promise<Run[]>;
  lanes: SessionLanes<RunOutcome>;
}

export function createDispatcher(opts: DispatcherOptions): Dispatcher {
  const deps = { ...opts, promptFiles: opts.promptFiles ?? createPromptFileLoader() };
  const listeners = new Set<RunListener>();
  const emit = (event: RunEvent): void => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener must not break the run.
      }
    }
  };

  const lanes = new SessionLanes<RunOutcome>({
    audit: (record) => opts.store.audit.write(record),
    now: opts.now,
    start: (job, bind) => {
      const controller = new AbortController();
      let reason: "cancelled" | "timeout" | "interrupted" | undefined;
      let runId: string | undefined;
      const steering: string[] = [];
      bind({
        abort: (why) => {
          reason ??= why;
          controller.abort(why);
        },
        steering,
        runId: () => runId,
      });
      let timer: NodeJS.Timeout | undefined;
      return (async () => {
        try {
          const session = await opts.store.sessions.get(job.sessionKey);
          const agentId = session?.agentId ?? "default";
          const agent = opts.agentConfig(agentId);
          timer = setTimeout(() => {
            reason ??= "timeout";
            controller.abort("timeout");
          }, agent.run_timeout_ms);
          timer.unref();
          const at = opts.now();
          const run = await opts.store.runs.create({ id: newId("run"), sessionKey: job.sessionKey, agentId, input: job.text, createdAt: at, status: "running", startedAt: at });
          runId = run.id;
          return await runAgent(deps, {
            run,
            agentId,
            agent,
            workspace: opts.workspaceFor(agentId),
            modelRef: session?.modelOverride ?? agent.model,
            signal: controller.signal,
            emit,
            takeSteering: () => steering.splice(0),
            abortReason: () => reason,
          });
        } finally {
          clearTimeout(timer);
        }
      })();
    },
  });

  return {
    lanes,
    async send(req) {
      const session = await opts.store.sessions.ensure({ key: req.sessionKey, agentId: req.agentId, channel: req.channel });
      const mode = req.queueMode ?? session.queueMode ?? opts.agentConfig(req.agentId).queue_mode;
      return lanes.submit(req.sessionKey, req.text, mode);
    },
    stop: (sessionKey, reason) => lanes.stop(sessionKey, reason),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async recoverInterrupted() {
      const stale = await opts.store.runs.list({ status: ["pending", "running"] });
      for (const run of stale) {
        await opts.store.runs.update(run.id, {
          status: "interrupted",
          finishedAt: opts.now(),
          errorCode: "interrupted",
          error: "the process stopped while this run was in flight",
        });
        // The user is told in the conversation itself; channels deliver it like any reply.
        await opts.store.transcript.append(run.sessionKey, run.id, [{ role: "assistant", content: { role: "assistant", content: INTERRUPTED_NOTICE } }]);
        await opts.store.audit.write({
          at: opts.now(),
          kind: "run.interrupted",
          decision: "info",
          runId: run.id,
          sessionKey: run.sessionKey,
          tool: undefined,
          reason: "found in flight at start-up",
          detail: undefined,
        });
      }
      return stale;
    },
  };
}
