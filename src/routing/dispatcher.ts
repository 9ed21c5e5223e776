// The dispatcher: turns a message on a session into a Run, through the session's lane, executed in-process.
// Owns run creation, cancellation, timeouts, event fan-out and resuming the runs a stopped process left in flight;
// the agent loop itself lives in src/agent.
import type { AgentConfig, QueueMode } from "../core/config-schema.ts";
import { RUN_TRIGGERS, type JournalEntry, type Run, type RunTrigger, type Session, type TaintSource } from "../core/domain.ts";
import { mergeTaint, parseTaint } from "../core/taint-sources.ts";
import type { RunEvent } from "../core/events.ts";
import { newId } from "../core/ids.ts";
import type { ReplyRoute } from "../core/inbound.ts";
import { inputMessage } from "../agent/agent-loop.ts";
import type { RunAgentDeps, RunOutcome } from "../agent/run-agent.ts";
import { claimRun, createRunControls, executeRun, IN_FLIGHT_STATUSES } from "./run-executor.ts";
import { outcomeOf } from "./cluster-messages.ts";
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
  /** The chat the reply goes to, when the turn came from a channel. */
  origin?: ReplyRoute;
  /** The session `sessionKey` names, when the caller has just read it: it is used as it is instead of ensured again. */
  session?: Session;
  /** Set for a sub-agent's run: the run that spawned it (the child's session holds no other runs). */
  parentRunId?: string;
  /** What started the turn, recorded on its run. */
  trigger?: RunTrigger;
  /** Untrusted content the turn's text carries (a non-owner's message, an inbound file, a webhook body), recorded on
   * its run; such a turn never steers a running run (it queues as a followup instead). */
  taint?: TaintSource[];
}

/** Where an inbound message came from; journaled (deduplicated on channel + account + messageId) before it is accepted. */
export interface InboundRef {
  /** The receiving account on the channel (bot account, WebChat client name). */
  account: string;
  /** The platform's id for this message; a second delivery with the same id starts no run. */
  messageId: string;
  /** Set when the caller journaled the message already (channel ingress): this entry is used, nothing is appended. */
  journalId?: number;
}

export interface InboundTurn extends TurnRequest {
  inbound: InboundRef;
}

/** A sent turn. `runId` is known at once where the run record is created on send (cluster runtime); in-process
 * it is created when the run starts, and followers tell runs apart by their order in the session's lane. */
export type Submitted = LaneSubmit<RunOutcome> & { runId?: string };

export type ReceiveResult =
  | ({ duplicate: false; journalId: number } & Submitted)
  /** `runId`: the run that took the first delivery, once one did; follow it for the answer. */
  | { duplicate: true; journalId: number; runId?: string };

/** What the journal keeps of a turn so it can be replayed after a crash. */
interface JournaledTurn {
  agentId: string;
  text: string;
  queueMode?: QueueMode;
  /** Where the reply goes (an automation delivering to a chat). */
  origin?: ReplyRoute;
  trigger?: RunTrigger;
  taint?: TaintSource[];
}

/** Channel messages are journaled by ingress as `{ inbound }` and replayed by it, through access control again. */
const isChannelPayload = (payload: unknown): boolean => typeof payload === "object" && payload !== null && "inbound" in payload;

export interface DispatcherOptions extends RunAgentDeps {
  store: Store;
  agentConfig: (agentId: string) => AgentConfig;
  workspaceFor: (agentId: string) => string;
}

/** Executions a run gets in all: a run found in flight at start-up after this many is finished as interrupted. */
export const MAX_RUN_ATTEMPTS = 3;

/** What start-up recovery did with the runs the previous process left in flight. */
export interface Recovered {
  /** Claimed again and queued in their sessions' lanes, to continue from their transcripts. */
  resumed: Run[];
  /** Over MAX_RUN_ATTEMPTS: finished as interrupted, INTERRUPTED_NOTICE added to the session. */
  interrupted: Run[];
}

