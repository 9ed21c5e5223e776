// `pincer worker`: pulls run jobs from `pincer.<instance>.runs`, executes them with the same agent code as the
// embedded runtime, and publishes their live events. One run per session across all workers, via a store lease.
import { hostname } from "node:os";
import type { Logger } from "pino";
import { newId } from "../core/ids.ts";
import type { RunEvent } from "../core/events.ts";
import type { Bus, Consumer, WorkMessage } from "../bus/bus.ts";
import { eventSubject, outcomeOf, runJobSchema, stopRequestSchema, STOP_SUBJECT, TERMINAL_STATUSES } from "./cluster-messages.ts";
import { claimRun, createRunControls, executeRun, IN_FLIGHT_STATUSES, type ExecutorDeps, type RunControls } from "./run-executor.ts";

export interface RunWorkerOptions extends ExecutorDeps {
  bus: Bus;
  log: Logger;
  /** Runs executed at once by this process. Default 4. */
  concurrency?: number;
  /** The bus's ack wait: heartbeats and the session lease are paced by it. */
  ackWaitMs: number;
  /** How often a job waiting for its session's turn looks again. Default 200 ms. */
  waitPollMs?: number;
  /** Names this worker in leases and logs. Default `<host>-<pid>-<random>`. */
  id?: string;
}

export interface RunWorker {
  readonly id: string;
  /** Runs executing now. */
  active(): number;
  /** Stops pulling and waits up to `deadlineMs` for running turns. Returns those still running: the caller should
   * exit the process, and the bus redelivers them to another worker, which resumes them from their transcripts. */
  close(opts?: { deadlineMs?: number }): Promise<{ unfinished: number }>;
}

interface Running {
  sessionKey: string;
  controls: RunControls;
}

/** Contract: a job is acked only after its run is terminal in the store; a job for a run already terminal (a
 * redelivery after a crash between finishing and acking) is acked without running it again. */
export function startRunWorker(opts: RunWorkerOptions): RunWorker {
  const id = opts.id ?? `${hostname()}-${process.pid}-${newId("w").slice(-6)}`;
  const log = opts.log.child({ component: "worker", worker: id });
  const { store, bus } = opts;
  const leaseMs = opts.ackWaitMs;
  const beatMs = Math.max(250, Math.floor(opts.ackWaitMs / 3));
  const pollMs = opts.waitPollMs ?? 200;
  const running = new Map<string, Running>(); // runId →
  let closing = false;

  const unsubscribe = bus.subscribe(STOP_SUBJECT, (data) => {
    const req = stopRequestSchema.safeParse(data);
    if (!req.success) return;
    for (const [runId, r] of running) {
      if (r.sessionKey !== req.data.sessionKey) continue;
      log.info({ runId, reason: req.data.reason }, "stop requested");
      r.controls.abort(req.data.reason);
    }
  });

  const consumer: Consumer = bus.consume<unknown>("runs", "workers", (msg) => handle(msg), { concurrency: opts.concurrency ?? 4 });

  async function handle(msg: WorkMessage<unknown>): Promise<void> {
    const job = runJobSchema.safeParse(msg.data);
    if (!job.success) return msg.term(`malformed run job: ${job.error.issues[0]?.message ?? "invalid"}`);
    const runId = job.data.runId;
    const run = await store.runs.get(runId);
    if (!run) return msg.term(`run ${runId} does not exist in the store`);
    if (TERMINAL_STATUSES.has(run.status)) {
      // Redelivered after the run finished: its reply may not have been queued before the crash (deliveries dedupe).
      await opts.onRunFinished?.(run, outcomeOf(run));
      return msg.ack();
    }

    const lease = `session:${run.sessionKey}`;
    const holder = `${id}/${runId}`;
    const beat = setInterval(() => {
      msg.working();
      void store.leases.renew(lease, holder, leaseMs).catch((err: unknown) => log.warn({ err, runId }, "lease renewal failed"));
    }, beatMs);
    let leased = false;
    try {
      // Wait for the session's turn: this run must be its oldest unfinished one, and the lease must be free.
      for (;;) {
        if (closing) return msg.nak(0); // not started: redelivered at once to a worker that is not stopping
        const current = await store.runs.get(runId);
        if (!current || TERMINAL_STATUSES.has(current.status)) return await msg.ack(); // cancelled while it waited
        const open = await store.runs.list({ sessionKey: run.sessionKey, status: IN_FLIGHT_STATUSES });
        const oldest = open.reduce((a, b) => (b.createdAt < a.createdAt || (b.createdAt === a.createdAt && b.id < a.id) ? b : a), current);
        if (oldest.id === runId && (await store.leases.acquire(lease, holder, leaseMs))) break;
        msg.working();
        await new Promise((r) => setTimeout(r, pollMs + Math.floor(Math.random() * pollMs)));
      }
      leased = true;
      const claimed = await claimRun(store, runId, id, opts.now);
      if (!claimed) return await msg.ack(); // finished or cancelled meanwhile
      if (claimed.attempt > 1) {
        // A previous attempt died mid-run: the agent resumes it from what that attempt wrote to the transcript.
        log.warn({ runId, attempt: claimed.attempt, delivery: msg.deliveryCount }, "resuming a run after its worker stopped");
      }
      const controls = createRunControls();
      running.set(runId, { sessionKey: run.sessionKey, controls });
      try {
        const session = await store.sessions.get(run.sessionKey);
        const emit = (event: RunEvent): void => bus.emit(eventSubject(runId), event);
        const outcome = await executeRun(opts, { run: claimed, session, controls, emit });
        log.info({ runId, status: outcome.status }, "run finished");
      } finally {
        running.delete(runId);
      }
      await msg.ack();
    } finally {
      clearInterval(beat);
      if (leased) await store.leases.release(lease, holder).catch((err: unknown) => log.warn({ err, runId }, "lease release failed"));
    }
  }

  log.info({ concurrency: opts.concurrency ?? 4 }, "worker started");
  return {
    id,
    active: () => running.size,
    async close(o) {
      closing = true;
      unsubscribe();
      const stopped = consumer.stop();
      const deadline = new Promise<"deadline">((r) => setTimeout(() => r("deadline"), o?.deadlineMs ?? 10_000).unref());
      const result = await Promise.race([stopped.then(() => "done" as const), deadline]);
      const unfinished = result === "done" ? 0 : running.size;
      log.info({ unfinished }, "worker stopped");
      return { unfinished };
    },
  };
}
