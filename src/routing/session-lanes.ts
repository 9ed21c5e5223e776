// Session lanes: at most one active run per session, and what happens to a message that arrives meanwhile
// (queue modes followup | collect | steer | interrupt). In-process; the cluster runtime leases sessions instead.
import type { QueueMode } from "../core/config-schema.ts";
import type { AuditRecord, RunTrigger, TaintSource } from "../core/domain.ts";
import type { ReplyRoute } from "../core/inbound.ts";

export interface LaneJob {
  sessionKey: string;
  text: string;
  /** Tags of the messages merged into this job (journal entry ids), in arrival order. */
  tags: number[];
  /** Where the reply goes: the route of the last message merged into this job. */
  origin: ReplyRoute | undefined;
  /** What started the first message of this job. */
  trigger?: RunTrigger | undefined;
  /** Untrusted content of the messages merged into this job. */
  taint?: TaintSource[] | undefined;
  /** Set when the job continues an existing run (after a restart) instead of starting one for `text`. */
  runId?: string;
}

export interface ActiveRun {
  /** Aborts the run at its next safe point. */
  abort: (reason: "cancelled" | "interrupted") => void;
  /** Steering texts waiting to be injected into this run. */
  steering: string[];
  runId: () => string | undefined;
}

export interface LaneOutcome {
  runId: string;
  status: string;
}

export interface LaneSubmit<R extends LaneOutcome> {
  /** `started` now, `queued` behind the active run, `merged` into a queued collect batch, `steered` into the active run,
   * `interrupting` the active run (which stops at its next safe point). */
  disposition: "started" | "queued" | "merged" | "steered" | "interrupting";
  /** Resolves with the outcome of the run that answered this message. */
  result: Promise<R>;
}

interface QueuedItem<R> {
  runId?: string;
  texts: string[];
  tags: number[];
  origin: ReplyRoute | undefined;
  trigger?: RunTrigger | undefined;
  taint?: TaintSource[] | undefined;
  mode: QueueMode;
  waiters: Array<(r: R) => void>;
}

interface Lane<R> {
  active: (ActiveRun & { waiters: Array<(r: R) => void> }) | undefined;
  queue: Array<QueuedItem<R>>;
}

export interface SessionLanesOptions<R extends LaneOutcome> {
  /** Starts a run for the text; must call `bind` synchronously with the run's controls before its first await. */
  start: (job: LaneJob, bind: (active: ActiveRun) => void) => Promise<R>;
  audit: (record: AuditRecord) => Promise<void>;
  now: () => number;
}

/** Per-session queueing. Contract: runs of one session never overlap; every submit's `result` settles. */
export class SessionLanes<R extends LaneOutcome> {
  readonly #lanes = new Map<string, Lane<R>>();
  readonly #opts: SessionLanesOptions<R>;

  constructor(opts: SessionLanesOptions<R>) {
    this.#opts = opts;
  }

