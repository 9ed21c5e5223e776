// The control side of the cluster runtime: the Dispatcher the gateway uses when runs execute on workers.
// Turns become run records (store) and jobs (bus); callers follow them through live events, with the store as backstop.
import type { Logger } from "pino";
import type { AgentConfig } from "../core/config-schema.ts";
import type { RunEvent } from "../core/events.ts";
import { newId } from "../core/ids.ts";
import { mergeTaint, parseTaint } from "../core/taint-sources.ts";
import type { RunOutcome } from "../agent/run-agent.ts";
import type { Bus } from "../bus/bus.ts";
import type { Store } from "../store/store.ts";
import {
  EVENTS_PREFIX, STOP_SUBJECT, TERMINAL_STATUSES, outcomeOf, runIdForJournal, type InboundJob, type RunJob, type StopRequest,
} from "./cluster-messages.ts";
import type { Dispatcher, LaneView, Recovered, RunListener, Submitted, TurnRequest } from "./dispatcher.ts";

export interface ClusterDispatcherOptions {
  store: Store;
  bus: Bus;
  agentConfig: (agentId: string) => AgentConfig;
  now: () => number;
  log: Logger;
  /** How often a waiting caller re-reads its run from the store, in case the final event was missed. Default 2000 ms. */
  pollMs?: number;
}

export interface ClusterDispatcher extends Dispatcher {
  /** Stops following events and fails nobody: runs continue on the workers. */
  close(): void;
}

/**
 * Contract: a message is durable (journal or run record, and a published job) before send/receive resolves;
 * `result` settles with the run's final outcome even if its live events were lost (it polls the store).
 */
