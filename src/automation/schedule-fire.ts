// One fire of a schedule: `concurrency` against the previous fire's run, the fire recorded once in the store, the run
// started through the journal (deduplicated on schedule id + planned time, so a retried or taken-over fire never runs
// twice), its outcome recorded and its answer delivered. Also picks up the fires a stopped process left unfinished.
import type { Logger } from "pino";
import type { RunOutcome } from "../agent/run-agent.ts";
import type { Schedule, ScheduleFire, ScheduleFireStatus } from "../core/domain.ts";
import { TERMINAL_STATUSES } from "../routing/cluster-messages.ts";
import type { Dispatcher } from "../routing/dispatcher.ts";
import type { Store } from "../store/store.ts";
import { automationSessionKey, routeForDeliver, SCHEDULE_CHANNEL } from "./automation.ts";
import type { PostResultOptions } from "./deliver-webhook.ts";
import { deliverFire, initialDelivery } from "./fire-delivery.ts";
import type { RunFollower } from "./run-follower.ts";

export interface FireResult {
  fireAt: number;
  status: "started" | "skipped";
  runId?: string;
  reason?: string;
}

export interface ScheduleFirerOptions {
  store: Store;
  dispatcher: Dispatcher;
  now: () => number;
  log: Logger;
  follower: RunFollower;
  knownAgent: (agentId: string) => boolean;
  /** A recorded fire younger than this whose run may never have been journaled is started again (journal-deduplicated). */
  resumeWithinMs: number;
  webhook?: PostResultOptions;
}

const ACTIVE = ["pending", "running", "waiting_approval"] as const;
/** A fire without a run after this long is given up (its process stopped before the run was created). */
const LOST_AFTER_MS = 3_600_000;
export const FIRED_ALREADY = "fired already (by this or another scheduler)";

const fireKey = (scheduleId: string, fireAt: number): string => `${scheduleId}@${fireAt}`;

interface Inflight {
  scheduleId: string;
  fireAt: number;
  sessionKey: string;
  runId: string | undefined;
}

export interface ScheduleFirer {
  /** Fires `schedule` for `fireAt`: concurrency, record, start, follow. Skips (with a reason) what is not started. */
  fire(schedule: Schedule, fireAt: number): Promise<FireResult>;
  /** Records a fire as skipped (catch-up); false when that fire was recorded already. */
  skip(schedule: Schedule, fireAt: number, reason: string): Promise<boolean>;
  /** Picks up the fires of `schedules` left unfinished (run not followed, delivery pending) by a stopped process. */
  recover(schedules: Schedule[]): Promise<void>;
  /** Fires whose runs this process follows. */
  inflight(): number;
}

