// What the rest of Pincer sees of automation: the control surface the gateway's API, the CLI and the Control UI use
// (run a schedule now, the scheduler's state), the heartbeat runner the scheduler ticks, and the pure pieces every
// automated run shares — which session it runs in, and where its answer is delivered.
import { parseDeliverTarget, type DeliverTarget } from "../core/automation-config.ts";
import { buildSessionKey } from "../core/ids.ts";
import type { ReplyRoute } from "../core/inbound.ts";

/** The channel name of automated runs' journal entries and sessions. */
export const SCHEDULE_CHANNEL = "schedule";
export const HEARTBEAT_CHANNEL = "heartbeat";
export const HOOK_CHANNEL = "hook";

/** The scheduler's lease in the store: one holder fires schedules and ticks heartbeats at a time. */
export const SCHEDULER_LEASE = "automation:scheduler";

/** What the gateway, CLI and Control UI can ask of the running automation. */
export interface AutomationControl {
  /** Fires a schedule now (outside its plan; concurrency still applies). Throws InputError for an unknown schedule. */
  runNow(idOrName: string): Promise<{ fireAt: number; status: "started" | "skipped"; runId?: string; reason?: string }>;
  /** Wakes the scheduler to re-read the schedules (after a create, edit, suspend or delete in this process). */
  changed(): void;
  status(): AutomationStatus;
}

export interface AutomationStatus {
  /** This process holds the scheduler lease and fires schedules. */
  leader: boolean;
  /** Who holds the lease, as last seen (this process's id when `leader`). */
  holder: string | undefined;
  /** When the scheduler next wakes, epoch ms. */
  nextWakeAt: number | undefined;
  heartbeat: { enabled: boolean; nextTickAt: number | undefined; lastTick?: { at: number; status: string; reason?: string } };
}

/** One heartbeat tick's result: `skipped` made no model call (its reason says why). */
export interface HeartbeatTick {
  status: "started" | "skipped";
  reason?: string;
  runId?: string;
  sessionKey?: string;
}

/** The heartbeat as the scheduler drives it: the scheduler owns time and the lease, the runner decides and starts. */
export interface HeartbeatRunner {
  /** The agent it checks in for. */
  readonly agentId: string;
  /** The next tick strictly after `after` (inside the active hours), or undefined when the heartbeat is off. */
  nextTickAfter(after: number): number | undefined;
  /** One tick planned for `fireAt`: the precheck, then (only with open items or pending events) a light run. */
  tick(fireAt: number): Promise<HeartbeatTick>;
}

/** The schedule id heartbeat ticks are recorded under (ScheduleRepo.recordFire), so each tick happens once. */
export function heartbeatScheduleId(agentId: string): string {
  return `heartbeat:${agentId}`;
}

/**
 * The session an automated run uses: `isolated` → a fresh session per fire (`agent:<a>:<channel>:dm:<source>/<fireAt>`),
 * `main` → the agent's main session, anything else is a session key used as it is.
 */
export function automationSessionKey(opts: { agentId: string; session: string; channel: string; source: string; fireAt: number }): string {
  if (opts.session === "main") return buildSessionKey({ agentId: opts.agentId, channel: "main", kind: "dm", peerId: "main" });
  if (opts.session === "isolated") return buildSessionKey({ agentId: opts.agentId, channel: opts.channel, kind: "dm", peerId: `${opts.source}/${opts.fireAt}` });
  return opts.session;
}

/** The reply route a chat delivery target becomes: set as the run's origin, the normal reply path delivers the answer. */
export function routeForTarget(target: DeliverTarget): ReplyRoute | undefined {
  if (target.kind !== "chat") return undefined;
  return { channel: target.channel, account: target.account, chatKind: target.chatKind, chatId: target.chatId };
}

/** `routeForTarget` of a target's text; undefined for `none`, webhooks and text that is not a target. */
export function routeForDeliver(deliver: string): ReplyRoute | undefined {
  const target = parseDeliverTarget(deliver);
  return target && routeForTarget(target);
}