export function createClusterDispatcher(opts: ClusterDispatcherOptions): ClusterDispatcher {
  const { store, bus } = opts;
  const pollMs = opts.pollMs ?? 2_000;
  const listeners = new Set<RunListener>();
  const waiters = new Map<string, Array<(outcome: RunOutcome) => void>>();
  const active = new Map<string, string>(); // session → run id, from live events
  const queued = new Map<string, Set<string>>(); // session → run ids sent from here, not yet started

  const settle = (runId: string, outcome: RunOutcome): void => {
    // Also when the outcome came from a store poll: the live run_finished event may have been lost.
    for (const [session, id] of active) if (id === runId) active.delete(session);
    for (const [session, set] of queued) if (set.delete(runId) && set.size === 0) queued.delete(session);
    const list = waiters.get(runId);
    waiters.delete(runId);
    for (const resolve of list ?? []) resolve(outcome);
  };

  const unsubscribe = bus.subscribe(`${EVENTS_PREFIX}.>`, (data) => {
    const event = data as RunEvent;
    if (event.type === "run_started") {
      active.set(event.sessionKey, event.runId);
      queued.get(event.sessionKey)?.delete(event.runId);
    }
    if (event.type === "run_finished") {
      settle(event.runId, { runId: event.runId, status: event.status, reply: event.reply, usage: event.usage, model: undefined, errorCode: event.errorCode, error: event.error });
    }
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener must not break the others.
      }
    }
  });

  /** Resolves when the run is terminal: on its run_finished event, or when a store poll finds it finished. */
  const waitForRun = (runId: string): Promise<RunOutcome> =>
    new Promise<RunOutcome>((resolve) => {
      let done = false;
      const finish = (outcome: RunOutcome): void => {
        if (done) return;
        done = true;
        clearInterval(poll);
        resolve(outcome);
      };
      const list = waiters.get(runId) ?? [];
      list.push(finish);
      waiters.set(runId, list);
      const poll = setInterval(() => {
        void store.runs.get(runId).then(
          (run) => {
            if (run && TERMINAL_STATUSES.has(run.status)) {
              // The event may still arrive with the model; the record is authoritative either way.
              finish(outcomeOf(run));
              settle(runId, outcomeOf(run));
            }
          },
          (err: unknown) => opts.log.warn({ err, runId }, "polling a run failed; retrying"),
        );
      }, pollMs);
      poll.unref();
    });

  const track = (sessionKey: string, runId: string): "started" | "queued" => {
    const set = queued.get(sessionKey) ?? new Set<string>();
    set.add(runId);
    queued.set(sessionKey, set);
    return active.has(sessionKey) || set.size > 1 ? "queued" : "started";
  };

  const view: LaneView = {
    activeRunId: (sessionKey) => active.get(sessionKey),
    activeSessions: () => [...active.keys()],
    queueDepth: (sessionKey) => {
      if (sessionKey) return queued.get(sessionKey)?.size ?? 0;
      let n = 0;
      for (const set of queued.values()) n += set.size;
      return n;
    },
  };

  const interruptIfAsked = (req: TurnRequest): void => {
    if (req.queueMode === "interrupt") bus.emit(STOP_SUBJECT, { sessionKey: req.sessionKey, reason: "interrupted" } satisfies StopRequest);
  };

  return {
    lanes: view,
    async send(req) {
      if (req.session?.key !== req.sessionKey) await store.sessions.ensure({ key: req.sessionKey, agentId: req.agentId, channel: req.channel });
      opts.agentConfig(req.agentId);
      const runId = newId("run");
      await store.runs.create({
        id: runId, sessionKey: req.sessionKey, agentId: req.agentId, input: req.text, createdAt: opts.now(), ...(req.origin ? { origin: req.origin } : {}),
        ...(req.parentRunId ? { parentRunId: req.parentRunId } : {}), ...(req.trigger ? { trigger: req.trigger } : {}),
        ...(req.taint?.length ? { taint: mergeTaint(req.taint) } : {}),
      });
      const result = waitForRun(runId);
      interruptIfAsked(req);
      await bus.publish("runs", { runId } satisfies RunJob, { msgId: runId });
      return { disposition: track(req.sessionKey, runId), runId, result } satisfies Submitted;
    },
    async receive(req) {
      const { entry, duplicate } = req.inbound.journalId !== undefined ? await journaled(req.inbound.journalId) : await store.journal.append({
        channel: req.channel,
        account: req.inbound.account,
        platformMessageId: req.inbound.messageId,
        sessionKey: req.sessionKey,
        payload: {
          agentId: req.agentId, text: req.text, ...(req.queueMode ? { queueMode: req.queueMode } : {}), ...(req.origin ? { origin: req.origin } : {}),
          ...(req.trigger ? { trigger: req.trigger } : {}), ...(req.taint?.length ? { taint: mergeTaint(req.taint) } : {}),
        },
      });
      // A journal id always becomes the same run id, routed or not yet.
      if (duplicate) return { duplicate: true, journalId: entry.id, runId: runIdForJournal(entry.id) };
      await store.sessions.ensure({ key: req.sessionKey, agentId: req.agentId, channel: req.channel });
      const runId = runIdForJournal(entry.id);
      const result = waitForRun(runId);
      interruptIfAsked(req);
      await publishInbound({
        journalId: entry.id, sessionKey: req.sessionKey, agentId: req.agentId, channel: req.channel, text: req.text,
        ...(req.queueMode ? { queueMode: req.queueMode } : {}), ...(req.origin ? { origin: req.origin } : {}), ...(req.trigger ? { trigger: req.trigger } : {}),
        ...(req.taint?.length ? { taint: mergeTaint(req.taint) } : {}),
      });
      return { duplicate: false, journalId: entry.id, disposition: track(req.sessionKey, runId), runId, result };
    },
    async replayJournal() {
      // Entries journaled but never routed (the process died between journal and publish). Republishing is safe:
      // the bus dedupes by msgId and the router turns a journal id into one deterministic run id.
      let replayed = 0;
      for (const entry of await store.journal.pending()) {
        const p = entry.payload as { agentId?: unknown; text?: unknown; queueMode?: unknown; origin?: unknown; trigger?: unknown; taint?: unknown } | null;
        if (!p || typeof p.agentId !== "string" || typeof p.text !== "string" || entry.sessionKey === undefined) continue;
        // Origin and trigger are checked by the inbound job's schema where the router reads them.
        await publishInbound({
          journalId: entry.id, sessionKey: entry.sessionKey, agentId: p.agentId, channel: entry.channel, text: p.text,
          ...(p.origin ? { origin: p.origin as InboundJob["origin"] } : {}), ...(typeof p.trigger === "string" ? { trigger: p.trigger as InboundJob["trigger"] } : {}),
          ...(parseTaint(p.taint) ? { taint: parseTaint(p.taint)! } : {}),
        });
        replayed++;
      }
      return replayed;
    },
    stop(sessionKey, reason = "cancelled") {
      bus.emit(STOP_SUBJECT, { sessionKey, reason } satisfies StopRequest);
      void cancelPending(sessionKey);
      return { runId: active.get(sessionKey), dropped: queued.get(sessionKey)?.size ?? 0 };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    // Runs in flight belong to workers; JetStream redelivers those of a worker that died. Nothing to mark here.
    // Workers resume runs whose worker died (the bus redelivers their jobs); nothing is left to recover here.
    recoverInterrupted: async (): Promise<Recovered> => ({ resumed: [], interrupted: [] }),
    close() {
      unsubscribe();
    },
  };

  /** A message channel ingress journaled already: only its id matters here. */
  async function journaled(journalId: number): Promise<{ entry: { id: number }; duplicate: false }> {
    return { entry: { id: journalId }, duplicate: false };
  }

  function publishInbound(job: InboundJob): Promise<void> {
    return bus.publish("inbound", job, { msgId: `journal-${job.journalId}` });
  }

  /** `/stop` also drops the session's runs that no worker has started; their waiters get `cancelled`. */
  async function cancelPending(sessionKey: string): Promise<void> {
    try {
      const pending = await store.runs.list({ sessionKey, status: ["pending"] });
      for (const run of pending) {
        // Compare-and-set: a worker may be claiming it right now; whoever wins decides.
        const cancelled = await store.runs.claim(run.id, { from: ["pending"], worker: "control", patch: { status: "cancelled", finishedAt: opts.now() } });
        if (!cancelled) continue;
        const event: RunEvent = { type: "run_finished", runId: run.id, status: "cancelled", reply: "", usage: run.usage };
        bus.emit(`${EVENTS_PREFIX}.${run.id}`, event);
      }
    } catch (err) {
      opts.log.warn({ err, sessionKey }, "could not cancel queued runs");
    }
  }
}
