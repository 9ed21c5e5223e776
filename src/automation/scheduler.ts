// The scheduler: one process at a time (the holder of the store lease SCHEDULER_LEASE) fires due schedules and ticks
// heartbeats. It wakes at the soonest planned time and at least every `pollMs` to see schedules other processes wrote
// (the CLI writes straight to the store); with nothing to do it holds no lease and costs one small query per poll.
import type { Logger } from "pino";
import type { PincerConfig } from "../core/config-schema.ts";
import type { Schedule } from "../core/domain.ts";
import { InputError } from "../core/errors.ts";
import { hasOwnEntry } from "../core/own-entry.ts";
import type { Dispatcher } from "../routing/dispatcher.ts";
import type { Store } from "../store/store.ts";
import { heartbeatScheduleId, SCHEDULER_LEASE, type AutomationControl, type AutomationStatus, type HeartbeatRunner, type HeartbeatTick } from "./automation.ts";
import type { PostResultOptions } from "./deliver-webhook.ts";
import { createRunFollower, realTimers, type Timers } from "./run-follower.ts";
import { createScheduleFirer, type FireResult } from "./schedule-fire.ts";
import { nextFireOf } from "./schedule-spec.ts";

export interface SchedulerOptions {
  store: Store;
  dispatcher: Dispatcher;
  config: () => PincerConfig;
  now: () => number;
  log: Logger;
  /** This process's id in the lease (unique per process). */
  holder: string;
  /** The configured heartbeats, read on every wake (a reload may change them). */
  heartbeats?: () => HeartbeatRunner[];
  fetch?: typeof fetch;
  timers?: Timers;
  /** Lease time to live. Default 15 s. */
  leaseTtlMs?: number;
  /** How often the lease is renewed (or, without it, tried). Default 5 s. */
  renewMs?: number;
  /** The longest sleep between two looks at the schedules. Default 5 s. */
  pollMs?: number;
  /** A fire later than this is "missed" and follows the schedule's `catchup`. Default 60 s. */
  catchupGraceMs?: number;
  /** Webhook delivery tuning (timeouts, retries). */
  webhook?: Omit<PostResultOptions, "fetch">;
}

export interface Scheduler extends AutomationControl {
  /** Starts taking part in the lease; resolves after the first attempt (leader or not). */
  start(): Promise<void>;
  /** Stops waking, gives the lease up; runs already started go on. */
  stop(): Promise<void>;
}

/** Firing stops this long before the lease would expire unrenewed, so a successor never overlaps. */
const LEASE_MARGIN_MS = 1_000;