/** Added to a session whose run was cut off by a stop or crash of the process and could not be resumed. */
export const INTERRUPTED_NOTICE =
  "My previous reply was interrupted because Pincer stopped while it was running. Your message was kept; send it again if you still need an answer.";

/** Who claims runs executed in this process (`Run.worker`). */
const WORKER = "embedded";

export type RunListener = (event: RunEvent) => void;

export interface Dispatcher {
  /** Queues or starts a turn. Contract: `result` always settles with the outcome of the run that answered. */
  send(req: TurnRequest): Promise<Submitted>;
  /** Journals an inbound message, then sends it. Contract: the message is durable before this resolves; a duplicate
   * (same channel + account + messageId) starts nothing; the entry is marked processed once a run has taken it. */
  receive(req: InboundTurn): Promise<ReceiveResult>;
  /** Re-submits journaled messages no run took before the last stop, oldest first; returns how many. Call after
   * `recoverInterrupted`, so resumed runs keep their place ahead of them in each session. */
  replayJournal(): Promise<number>;
  /** `/stop`: cancels the session's active run at its next safe point. */
  stop(sessionKey: string, reason?: "cancelled" | "interrupted"): { runId: string | undefined; dropped: number };
  /** Receives every run event; returns an unsubscribe function. */
  subscribe(listener: RunListener): () => void;
  /** Runs left `pending`/`running` by a previous process: each is resumed from its transcript through its session's
   * lane (a new attempt of the same run), or, past MAX_RUN_ATTEMPTS, finished as interrupted with a notice.
   * Contract: call once at start-up, before `replayJournal` and before new messages are accepted. */
  recoverInterrupted(): Promise<Recovered>;
  lanes: LaneView;
}

/** What callers may read of the sessions' lanes; in-process that is SessionLanes, in a cluster a local view. */
export interface LaneView {
  activeRunId(sessionKey: string): string | undefined;
  /** Sessions with a run in flight that this process follows. */
  activeSessions(): string[];
  queueDepth(sessionKey?: string): number;
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

  // The session submit() just ensured, while lanes.submit() may start its run synchronously: that run needs no re-read.
  let justEnsured: Session | undefined;
  // Journal entries already marked processed by the run created for them; their outcome needs no second write.
  const markedAtCreation = new Set<number>();
  // Sub-agent sessions → the run that spawned them, read when their run is created.
  const parentOf = new Map<string, string>();
  const lanes = new SessionLanes<RunOutcome>({
    audit: (record) => opts.store.audit.write(record),
    now: opts.now,
    start: (job, bind) => {
      const controls = createRunControls();
      let runId: string | undefined;
      const steering: string[] = [];
      bind({ abort: (why) => controls.abort(why), steering, runId: () => runId });
      const ensured = justEnsured?.key === job.sessionKey ? justEnsured : undefined;
      return (async () => {
        const session = ensured ?? (await opts.store.sessions.get(job.sessionKey));
        if (job.runId !== undefined) {
          const claimed = await claimRun(opts.store, job.runId, WORKER, opts.now);
          const run = claimed ?? (await opts.store.runs.get(job.runId));
          if (!run) throw new Error(`run ${job.runId} to resume does not exist`);
          runId = run.id;
          if (!claimed) return outcomeOf(run); // finished meanwhile
          try {
            opts.agentConfig(run.agentId);
          } catch (err) {
            // E.g. the agent was removed from the config since: the run ends here, with the reason on it.
            const failed = { status: "failed" as const, finishedAt: opts.now(), errorCode: "config", error: err instanceof Error ? err.message : String(err) };
            await opts.store.runs.update(run.id, failed);
            return outcomeOf({ ...run, ...failed });
          }
          return executeRun(deps, { run, session, controls, emit, takeSteering: () => steering.splice(0) });
        }
        const agentId = session?.agentId ?? "default";
        opts.agentConfig(agentId); // an unknown agent fails here, before a run record exists
        const at = opts.now();
        const parentRunId = parentOf.get(job.sessionKey);
        parentOf.delete(job.sessionKey);
        // Created claimed, attempt 1 (a restart claims it again, attempt 2 …, to resume it), with its input in the
        // transcript and its journal entries marked processed, in one transaction: the run now holds the text, so a
        // crash from here on is recovered by resuming the run, not by a replay.
        const created = await opts.store.runs.create({
          id: newId("run"), sessionKey: job.sessionKey, agentId, input: job.text, createdAt: at, status: "running", startedAt: at,
          worker: WORKER,
          ...(job.origin ? { origin: job.origin } : {}),
          ...(parentRunId ? { parentRunId } : {}),
          ...(job.trigger ? { trigger: job.trigger } : {}),
          ...(job.taint?.length ? { taint: mergeTaint(job.taint) } : {}),
          messages: [{ role: "user", content: inputMessage(job.text) }],
          journalIds: job.tags,
        });
        runId = created.id;
        for (const tag of job.tags) markedAtCreation.add(tag);
        return executeRun(deps, { run: created, session, controls, emit, takeSteering: () => steering.splice(0) });
      })();
    },
  });

