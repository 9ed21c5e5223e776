// Waiting for a run this process did not start (a fire taken over after a failover, a heartbeat's run): its
// run_finished event through the dispatcher, with the store read now and then in case the event was missed.
import type { Logger } from "pino";
import type { RunOutcome } from "../agent/run-agent.ts";
import { outcomeOf, TERMINAL_STATUSES } from "../routing/cluster-messages.ts";
import type { Dispatcher } from "../routing/dispatcher.ts";
import type { Store } from "../store/store.ts";

/** setTimeout/clearTimeout, injectable so tests drive time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process's timers, unref'ed: a pending wake never keeps the process alive. Read at call time (fake timers apply). */
export const realTimers: Timers = {
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface RunFollower {
  /** Resolves with the run's outcome once it is terminal; never rejects (a failing store read is retried). */
  follow(runId: string): Promise<RunOutcome>;
  /** Stops every wait; pending follows never resolve. */
  close(): void;
}

export function createRunFollower(opts: { store: Store; dispatcher: Pick<Dispatcher, "subscribe">; timers: Timers; pollMs: number; log: Logger }): RunFollower {
  const closers = new Set<() => void>();
  return {
    follow(runId) {
      return new Promise<RunOutcome>((resolve) => {
        let timer: unknown;
        const done = (outcome: RunOutcome): void => {
          close();
          resolve(outcome);
        };
        const unsubscribe = opts.dispatcher.subscribe((event) => {
          if (event.type === "run_finished" && event.runId === runId) {
            done({ runId, status: event.status, reply: event.reply, usage: event.usage, model: undefined, errorCode: event.errorCode, error: event.error });
          }
        });
        const close = (): void => {
          unsubscribe();
          opts.timers.clearTimeout(timer);
          closers.delete(close);
        };
        closers.add(close);
        const check = (): void => {
          opts.store.runs.get(runId).then(
            (run) => {
              if (!closers.has(close)) return;
              if (run && TERMINAL_STATUSES.has(run.status)) done(outcomeOf(run));
              else timer = opts.timers.setTimeout(check, opts.pollMs);
            },
            (err: unknown) => {
              opts.log.warn({ err, runId }, "reading a run failed; retrying");
              if (closers.has(close)) timer = opts.timers.setTimeout(check, opts.pollMs);
            },
          );
        };
        check();
      });
    },
    close() {
      for (const close of closers) close(); // deleting the visited entry while iterating a Set is safe
    },
  };
}
