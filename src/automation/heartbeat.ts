// The heartbeat runner the scheduler ticks: when the next tick is, and for each tick the precheck (HEARTBEAT.md's open
// items, automation input pending for the agent) that makes an idle tick cost no model call, then a light run in a
// fresh session. Time, the lease and recording the tick belong to the scheduler.
import type { Logger } from "pino";
import type { PincerConfig } from "../core/config-schema.ts";
import type { HeartbeatConfig } from "../core/automation-config.ts";
import type { JournalEntry } from "../core/domain.ts";
import type { Dispatcher } from "../routing/dispatcher.ts";
import type { Store } from "../store/store.ts";
import { automationSessionKey, heartbeatScheduleId, HEARTBEAT_CHANNEL, HOOK_CHANNEL, routeForDeliver, SCHEDULE_CHANNEL, type HeartbeatRunner, type HeartbeatTick } from "./automation.ts";
import { HEARTBEAT_FILE, readHeartbeatFile } from "./heartbeat-file.ts";
import { nextHeartbeatTick } from "./heartbeat-ticks.ts";

export interface HeartbeatRunnerOptions {
  store: Pick<Store, "journal">;
  dispatcher: Pick<Dispatcher, "receive" | "subscribe">;
  /** Read at every call: a reload that changes `heartbeat` applies from the next tick (removing it turns ticks off). */
  config: () => Pick<PincerConfig, "heartbeat">;
  workspaceFor: (agentId: string) => string;
  now: () => number;
  log: Logger;
}

/** Characters of open items put in the heartbeat's input; the model can read the rest of HEARTBEAT.md itself. */
export const MAX_ITEMS_CHARS = 1_200;

/** What a heartbeat turn sees as pending: automation input journaled for its agent that no run has taken yet. */
export interface PendingEvent {
  /** `schedule` or `hook`. */
  channel: string;
  /** The schedule or hook it came from (the journal entry's account). */
  source: string;
  receivedAt: number;
}

/** The tick result when the precheck finds nothing: no model call, no run, no session. */
export const NOTHING_TO_DO = "nothing to do";

/**
 * The heartbeat of `config().heartbeat.agent`, or undefined when `heartbeat` is not configured.
 * Contract: `tick` never throws for the agent's files or config; an idle tick (no open item, nothing pending) makes
 * no model call and creates no run or session.
 */
export function createHeartbeatRunner(opts: HeartbeatRunnerOptions): HeartbeatRunner | undefined {
  const initial = opts.config().heartbeat;
  if (!initial) return undefined;
  const agentId = initial.agent;
  const log = opts.log.child({ component: "heartbeat", agentId });
  // The heartbeat of this runner's agent as configured now; another agent's is another runner's.
  const current = (): HeartbeatConfig | undefined => {
    const hb = opts.config().heartbeat;
    return hb?.agent === agentId ? hb : undefined;
  };

  return {
    agentId,
    nextTickAfter(after) {
      const hb = current();
      return hb && nextHeartbeatTick(hb, after);
    },
    async tick(fireAt) {
      const hb = current();
      if (!hb) return { status: "skipped", reason: "heartbeat is off" };
      let workspace: string;
      try {
        workspace = opts.workspaceFor(agentId);
      } catch {
        return { status: "skipped", reason: `heartbeat.agent: unknown agent "${agentId}"; add agents.${agentId} or change heartbeat.agent` };
      }
      const [file, pending] = await Promise.all([readHeartbeatFile(workspace), pendingFor(opts.store, agentId)]);
      if (file.status === "refused") log.warn({ reason: file.reason }, `${HEARTBEAT_FILE} not read`);
      const items = file.status === "read" ? file.items : [];
      if (items.length === 0 && pending.length === 0) {
        return { status: "skipped", reason: file.status === "refused" ? `${NOTHING_TO_DO} (${HEARTBEAT_FILE} not read: ${file.reason})` : NOTHING_TO_DO };
      }
      const sessionKey = automationSessionKey({ agentId, session: "isolated", channel: HEARTBEAT_CHANNEL, source: "heartbeat", fireAt });
      const text = renderHeartbeatInput({ at: opts.now(), tz: hb.tz, items, pending });
      return startRun({ dispatcher: opts.dispatcher, agentId, sessionKey, text, deliver: hb.deliver, fireAt });
    },
  };
}