  const submit = async (req: TurnRequest, tag?: number): Promise<LaneSubmit<RunOutcome>> => {
    const session = req.session?.key === req.sessionKey
      ? req.session
      : await opts.store.sessions.ensure({ key: req.sessionKey, agentId: req.agentId, channel: req.channel });
    const wanted = req.queueMode ?? session.queueMode ?? opts.agentConfig(req.agentId).queue_mode;
    // Untrusted text is never slipped into a run already going (its taint would not reach that run's gate).
    const mode = wanted === "steer" && req.taint?.length ? "followup" : wanted;
    if (req.parentRunId !== undefined) parentOf.set(req.sessionKey, req.parentRunId);
    justEnsured = session;
    let submitted: LaneSubmit<RunOutcome>;
    try {
      submitted = lanes.submit(req.sessionKey, req.text, mode, {
        ...(tag !== undefined ? { tag } : {}), ...(req.origin ? { origin: req.origin } : {}), ...(req.trigger ? { trigger: req.trigger } : {}),
        ...(req.taint?.length ? { taint: req.taint } : {}),
      });
    } finally {
      justEnsured = undefined;
    }
    if (tag !== undefined) {
      // A message answered by a run that was interrupted (queued behind it, or steered into it) stays `received`
      // and is replayed at the next start; one whose run never got created is `failed`.
      // A steered message, whose tag the run never saw, is marked here.
      void submitted.result.then((outcome) => {
        const marked = markedAtCreation.delete(tag);
        if (outcome.status === "interrupted" || (marked && outcome.runId)) return undefined;
        return opts.store.journal.mark(tag, outcome.runId ? "processed" : "failed", outcome.runId || undefined);
      });
    }
    return submitted;
  };