export function createScheduler(opts: SchedulerOptions): Scheduler {
  const { store, log, holder, now } = opts;
  const timers = opts.timers ?? realTimers;
  const ttl = opts.leaseTtlMs ?? 15_000;
  const renewMs = opts.renewMs ?? 5_000;
  const pollMs = opts.pollMs ?? 5_000;
  const grace = opts.catchupGraceMs ?? 60_000;
  const runners = (): HeartbeatRunner[] => opts.heartbeats?.() ?? [];
  const follower = createRunFollower({ store, dispatcher: opts.dispatcher, timers, pollMs, log });
  const firer = createScheduleFirer({
    store, dispatcher: opts.dispatcher, now, log, follower, resumeWithinMs: grace,
    knownAgent: (agentId) => hasOwnEntry(opts.config().agents, agentId),
    webhook: { ...opts.webhook, ...(opts.fetch ? { fetch: opts.fetch } : {}) },
  });

  let running = false;
  let leader = false;
  let holderSeen: string | undefined;
  let leaseUntil = 0;
  let leaseTimer: unknown;
  let wakeTimer: unknown;
  let nextWakeAt: number | undefined;
  let leaseChain: Promise<void> = Promise.resolve();
  let fireChain: Promise<void> = Promise.resolve();
  let wakeQueued = false;
  const heartbeats = new Map<string, { runner: HeartbeatRunner; next: number | undefined }>();
  let lastTick: AutomationStatus["heartbeat"]["lastTick"];

  const canFire = (): boolean => running && leader && now() < leaseUntil - LEASE_MARGIN_MS;

  const planWake = (at: number): void => {
    timers.clearTimeout(wakeTimer);
    nextWakeAt = at;
    wakeTimer = timers.setTimeout(() => {
      wakeTimer = undefined;
      wake();
    }, Math.max(0, at - now()));
  };

  const wake = (): void => {
    if (wakeQueued) return;
    wakeQueued = true;
    fireChain = fireChain.then(async () => {
      wakeQueued = false;
      await fireCycle();
    }).catch((err: unknown) => {
      log.error({ err }, "the scheduler's wake failed; retrying at the next poll");
      if (canFire()) planWake(now() + pollMs);
    });
  };

  const stepDown = (why: string): void => {
    if (!leader) return;
    leader = false;
    timers.clearTimeout(wakeTimer);
    wakeTimer = undefined;
    nextWakeAt = undefined;
    heartbeats.clear();
    log.warn({ holder }, `no longer firing schedules: ${why}`);
  };

  const becomeLeader = (since: number): void => {
    leader = true;
    leaseUntil = since + ttl;
    holderSeen = holder;
    log.info({ holder }, "this process fires schedules now (it holds the scheduler lease)");
    fireChain = fireChain.then(async () => {
      // What the previous holder (or this process before a restart) left unfinished: runs to follow, results to deliver.
      await firer.recover(await store.schedules.list());
    }).catch((err: unknown) => log.warn({ err }, "picking up unfinished schedule fires failed"));
    wake();
  };

  const leaseTick = async (): Promise<void> => {
    if (!running) return;
    const since = now();
    try {
      if (leader) {
        if (await store.leases.renew(SCHEDULER_LEASE, holder, ttl)) leaseUntil = since + ttl;
        else stepDown("another process took the scheduler lease over");
      } else if (runners().length > 0 || (await store.schedules.nextDue()) !== undefined) {
        if (!running) return;
        if (await store.leases.acquire(SCHEDULER_LEASE, holder, ttl)) becomeLeader(since);
        else holderSeen = (await store.leases.get(SCHEDULER_LEASE))?.holder;
      }
    } catch (err) {
      log.warn({ err }, "the scheduler lease could not be checked; retrying");
    }
    if (leader && now() >= leaseUntil - LEASE_MARGIN_MS) stepDown("the scheduler lease could not be renewed in time");
  };

  const runLeaseTick = (): void => {
    timers.clearTimeout(leaseTimer);
    leaseChain = leaseChain.then(leaseTick).finally(() => {
      timers.clearTimeout(leaseTimer);
      if (running) leaseTimer = timers.setTimeout(runLeaseTick, renewMs);
    });
  };

  const fireCycle = async (): Promise<void> => {
    if (!canFire()) return;
    const t = now();
    let next = await store.schedules.nextDue();
    if (next !== undefined && next <= t) {
      for (const schedule of await store.schedules.due(t)) {
        if (!canFire()) return;
        try {
          await fireDue(schedule, t);
        } catch (err) {
          log.error({ err, schedule: schedule.name }, "a schedule could not be fired; it is tried again at the next wake");
        }
      }
      next = await store.schedules.nextDue();
    }
    const tick = await tickHeartbeats(t);
    if (!canFire()) return;
    if (next === undefined && tick === undefined && runners().length === 0 && firer.inflight() === 0) {
      // Nothing to fire: give the lease up; the lease loop takes it again once a schedule appears.
      leader = false;
      nextWakeAt = undefined;
      holderSeen = undefined;
      await store.leases.release(SCHEDULER_LEASE, holder);
      return;
    }
    planWake(Math.min(next ?? Infinity, tick ?? Infinity, now() + pollMs));
  };

  /** A due schedule: fired at its planned time (a missed one per `catchup`), then planned again after now. */
  const fireDue = async (schedule: Schedule, t: number): Promise<void> => {
    const planned = schedule.nextFireAt!;
    if (t - planned > grace && schedule.catchup === "skip") {
      await firer.skip(schedule, planned, `missed: planned for ${new Date(planned).toISOString()} while no scheduler was running (catchup: skip)`);
    } else {
      const result = await firer.fire(schedule, planned);
      if (result.status === "skipped") log.info({ schedule: schedule.name, fireAt: planned, reason: result.reason }, "schedule fire skipped");
    }
    const fresh = await store.schedules.get(schedule.id);
    if (!fresh) return; // removed meanwhile
    // An edit, resume or another scheduler re-planned it meanwhile: that plan stands.
    const replan = fresh.nextFireAt === planned;
    let next: number | undefined;
    if (replan) {
      try {
        next = nextFireOf(fresh, Math.max(planned, t));
      } catch (err) {
        log.error({ err, schedule: fresh.name }, "the schedule's next time cannot be computed; it stops firing until edited");
      }
    }
    await store.schedules.update(fresh.id, { lastFireAt: Math.max(fresh.lastFireAt ?? 0, planned), ...(replan ? { nextFireAt: next } : {}) });
  };

  /** Ticks the heartbeats that are due; returns the soonest next tick. */
  const tickHeartbeats = async (t: number): Promise<number | undefined> => {
    const current = runners();
    const ids = new Set(current.map((r) => r.agentId));
    for (const id of heartbeats.keys()) if (!ids.has(id)) heartbeats.delete(id);
    let soonest: number | undefined;
    for (const runner of current) {
      let state = heartbeats.get(runner.agentId);
      if (!state) {
        state = { runner, next: await firstTick(runner, t) };
        heartbeats.set(runner.agentId, state);
      }
      state.runner = runner;
      if (state.next !== undefined && state.next <= t && canFire()) {
        const fireAt = state.next;
        await tickHeartbeat(runner, fireAt);
        state.next = runner.nextTickAfter(Math.max(fireAt, t));
      }
      if (state.next !== undefined) soonest = Math.min(soonest ?? Infinity, state.next);
    }
    return soonest;
  };

  /** After a start or failover: the tick after the last recorded one (so none is missed), or after now when that is long past. */
  const firstTick = async (runner: HeartbeatRunner, t: number): Promise<number | undefined> => {
    const last = (await store.schedules.fires(heartbeatScheduleId(runner.agentId), { limit: 1 }))[0]?.fireAt;
    const next = runner.nextTickAfter(last ?? t);
    return next !== undefined && next < t - grace ? runner.nextTickAfter(t) : next;
  };

  const tickHeartbeat = async (runner: HeartbeatRunner, fireAt: number): Promise<void> => {
    const scheduleId = heartbeatScheduleId(runner.agentId);
    const recorded = await store.schedules.recordFire({ scheduleId, fireAt, status: "started", reason: undefined, runId: undefined, sessionKey: undefined, delivery: "none" });
    if (!recorded) return;
    let tick: HeartbeatTick;
    let failed = false;
    try {
      tick = await runner.tick(fireAt);
    } catch (err) {
      failed = true;
      tick = { status: "skipped", reason: `the tick failed: ${err instanceof Error ? err.message : String(err)}` };
      log.error({ err, agent: runner.agentId }, "a heartbeat tick failed");
    }
    lastTick = { at: fireAt, status: failed ? "failed" : tick.status, ...(tick.reason ? { reason: tick.reason } : {}) };
    await store.schedules.updateFire(scheduleId, fireAt, {
      status: failed ? "failed" : tick.status, reason: tick.reason, runId: tick.runId, sessionKey: tick.sessionKey, ...(tick.status === "skipped" ? { finishedAt: now() } : {}),
    });
    if (tick.runId === undefined) return;
    void follower.follow(tick.runId).then(async (outcome) => {
      if (outcome.status === "interrupted") return;
      const status = outcome.status === "succeeded" ? "succeeded" : outcome.status === "cancelled" ? "cancelled" : "failed";
      await store.schedules.updateFire(scheduleId, fireAt, { status, finishedAt: now(), ...(status === "failed" ? { reason: outcome.error ?? outcome.errorCode } : {}) });
    }).catch((err: unknown) => log.warn({ err, agent: runner.agentId }, "recording a heartbeat's outcome failed"));
  };

  return {
    async start() {
      if (running) return;
      running = true;
      runLeaseTick();
      await leaseChain;
    },
    async stop() {
      if (!running) return;
      running = false;
      timers.clearTimeout(leaseTimer);
      timers.clearTimeout(wakeTimer);
      await Promise.all([leaseChain, fireChain]);
      follower.close();
      if (leader) {
        leader = false;
        await store.leases.release(SCHEDULER_LEASE, holder).catch((err: unknown) => log.warn({ err }, "the scheduler lease was not released; it expires by itself"));
      }
      nextWakeAt = undefined;
    },
    changed() {
      if (!running) return;
      if (leader) planWake(now());
      else runLeaseTick();
    },
    async runNow(idOrName): Promise<FireResult> {
      const schedule = await store.schedules.get(idOrName);
      if (!schedule) throw new InputError(`no schedule with id or name "${idOrName}"; 'pincer cron list' shows them`, { field: "id" });
      const fireAt = now();
      const result = await firer.fire(schedule, fireAt);
      if (result.status === "started") await store.schedules.update(schedule.id, { lastFireAt: Math.max(schedule.lastFireAt ?? 0, fireAt) });
      // A fire started here is followed here, whoever holds the lease.
      return result;
    },
    status() {
      const ticks = [...heartbeats.values()].map((h) => h.next).filter((n): n is number => n !== undefined);
      return {
        leader, holder: leader ? holder : holderSeen, nextWakeAt,
        heartbeat: { enabled: runners().length > 0, nextTickAt: ticks.length > 0 ? Math.min(...ticks) : undefined, ...(lastTick ? { lastTick } : {}) },
      };
    },
  };
}