/**
 * Automation input waiting for the agent: journal entries of schedule fires and webhook deliveries that no run has
 * taken yet (one indexed query on the journal's status; usually empty). Their text is not read: a webhook body is
 * untrusted and is handled by its own run.
 */
export async function pendingFor(store: Pick<Store, "journal">, agentId: string): Promise<PendingEvent[]> {
  const entries = await store.journal.pending();
  return entries.filter((e) => (e.channel === SCHEDULE_CHANNEL || e.channel === HOOK_CHANNEL) && agentOf(e) === agentId)
    .map((e) => ({ channel: e.channel, source: e.account, receivedAt: e.receivedAt }));
}

function agentOf(entry: JournalEntry): string | undefined {
  const payload = entry.payload as { agentId?: unknown } | null;
  return payload && typeof payload.agentId === "string" ? payload.agentId : undefined;
}

/** Journals the tick (one per agent and fire time) and starts its run; resolves once the run has an id. */
async function startRun(input: { dispatcher: HeartbeatRunnerOptions["dispatcher"]; agentId: string; sessionKey: string; text: string; deliver: string; fireAt: number }): Promise<HeartbeatTick> {
  const { dispatcher, sessionKey } = input;
  let onStarted: (runId: string) => void = () => undefined;
  const started = new Promise<string>((resolve) => (onStarted = resolve));
  const unsubscribe = dispatcher.subscribe((event) => {
    if (event.type === "run_started" && event.sessionKey === sessionKey) onStarted(event.runId);
  });
  try {
    const origin = routeForDeliver(input.deliver);
    const received = await dispatcher.receive({
      agentId: input.agentId,
      sessionKey,
      channel: HEARTBEAT_CHANNEL,
      text: input.text,
      trigger: "heartbeat",
      ...(origin ? { origin } : {}),
      inbound: { account: heartbeatScheduleId(input.agentId), messageId: String(input.fireAt) },
    });
    // A tick journaled before (the scheduler retrying it after a restart) starts nothing new.
    if (received.duplicate) return { status: "started", sessionKey, ...(received.runId ? { runId: received.runId } : {}) };
    // In process the run gets its id when it starts; the cluster dispatcher knows it at once.
    const ended = received.result.then((outcome) => outcome.runId || undefined, () => undefined);
    const runId = received.runId ?? (await Promise.race([started, ended]));
    return { status: "started", sessionKey, ...(runId ? { runId } : {}) };
  } finally {
    unsubscribe();
  }
}

/**
 * The heartbeat turn's input: the local date and time, the open items (capped at MAX_ITEMS_CHARS), what is pending,
 * and the HEARTBEAT_OK convention. Pure.
 */
export function renderHeartbeatInput(input: { at: number; tz: string | undefined; items: readonly string[]; pending: readonly PendingEvent[] }): string {
  const zone = input.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const lines = [`Heartbeat, ${formatLocal(input.at, zone, true)} ${zone}.`];
  if (input.items.length > 0) {
    lines.push(`Open items (${HEARTBEAT_FILE}):`);
    let used = 0;
    let shown = 0;
    for (const item of input.items) {
      if (used + item.length > MAX_ITEMS_CHARS && shown > 0) break;
      const line = item.length > MAX_ITEMS_CHARS ? `${item.slice(0, MAX_ITEMS_CHARS)}…` : item;
      lines.push(/^(?:[-*+]|\d{1,9}[.)])\s/.test(line) ? line : `- ${line}`);
      used += line.length;
      shown++;
    }
    if (shown < input.items.length) lines.push(`(${input.items.length - shown} more in ${HEARTBEAT_FILE})`);
  }
  if (input.pending.length > 0) {
    lines.push(`Pending, not yet handled: ${input.pending.map((p) => `${p.channel} ${p.source} since ${formatLocal(p.receivedAt, zone, false)}`).join("; ")}.`);
  }
  lines.push("Reply exactly HEARTBEAT_OK if nothing needs the user now; otherwise a short message for the user.");
  return lines.join("\n");
}

/** `Tue 2026-12-01 09:30` (with the date) or `09:30` in `zone`. */
function formatLocal(ms: number, zone: string, withDate: boolean): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? "";
  const time = `${get("hour")}:${get("minute")}`;
  return withDate ? `${get("weekday")} ${get("year")}-${get("month")}-${get("day")} ${time}` : time;
}