export function createScheduleFirer(opts: ScheduleFirerOptions): ScheduleFirer {
  const { store, dispatcher, log } = opts;
  const inflight = new Map<string, Inflight>();

  /** The previous fire of the schedule whose run is still pending or running, here or in another process. */
  const activeFire = async (schedule: Schedule): Promise<Inflight | undefined> => {
    const here = [...inflight.values()].filter((f) => f.scheduleId === schedule.id).sort((a, b) => b.fireAt - a.fireAt)[0];
    if (here) return here;
    // The newest fires; enough to reach a long run's fire past the ones `forbid` skipped meanwhile.
    for (const f of await store.schedules.fires(schedule.id, { limit: 20 })) {
      if (f.status !== "started" || f.sessionKey === undefined) continue;
      const runId = f.runId ?? (await runOfFire(f, { active: true }));
      const run = runId === undefined ? undefined : await store.runs.get(runId);
      if (run && !TERMINAL_STATUSES.has(run.status)) return { scheduleId: f.scheduleId, fireAt: f.fireAt, sessionKey: f.sessionKey, runId: run.id };
    }
    return undefined;
  };

  /** The run a fire started, found by its session (runs of automated sessions are the fire's own, or tagged `schedule`). */
  const runOfFire = async (f: ScheduleFire, o: { active: boolean }): Promise<string | undefined> => {
    if (f.sessionKey === undefined) return undefined;
    const runs = await store.runs.list({ sessionKey: f.sessionKey, hasParent: false, since: f.createdAt - 1_000, limit: 20, ...(o.active ? { status: [...ACTIVE] } : {}) });
    return runs.filter((r) => r.trigger === "schedule").at(-1)?.id;
  };

  const updateFire = async (f: { scheduleId: string; fireAt: number }, patch: Parameters<Store["schedules"]["updateFire"]>[2]): Promise<void> => {
    try {
      await store.schedules.updateFire(f.scheduleId, f.fireAt, patch);
    } catch (err) {
      log.warn({ err, scheduleId: f.scheduleId, fireAt: f.fireAt }, "recording a schedule fire failed");
    }
  };

  /** Records the run's outcome, then delivers its answer (the fire stops counting for `concurrency` before delivery). */
  const finish = async (schedule: Schedule, fireAt: number, outcome: RunOutcome, pendingDelivery: boolean): Promise<void> => {
    const key = fireKey(schedule.id, fireAt);
    // Interrupted: this process is stopping; the run resumes at the next start, where `recover` follows it again.
    if (outcome.status === "interrupted") return void inflight.delete(key);
    const status: ScheduleFireStatus = outcome.status === "succeeded" ? "succeeded" : outcome.status === "cancelled" ? "cancelled" : "failed";
    await updateFire({ scheduleId: schedule.id, fireAt }, {
      status, finishedAt: opts.now(), ...(outcome.runId ? { runId: outcome.runId } : {}),
      reason: status === "failed" ? (outcome.error ?? outcome.errorCode ?? "the run failed") : undefined,
    });
    inflight.delete(key);
    if (!pendingDelivery) return;
    const delivered = await deliverFire(schedule, fireAt, outcome, opts.webhook);
    if (delivered.delivery === "failed") log.warn({ schedule: schedule.name, fireAt, error: delivered.deliveryError }, "a schedule's result could not be delivered");
    await updateFire({ scheduleId: schedule.id, fireAt }, { delivery: delivered.delivery, deliveryError: delivered.deliveryError });
  };

  const followInBackground = (schedule: Schedule, entry: Inflight, result: Promise<RunOutcome>, pendingDelivery: boolean): void => {
    inflight.set(fireKey(entry.scheduleId, entry.fireAt), entry);
    result.then((outcome) => finish(schedule, entry.fireAt, outcome, pendingDelivery)).catch((err: unknown) => {
      inflight.delete(fireKey(entry.scheduleId, entry.fireAt));
      log.error({ err, schedule: schedule.name, fireAt: entry.fireAt }, "following a schedule's run failed");
    });
  };

  /**
   * Starts the recorded fire's run through the journal: a second call for the same fire (a retry, another process) is a
   * duplicate and starts nothing. `adopt`: follow a run another process journaled (it stopped before following it).
   */
  const start = async (schedule: Schedule, fireAt: number, sessionKey: string, adopt: boolean): Promise<FireResult> => {
    const origin = routeForDeliver(schedule.deliver);
    const pendingDelivery = initialDelivery(schedule.deliver) === "pending";
    let received: Awaited<ReturnType<Dispatcher["receive"]>>;
    try {
      received = await dispatcher.receive({
        agentId: schedule.agentId, sessionKey, channel: SCHEDULE_CHANNEL, text: schedule.message, queueMode: "followup", trigger: "schedule",
        ...(origin ? { origin } : {}), inbound: { account: schedule.id, messageId: String(fireAt) },
      });
    } catch (err) {
      const reason = `the run could not start: ${err instanceof Error ? err.message : String(err)}`;
      await updateFire({ scheduleId: schedule.id, fireAt }, { status: "failed", reason, finishedAt: opts.now(), ...(pendingDelivery ? { delivery: "none" as const } : {}) });
      return { fireAt, status: "skipped", reason };
    }
    const entry: Inflight = { scheduleId: schedule.id, fireAt, sessionKey, runId: received.runId };
    if (received.runId !== undefined) await updateFire(entry, { runId: received.runId });
    if (!received.duplicate) followInBackground(schedule, entry, received.result, pendingDelivery);
    else if (adopt && received.runId !== undefined) followInBackground(schedule, entry, opts.follower.follow(received.runId), pendingDelivery);
    return { fireAt, status: "started", ...(received.runId !== undefined ? { runId: received.runId } : {}) };
  };

  const recoverFire = async (schedule: Schedule, f: ScheduleFire): Promise<void> => {
    const pendingDelivery = f.delivery === "pending";
    if (f.status !== "started") {
      // Finished, but its delivery never completed.
      const run = f.runId === undefined ? undefined : await store.runs.get(f.runId);
      const outcome = { runId: f.runId ?? "", status: f.status === "succeeded" ? "succeeded" as const : f.status === "cancelled" ? "cancelled" as const : "failed" as const, reply: run?.reply ?? "", error: f.reason, errorCode: undefined };
      const delivered = await deliverFire(schedule, f.fireAt, outcome, opts.webhook);
      return updateFire(f, { delivery: delivered.delivery, deliveryError: delivered.deliveryError });
    }
    if (f.sessionKey === undefined) return;
    if (f.runId === undefined && f.createdAt >= opts.now() - opts.resumeWithinMs) {
      // Recorded moments ago by a process that may have stopped before journaling it: journal it now (a no-op if it was).
      await start(schedule, f.fireAt, f.sessionKey, true);
      return;
    }
    const runId = f.runId ?? (await runOfFire(f, { active: false }));
    if (runId === undefined) {
      if (f.createdAt < opts.now() - LOST_AFTER_MS) {
        await updateFire(f, { status: "failed", reason: "the process stopped before this fire's run was created", finishedAt: opts.now(), ...(pendingDelivery ? { delivery: "none" as const } : {}) });
      }
      return;
    }
    if (f.runId === undefined) await updateFire(f, { runId });
    followInBackground(schedule, { scheduleId: f.scheduleId, fireAt: f.fireAt, sessionKey: f.sessionKey, runId }, opts.follower.follow(runId), pendingDelivery);
  };

  return {
    inflight: () => inflight.size,
    async fire(schedule, fireAt) {
      const sessionKey = automationSessionKey({ agentId: schedule.agentId, session: schedule.session, channel: SCHEDULE_CHANNEL, source: schedule.id, fireAt });
      const base = { scheduleId: schedule.id, fireAt, runId: undefined, sessionKey };
      if (!opts.knownAgent(schedule.agentId)) {
        const reason = `unknown agent "${schedule.agentId}": add agents.${schedule.agentId} to the config, or change the schedule's agent`;
        const won = await store.schedules.recordFire({ ...base, status: "failed", reason, delivery: "none" });
        return { fireAt, status: "skipped", reason: won ? reason : FIRED_ALREADY };
      }
      if (schedule.concurrency !== "allow") {
        const previous = await activeFire(schedule);
        if (previous && schedule.concurrency === "forbid") {
          const reason = `the previous run${previous.runId ? ` (${previous.runId})` : ""} is still going (concurrency: forbid)`;
          const won = await store.schedules.recordFire({ ...base, sessionKey: undefined, status: "skipped", reason, delivery: "none" });
          return { fireAt, status: "skipped", reason: won ? reason : FIRED_ALREADY };
        }
        if (previous) {
          // replace: the old run stops at its next safe point (its fire is recorded `cancelled`); the new one starts.
          const stopped = dispatcher.stop(previous.sessionKey, "cancelled");
          log.info({ schedule: schedule.name, session: previous.sessionKey, runId: previous.runId ?? stopped.runId }, "replacing the previous run of a schedule");
        }
      }
      const recorded = await store.schedules.recordFire({ ...base, status: "started", reason: undefined, delivery: initialDelivery(schedule.deliver) });
      if (!recorded) return { fireAt, status: "skipped", reason: FIRED_ALREADY };
      return start(schedule, fireAt, sessionKey, false);
    },
    skip: (schedule, fireAt, reason) => store.schedules.recordFire({ scheduleId: schedule.id, fireAt, status: "skipped", reason, runId: undefined, sessionKey: undefined, delivery: "none" }),
    async recover(schedules) {
      const byId = new Map(schedules.map((s) => [s.id, s]));
      const found = new Map<string, ScheduleFire>();
      for (const f of await store.schedules.pendingDeliveries(100)) found.set(fireKey(f.scheduleId, f.fireAt), f);
      for (const s of schedules) {
        for (const f of await store.schedules.fires(s.id, { limit: 10 })) if (f.status === "started") found.set(fireKey(f.scheduleId, f.fireAt), f);
      }
      for (const [key, f] of found) {
        const schedule = byId.get(f.scheduleId);
        if (!schedule || inflight.has(key)) continue;
        try {
          await recoverFire(schedule, f);
        } catch (err) {
          log.warn({ err, schedule: schedule.name, fireAt: f.fireAt }, "picking up an unfinished schedule fire failed");
        }
      }
    },
  };
}
