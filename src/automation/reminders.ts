// The agent's own reminders (the `schedule` tool's RemindersView), bound to one run: schedules created by its
// conversation (`createdBy: tool:<sessionKey>`), always delivered to the chat the run answers, limited in number and
// frequency, every create and cancel audited.
import { formatDeliverTarget, parseDuration } from "../core/automation-config.ts";
import type { AuditRecord, Run, Schedule } from "../core/domain.ts";
import { InputError, ToolError } from "../core/errors.ts";
import type { ScheduleInput } from "./schedule-input.ts";
import { buildSchedule } from "./schedule-input.ts";
import type { RemindersView, ReminderWhen } from "../tools/builtin/schedule-tool.ts";
import { ScheduleNameTaken, type Store } from "../store/store.ts";
import { randomBytes } from "node:crypto";

/** Reminders one conversation may have at a time. */
export const MAX_REMINDERS_PER_SESSION = 20;
/** The shortest interval of a repeating reminder. */
const MIN_EVERY_MS = 60_000;

export interface RemindersOptions {
  store: Store;
  now: () => number;
  knownAgent: (agentId: string) => boolean;
  /** Wakes this process's scheduler after a change (none where no scheduler runs: it polls the store). */
  changed?: () => void;
}

/** Who created a conversation's reminders. */
export const reminderCreator = (sessionKey: string): string => `tool:${sessionKey}`;

/** The run's reminders; undefined when the run answers no chat (nothing to deliver to) or is itself automated. */
export function remindersFor(run: Run, opts: RemindersOptions): RemindersView | undefined {
  const origin = run.origin;
  if (!origin || run.parentRunId !== undefined || (run.trigger !== undefined && run.trigger !== "message")) return undefined;
  const createdBy = reminderCreator(run.sessionKey);
  const deliver = formatDeliverTarget({ kind: "chat", channel: origin.channel, account: origin.account, chatKind: origin.chatKind, chatId: origin.chatId });
  const audit = (kind: string, reason: string, detail: Record<string, unknown>): Promise<void> => {
    const record: AuditRecord = { at: opts.now(), kind, decision: "info", runId: run.id, sessionKey: run.sessionKey, tool: "schedule", reason, detail };
    return opts.store.audit.write(record);
  };
  const own = async (idOrName: string): Promise<Schedule | undefined> => {
    const found = await opts.store.schedules.get(idOrName);
    return found?.createdBy === createdBy ? found : undefined;
  };

  return {
    async create(req) {
      const mine = await opts.store.schedules.list({ createdBy });
      if (mine.length >= MAX_REMINDERS_PER_SESSION) {
        throw new ToolError("limit", `schedule: this chat has ${mine.length} reminders, the most allowed; cancel one first`);
      }
      const input: ScheduleInput = {
        name: req.name ?? `reminder-${randomBytes(4).toString("hex")}`, message: req.message, agent: run.agentId,
        session: run.sessionKey, deliver, concurrency: "allow", catchup: "once", ...specOf(req.when, opts.now()),
        ...(req.tz ? { tz: req.tz } : {}),
      };
      let created: Schedule;
      try {
        created = await opts.store.schedules.create(buildSchedule(input, { now: opts.now(), createdBy, knownAgent: opts.knownAgent }));
      } catch (err) {
        if (err instanceof InputError) throw new ToolError("invalid_args", `schedule: ${err.message}`);
        if (err instanceof ScheduleNameTaken) throw new ToolError("invalid_args", `schedule: the name "${input.name}" is taken; pick another or leave name out`);
        throw err;
      }
      if (created.nextFireAt === undefined) {
        await opts.store.schedules.remove(created.id);
        throw new ToolError("invalid_args", "schedule: that time is in the past");
      }
      await audit("schedule.create", `reminder ${created.name} created by the agent`, { scheduleId: created.id, name: created.name, kind: created.kind, expr: created.expr, deliver });
      opts.changed?.();
      return { text: `created ${created.id} (${created.name}); next: ${new Date(created.nextFireAt).toISOString()}`, detail: { scheduleId: created.id } };
    },
    async list() {
      const mine = await opts.store.schedules.list({ createdBy });
      if (mine.length === 0) return { text: "no reminders in this chat" };
      const lines = mine.map((s) => `${s.id} ${s.name}: ${s.kind} ${s.expr}${s.tz ? ` ${s.tz}` : ""}; next ${s.nextFireAt === undefined ? "never" : new Date(s.nextFireAt).toISOString()}${s.suspended ? " (suspended)" : ""}; "${clip(s.message)}"`);
      return { text: lines.join("\n"), detail: { count: mine.length } };
    },
    async cancel(idOrName) {
      const found = await own(idOrName);
      // Schedules of other chats or of the owner are not this conversation's to see.
      if (!found) throw new ToolError("no_match", `schedule: no reminder "${idOrName}" in this chat (see action list)`);
      await opts.store.schedules.remove(found.id);
      await audit("schedule.cancel", `reminder ${found.name} cancelled by the agent`, { scheduleId: found.id, name: found.name });
      opts.changed?.();
      return { text: `cancelled ${found.id} (${found.name})`, detail: { scheduleId: found.id } };
    },
  };
}

function specOf(when: ReminderWhen, now: number): Pick<ScheduleInput, "every" | "cron" | "at"> {
  switch (when.kind) {
    case "in":
      return { at: new Date(now + when.ms).toISOString() };
    case "every": {
      const ms = parseDuration(when.expr);
      if (ms === undefined || ms < MIN_EVERY_MS) throw new ToolError("invalid_args", "schedule: a repeating reminder runs at most every minute (every 1m or longer)");
      return { every: when.expr };
    }
    case "cron":
      return { cron: when.expr };
    case "at":
      return { at: when.expr };
  }
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
