// Sends one turn through the dispatcher and follows the text of the run that answers it, for streaming clients.
// It never cancels a run: a client that goes away only stops listening.
import type { RunOutcome } from "../agent/run-agent.ts";
import { ZERO_USAGE } from "../core/domain.ts";
import type { Dispatcher, Submitted, TurnRequest } from "../routing/dispatcher.ts";

export interface FollowedTurn {
  disposition: string;
  /** Settles with the answering run's outcome. Contract: never rejects (a lane failure becomes a failed outcome). */
  result: Promise<RunOutcome>;
  /** Stops listening to run events; the run itself continues and is recorded. */
  detach(): void;
}

/**
 * Sends `turn` and calls `onDelta` with the text deltas of the run that answers it.
 *
 * Run events carry no message id, so the answering run is told apart from other runs of the same session
 * by position: subscribed before sending, and right after the lane accepted the message (synchronously,
 * so lane state and seen events agree) we know whether our run is the active one or how many queued runs
 * start before it. A later `interrupt` message jumping the queue can defeat this; if no delta was
 * delivered for the run that answered, its whole reply is delivered as one delta at the end instead.
 */
export async function sendFollowing(dispatcher: Dispatcher, turn: TurnRequest, onDelta: (text: string, runId: string) => void): Promise<FollowedTurn> {
  const seen = new Map<string, string[]>(); // runs of this session started before arming → their deltas
  let armed = false;
  let skip = 0; // run_started events of this session to let pass before ours
  let target: string | undefined;
  let delivered = false;
  const deliver = (text: string, runId: string): void => {
    delivered = true;
    onDelta(text, runId);
  };

  const unsubscribe = dispatcher.subscribe((event) => {
    if (event.type === "run_started" && event.sessionKey === turn.sessionKey) {
      if (!armed) seen.set(event.runId, []);
      else if (target === undefined && skip-- === 0) target = event.runId;
    } else if (event.type === "text_delta") {
      if (event.runId === target) deliver(event.text, target);
      else if (!armed) seen.get(event.runId)?.push(event.text);
    }
  });

  let submit;
  try {
    submit = await dispatcher.send(turn);
  } catch (err) {
    unsubscribe();
    throw err;
  }

  if (submit.runId !== undefined) {
    // The run id is known up front (cluster runtime): follow exactly that run.
    target = submit.runId;
    armed = true;
    for (const text of seen.get(target) ?? []) deliver(text, target);
    seen.clear();
    return finish(submit);
  }

  // Arming: everything below runs synchronously after the lane took the message.
  const { lanes } = dispatcher;
  const active = lanes.activeRunId(turn.sessionKey);
  const activePending = active === undefined && lanes.activeSessions().includes(turn.sessionKey);
  if (submit.disposition === "started" || submit.disposition === "steered") {
    target = active;
    // A just-started run's early deltas belong to us; a steered run's earlier text answered the previous message.
    if (active && submit.disposition === "started") for (const text of seen.get(active) ?? []) deliver(text, active);
  } else if (submit.disposition === "interrupting") {
    skip = activePending ? 1 : 0;
  } else {
    skip = (activePending ? 1 : 0) + Math.max(0, lanes.queueDepth(turn.sessionKey) - 1);
  }
  armed = true;
  seen.clear();
  return finish(submit);

  function finish(sent: Submitted): FollowedTurn {
    const result = completeOutcome(sent.result).then((outcome) => {
      if (!delivered && outcome.reply) onDelta(outcome.reply, outcome.runId);
      return outcome;
    });
    return { disposition: sent.disposition, result, detach: unsubscribe };
  }
}

/**
 * The lane resolves a run that crashed before the agent loop with a bare `{ runId: "", status: "failed", error }`;
 * this fills in the missing fields so callers can rely on the RunOutcome shape. Contract: never rejects.
 */
export async function completeOutcome(result: Promise<RunOutcome>): Promise<RunOutcome> {
  try {
    const o: Partial<RunOutcome> = await result;
    return {
      runId: o.runId ?? "",
      status: o.status ?? "failed",
      reply: o.reply ?? "",
      usage: o.usage ?? ZERO_USAGE,
      model: o.model,
      errorCode: o.errorCode ?? (o.status === "failed" || o.status === undefined ? "internal" : undefined),
      error: o.error,
    };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { runId: "", status: "failed", reply: "", usage: ZERO_USAGE, model: undefined, errorCode: "internal", error };
  }
}