  return {
    lanes,
    send: (req) => submit(req),
    async receive(req) {
      if (req.inbound.journalId !== undefined) return { duplicate: false, journalId: req.inbound.journalId, ...(await submit(req, req.inbound.journalId)) };
      const payload: JournaledTurn = {
        agentId: req.agentId, text: req.text, ...(req.queueMode ? { queueMode: req.queueMode } : {}), ...(req.origin ? { origin: req.origin } : {}),
        ...(req.trigger ? { trigger: req.trigger } : {}), ...(req.taint?.length ? { taint: req.taint } : {}),
      };
      const { entry, duplicate } = await opts.store.journal.append({
        channel: req.channel,
        account: req.inbound.account,
        platformMessageId: req.inbound.messageId,
        sessionKey: req.sessionKey,
        payload,
      });
      if (duplicate) return { duplicate: true, journalId: entry.id, ...(entry.runId ? { runId: entry.runId } : {}) };
      return { duplicate: false, journalId: entry.id, ...(await submit(req, entry.id)) };
    },
    async replayJournal() {
      const pending = (await opts.store.journal.pending()).filter((e) => !isChannelPayload(e.payload));
      let replayed = 0;
      for (const entry of pending) {
        const turn = journaledTurn(entry);
        if (!turn || entry.sessionKey === undefined) {
          await opts.store.journal.mark(entry.id, "failed");
          await opts.store.audit.write({
            at: opts.now(), kind: "journal.unreadable", decision: "info", runId: undefined, sessionKey: entry.sessionKey, tool: undefined,
            reason: "a journaled message could not be replayed: its payload is not a turn", detail: { journalId: entry.id, channel: entry.channel },
          });
          continue;
        }
        const req: TurnRequest = {
          agentId: turn.agentId, sessionKey: entry.sessionKey, channel: entry.channel, text: turn.text, ...(turn.queueMode ? { queueMode: turn.queueMode } : {}),
          ...(turn.origin ? { origin: turn.origin } : {}), ...(turn.trigger ? { trigger: turn.trigger } : {}), ...(turn.taint ? { taint: turn.taint } : {}),
        };
        try {
          await submit(req, entry.id);
          replayed++;
        } catch (err) {
          // E.g. the agent was removed from the config since; the message is kept, marked failed and audited.
          await opts.store.journal.mark(entry.id, "failed");
          await opts.store.audit.write({
            at: opts.now(), kind: "journal.replay_failed", decision: "info", runId: undefined, sessionKey: entry.sessionKey, tool: undefined,
            reason: err instanceof Error ? err.message : String(err), detail: { journalId: entry.id, channel: entry.channel },
          });
        }
      }
      return replayed;
    },
    stop: (sessionKey, reason) => lanes.stop(sessionKey, reason),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async recoverInterrupted() {
      const stale = (await opts.store.runs.list({ status: IN_FLIGHT_STATUSES })).reverse(); // oldest first
      const recovered: Recovered = { resumed: [], interrupted: [] };
      for (const run of stale) {
        if (run.attempt < MAX_RUN_ATTEMPTS) {
          await audit(run, "run.resumed", `found in flight at start-up; resuming it from its transcript (attempt ${run.attempt + 1} of ${MAX_RUN_ATTEMPTS})`);
          // Through the lane: it runs before anything queued for the session later, replayed messages included.
          lanes.submit(run.sessionKey, run.input, "followup", { runId: run.id, ...(run.origin ? { origin: run.origin } : {}), ...(run.trigger ? { trigger: run.trigger } : {}) });
          recovered.resumed.push(run);
          continue;
        }
        await opts.store.runs.update(run.id, {
          status: "interrupted",
          finishedAt: opts.now(),
          errorCode: "interrupted",
          error: `the process stopped while this run was in flight, ${run.attempt} times; it is not resumed again`,
        });
        // The user is told in the conversation itself; channels deliver it like any reply.
        await opts.store.transcript.append(run.sessionKey, run.id, [{ role: "assistant", content: { role: "assistant", content: INTERRUPTED_NOTICE } }]);
        await audit(run, "run.interrupted", `found in flight at start-up after ${run.attempt} attempts (the limit is ${MAX_RUN_ATTEMPTS})`);
        recovered.interrupted.push({ ...run, status: "interrupted" });
      }
      return recovered;
    },
  };

  async function audit(run: Run, kind: string, reason: string): Promise<void> {
    await opts.store.audit.write({ at: opts.now(), kind, decision: "info", runId: run.id, sessionKey: run.sessionKey, tool: undefined, reason, detail: { attempt: run.attempt } });
  }
}

function journaledTurn(entry: JournalEntry): JournaledTurn | undefined {
  const p = entry.payload as Partial<JournaledTurn> | null;
  if (!p || typeof p.agentId !== "string" || typeof p.text !== "string") return undefined;
  return {
    agentId: p.agentId, text: p.text, ...(typeof p.queueMode === "string" ? { queueMode: p.queueMode } : {}),
    ...(p.origin && typeof p.origin === "object" ? { origin: p.origin } : {}),
    ...(typeof p.trigger === "string" && (RUN_TRIGGERS as readonly string[]).includes(p.trigger) ? { trigger: p.trigger } : {}),
    ...(parseTaint(p.taint) ? { taint: parseTaint(p.taint)! } : {}),
  };
}
