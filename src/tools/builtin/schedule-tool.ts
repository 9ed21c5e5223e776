// The schedule tool (group `automation`): the agent's own reminders for the conversation it is in — create, list,
// cancel. Offered only to runs answering a chat; the run's RemindersView (built by the runtime) always delivers to
// that chat and only sees the reminders this conversation created.
import { z } from "zod";
import { DURATION, parseDuration } from "../../core/automation-config.ts";
import { ToolError } from "../../core/errors.ts";
import type { Tool, ToolResult } from "../tool.ts";
import { parseArgs } from "../tool-kit.ts";

/** When a reminder fires, as the tool read it from `when`. */
export type ReminderWhen =
  | { kind: "in"; ms: number }
  | { kind: "every"; expr: string }
  | { kind: "cron"; expr: string }
  | { kind: "at"; expr: string };

/** The reminders of one conversation. Contract: a refusal (limit, unknown id, bad time) throws ToolError. */
export interface RemindersView {
  create(req: { name?: string | undefined; when: ReminderWhen; message: string; tz?: string | undefined }): Promise<ToolResult>;
  list(): Promise<ToolResult>;
  cancel(idOrName: string): Promise<ToolResult>;
}

const args = z.strictObject({
  action: z.enum(["create", "list", "cancel"]),
  name: z.string().min(1).max(63).optional(),
  when: z.string().trim().min(1).max(100).optional(),
  message: z.string().trim().min(1).max(2_000).optional(),
  tz: z.string().min(1).max(64).optional(),
  id: z.string().min(1).max(100).optional(),
});

const IN = new RegExp(`^in\\s+(${DURATION.source.slice(1, -1)})$`, "i");
const EVERY = new RegExp(`^every\\s+(${DURATION.source.slice(1, -1)})$`, "i");
const CRON_FIELD = /^[\d*/,\-A-Za-z?LW#]+$/;

/** Reads `when`: `in 20m`, `every 1h`, a 5-field cron expression, or a date-time (ISO 8601). */
export function parseWhen(text: string): ReminderWhen | undefined {
  const t = text.trim();
  const inMatch = IN.exec(t);
  if (inMatch) return { kind: "in", ms: parseDuration(inMatch[1]!.toLowerCase())! };
  const every = EVERY.exec(t);
  if (every) return { kind: "every", expr: every[1]!.toLowerCase() };
  const fields = t.split(/\s+/);
  if (fields.length === 5 && fields.every((f) => CRON_FIELD.test(f))) return { kind: "cron", expr: fields.join(" ") };
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(t)) return { kind: "at", expr: t };
  return undefined;
}

export function createScheduleTool(view: RemindersView): Tool {
  return {
    name: "schedule",
    group: "automation",
    description: "Reminders for this chat: create (when + message, run then as your instruction), list, cancel (id).",
    parameters: {
      type: "object",
      properties: {
        action: { type: "string", enum: ["create", "list", "cancel"] },
        when: { type: "string", description: "in 20m | every 1h | cron | ISO time" },
        message: { type: "string" },
        name: { type: "string" },
        tz: { type: "string" },
        id: { type: "string" },
      },
      required: ["action"],
      additionalProperties: false,
    },
    async execute(raw) {
      const a = parseArgs("schedule", args, raw);
      if (a.action === "list") return view.list();
      if (a.action === "cancel") {
        if (!a.id) throw new ToolError("invalid_args", "schedule: cancel needs id (from list)");
        return view.cancel(a.id);
      }
      if (!a.when || !a.message) throw new ToolError("invalid_args", "schedule: create needs when and message");
      const when = parseWhen(a.when);
      if (!when) throw new ToolError("invalid_args", `schedule: argument "when": expected "in 20m", "every 1h", a 5-field cron expression or an ISO date-time, got "${a.when}"`);
      return view.create({ name: a.name, when, message: a.message, tz: a.tz });
    },
  };
}