  /** `tag` (a journal entry id) and `origin` travel with the text to the job that runs it; steered texts' are not passed on.
   * With `runId` the job continues that existing run; it is queued like a followup and never merged or steered. */
  submit(sessionKey: string, text: string, mode: QueueMode, meta: { tag?: number; origin?: ReplyRoute; runId?: string; trigger?: RunTrigger; taint?: TaintSource[] } = {}): LaneSubmit<R> {
    const lane = this.#lane(sessionKey);
    const { promise, resolve } = Promise.withResolvers<R>();
    const tags = meta.tag === undefined ? [] : [meta.tag];
    const origin = meta.origin;
    const trigger = meta.trigger;
    const taint = meta.taint;
    if (meta.runId !== undefined) {
      const item: QueuedItem<R> = { runId: meta.runId, texts: [text], tags, origin, mode: "followup", waiters: [resolve] };
      if (lane.active) lane.queue.push(item);
      else this.#startNext(sessionKey, lane, item);
      return { disposition: lane.queue.includes(item) ? "queued" : "started", result: promise };
    }
    if (!lane.active) {
      this.#startNext(sessionKey, lane, { texts: [text], tags, origin, trigger, taint, mode, waiters: [resolve] });
      return { disposition: "started", result: promise };
    }
    if (mode === "steer") {
      lane.active.steering.push(text);
      lane.active.waiters.push(resolve);
      return { disposition: "steered", result: promise };
    }
    if (mode === "interrupt") {
      lane.queue.unshift({ texts: [text], tags, origin, trigger, taint, mode, waiters: [resolve] });
      const runId = lane.active.runId();
      lane.active.abort("interrupted");
      void this.#opts.audit({
        at: this.#opts.now(),
        kind: "queue.preempt",
        decision: "info",
        runId,
        sessionKey,
        tool: undefined,
        reason: "a new message arrived with queue mode interrupt",
        detail: { preemptedRunId: runId },
      });
      return { disposition: "interrupting", result: promise };
    }
    const last = lane.queue.at(-1);
    if (mode === "collect" && last?.mode === "collect") {
      last.texts.push(text);
      last.tags.push(...tags);
      last.origin = origin ?? last.origin;
      if (taint?.length) last.taint = [...(last.taint ?? []), ...taint];
      last.waiters.push(resolve);
      return { disposition: "merged", result: promise };
    }
    lane.queue.push({ texts: [text], tags, origin, trigger, taint, mode, waiters: [resolve] });
    return { disposition: "queued", result: promise };
  }

  /** Stops the session's active run (`/stop`, or `interrupted` at shutdown) and drops what was queued behind it.
   * Returns the stopped run id. */
  stop(sessionKey: string, reason: "cancelled" | "interrupted" = "cancelled"): { runId: string | undefined; dropped: number } {
    const lane = this.#lanes.get(sessionKey);
    if (!lane?.active) return { runId: undefined, dropped: 0 };
    const dropped = lane.queue.length;
    const runId = lane.active.runId();
    lane.active.abort(reason);
    // Steering not yet injected is dropped too, or it would start a follow-up run right after the stop;
    // its submitters are already waiting on the active run.
    lane.active.steering.splice(0);
    // Queued messages still get an answer: they are resolved with the stopped run's outcome.
    const waiters = lane.queue.flatMap((q) => q.waiters);
    lane.queue = [];
    lane.active.waiters.push(...waiters);
    return { runId, dropped };
  }

  activeRunId(sessionKey: string): string | undefined {
    return this.#lanes.get(sessionKey)?.active?.runId();
  }

  queueDepth(sessionKey?: string): number {
    if (sessionKey) return this.#lanes.get(sessionKey)?.queue.length ?? 0;
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.queue.length;
    return n;
  }

  /** Sessions with an active run. */
  activeSessions(): string[] {
    return [...this.#lanes.entries()].filter(([, l]) => l.active).map(([k]) => k);
  }

  #lane(sessionKey: string): Lane<R> {
    let lane = this.#lanes.get(sessionKey);
    if (!lane) {
      lane = { active: undefined, queue: [] };
      this.#lanes.set(sessionKey, lane);
    }
    return lane;
  }

  #startNext(sessionKey: string, lane: Lane<R>, item: QueuedItem<R>): void {
    const text = item.texts.join("\n\n");
    let bound = false;
    const job: LaneJob = { sessionKey, text, tags: item.tags, origin: item.origin, trigger: item.trigger, ...(item.taint?.length ? { taint: item.taint } : {}), ...(item.runId !== undefined ? { runId: item.runId } : {}) };
    const result = this.#opts.start(job, (controls) => {
      lane.active = { ...controls, waiters: [...item.waiters] };
      bound = true;
    });
    if (!bound) throw new Error("SessionLanes: start() must bind the active run synchronously");
    void result.then(
      (r) => this.#finish(sessionKey, lane, r),
      (err: unknown) => this.#finish(sessionKey, lane, failedOutcome(err) as unknown as R),
    );
  }

  #finish(sessionKey: string, lane: Lane<R>, outcome: R): void {
    const active = lane.active;
    lane.active = undefined;
    const leftover = active?.steering.splice(0) ?? [];
    // Steering that arrived too late to be injected runs next as a follow-up, answered by that run.
    const waiters = active?.waiters ?? [];
    const steerWaiters = leftover.length > 0 ? waiters.splice(waiters.length - leftover.length) : [];
    for (const w of waiters) w(outcome);
    if (leftover.length > 0) lane.queue.unshift({ texts: leftover, tags: [], origin: undefined, mode: "followup", waiters: steerWaiters });
    const next = lane.queue.shift();
    if (next) this.#startNext(sessionKey, lane, next);
    else this.#lanes.delete(sessionKey);
  }
}

function failedOutcome(err: unknown): LaneOutcome & { error: string } {
  return { runId: "", status: "failed", error: err instanceof Error ? err.message : String(err) };
}
