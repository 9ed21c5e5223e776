// `pincer cron add | list | show | edit | rm | run | runs | suspend | resume`: schedules read and written straight in the
// store (so they work with the gateway down; a running gateway's scheduler reads them from there), audited as done with
// the command; `run` asks the running gateway to fire one now (POST /api/v1/schedules/<id>/run).
import type { App } from "../app.ts";
import { changeSchedule, createSchedule, deleteSchedule, setSuspended, toFireJson, toScheduleJson, type ScheduleActor } from "../automation/schedule-actions.ts";
import type { Schedule } from "../core/domain.ts";
import { InputError } from "../core/errors.ts";
import { hasOwnEntry } from "../core/own-entry.ts";
import { ScheduleNameTaken } from "../store/store.ts";
import { loadCliConfig, withApp, type GlobalOptions } from "./cli-app.ts";
import { connectGateway } from "./gateway-client.ts";
import { CliFailure, EXIT_USAGE, printJson, renderTable } from "./output.ts";
import { formatDelivery, formatLastFire, formatLocal, formatSpec, formatWhen } from "./schedule-text.ts";

export interface ScheduleFlags {
  name?: string;
  cron?: string;
  every?: string;
  at?: string;
  tz?: string;
  message?: string;
  agent?: string;
  session?: string;
  deliver?: string;
  concurrency?: string;
  catchup?: string;
  suspended?: boolean;
  json?: boolean;
}

interface JsonFlag {
  json?: boolean;
}

const FIELDS = ["name", "cron", "every", "at", "tz", "message", "agent", "session", "deliver", "concurrency", "catchup", "suspended"] as const;

function actorFor(app: App, command: string): ScheduleActor {
  return { store: app.store, via: `'pincer cron ${command}'`, createdBy: "cli", now: Date.now, knownAgent: (id) => hasOwnEntry(app.config.agents, id) };
}

/** The flags given, as schedule-input reads them (`--tz local` = back to the host's zone on edit). */
function inputOf(flags: ScheduleFlags, edit: boolean): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const key of FIELDS) if (flags[key] !== undefined) input[key] = flags[key];
  if (input.tz === "local") {
    if (edit) input.tz = null;
    else delete input.tz;
  }
  return input;
}

/** schedule-input's errors name fields (`message: …`); on the command line they name the flags (`--message: …`). */
async function checked<T>(app: App, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ScheduleNameTaken) throw new CliFailure(`--name: ${err.message}. Fix: choose another name, or change that one with 'pincer cron edit ${err.scheduleName}'`, EXIT_USAGE);
    if (!(err instanceof InputError)) throw err;
    let message = err.message.startsWith("--") ? err.message : err.field && err.message.startsWith(`${err.field}: `) ? `--${err.message}` : err.message;
    if (err.field === "agent") message = `--agent: ${err.message.replace(/^agent: /, "")}; configured agents: ${Object.keys(app.config.agents).join(", ")}`;
    throw new InputError(message, err.field ? { field: err.field } : {});
  }
}

async function scheduleOf(app: App, idOrName: string): Promise<Schedule> {
  const schedule = await app.store.schedules.get(idOrName);
  if (!schedule) throw new CliFailure(`no schedule with id or name "${idOrName}". See 'pincer cron list'`);
  return schedule;
}

function printSaved(schedule: Schedule, verb: string, opts: JsonFlag): void {
  if (opts.json) return printJson({ schedule: toScheduleJson(schedule) });
  const next = schedule.suspended ? "suspended" : schedule.nextFireAt === undefined ? "it will not fire again" : `next fire ${formatWhen(schedule.nextFireAt, Date.now())}`;
  process.stdout.write(`${verb} schedule ${schedule.name} (${schedule.id}): ${formatSpec(schedule)}${schedule.tz ? ` ${schedule.tz}` : ""}; ${next}\n`);
}

export async function cronAddCommand(g: GlobalOptions, flags: ScheduleFlags): Promise<void> {
  await withApp(g, async (app) => {
    const created = await checked(app, () => createSchedule(actorFor(app, "add"), inputOf(flags, false)));
    printSaved(created, "added", flags);
  });
}

export async function cronEditCommand(g: GlobalOptions, idOrName: string, flags: ScheduleFlags): Promise<void> {
  const input = inputOf(flags, true);
  if (Object.keys(input).length === 0) throw new CliFailure("nothing to change: give at least one flag (see 'pincer cron edit --help')", EXIT_USAGE);
  await withApp(g, async (app) => {
    const existing = await scheduleOf(app, idOrName);
    const updated = await checked(app, () => changeSchedule(actorFor(app, "edit"), existing.id, input));
    if (!updated) throw new CliFailure(`schedule "${idOrName}" was deleted meanwhile`);
    printSaved(updated, "changed", flags);
  });
}

export async function cronSuspendCommand(g: GlobalOptions, idOrName: string, opts: JsonFlag & { suspended: boolean }): Promise<void> {
  const command = opts.suspended ? "suspend" : "resume";
  await withApp(g, async (app) => {
    const existing = await scheduleOf(app, idOrName);
    const updated = await checked(app, () => setSuspended(actorFor(app, command), existing.id, opts.suspended));
    if (!updated) throw new CliFailure(`schedule "${idOrName}" was deleted meanwhile`);
    printSaved(updated, opts.suspended ? "suspended" : "resumed", opts);
  });
}

export async function cronRemoveCommand(g: GlobalOptions, idOrName: string, opts: JsonFlag): Promise<void> {
  await withApp(g, async (app) => {
    const deleted = await deleteSchedule(actorFor(app, "rm"), (await scheduleOf(app, idOrName)).id);
    if (!deleted) throw new CliFailure(`schedule "${idOrName}" was deleted meanwhile`);
    if (opts.json) return printJson({ deleted: true, id: deleted.id, name: deleted.name });
    process.stdout.write(`deleted schedule ${deleted.name} (${deleted.id}) and its fire history\n`);
  });
}

export async function cronListCommand(g: GlobalOptions, opts: JsonFlag): Promise<void> {
  await withApp(g, async (app) => {
    const schedules = await app.store.schedules.list();
    const last = await Promise.all(schedules.map(async (s) => (await app.store.schedules.fires(s.id, { limit: 1 }))[0]));
    if (opts.json) return printJson({ schedules: schedules.map((s, i) => toScheduleJson(s, last[i])) });
    if (schedules.length === 0) return void process.stdout.write("no schedules yet. Add one: pincer cron add --name morning --cron \"0 8 * * 1-5\" --message \"Brief me\"\n");
    const now = Date.now();
    const rows = schedules.map((s, i) => [
      s.name, s.id, formatSpec(s), s.tz ?? "local", s.suspended ? "-" : formatWhen(s.nextFireAt, now), formatLastFire(last[i], now), s.suspended ? "suspended" : "active", s.deliver,
    ]);
    process.stdout.write(`${renderTable(["NAME", "ID", "WHEN", "TZ", "NEXT FIRE", "LAST FIRE", "STATE", "DELIVER"], rows)}\n`);
  });
}

export async function cronShowCommand(g: GlobalOptions, idOrName: string, opts: JsonFlag): Promise<void> {
  await withApp(g, async (app) => {
    const s = await scheduleOf(app, idOrName);
    const fires = await app.store.schedules.fires(s.id, { limit: 5 });
    if (opts.json) return printJson({ schedule: toScheduleJson(s, fires[0]), fires: fires.map(toFireJson) });
    const now = Date.now();
    const lines: Array<[string, string]> = [
      ["id", s.id], ["name", s.name], ["when", formatSpec(s)], ["time zone", s.tz ?? "the host's"], ["state", s.suspended ? "suspended" : "active"],
      ["next fire", s.suspended ? "- (suspended)" : formatWhen(s.nextFireAt, now)], ["agent", s.agentId], ["session", s.session], ["deliver", s.deliver],
      ["concurrency", s.concurrency], ["catch-up", s.catchup], ["created", `${formatLocal(s.createdAt)} by ${s.createdBy}`], ["message", s.message],
    ];
    process.stdout.write(lines.map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`).join("\n") + "\n");
    process.stdout.write(fires.length === 0 ? "\nno fires yet\n" : `\nlatest fires ('pincer cron runs ${s.name}' lists more):\n${fireTable(fires)}\n`);
  });
}

export async function cronRunsCommand(g: GlobalOptions, idOrName: string, opts: JsonFlag & { limit: string }): Promise<void> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliFailure(`--limit must be a whole number from 1 to 500, got "${opts.limit}"`, EXIT_USAGE);
  await withApp(g, async (app) => {
    const s = await scheduleOf(app, idOrName);
    const fires = await app.store.schedules.fires(s.id, { limit });
    if (opts.json) return printJson({ schedule: { id: s.id, name: s.name }, fires: fires.map(toFireJson) });
    process.stdout.write(fires.length === 0 ? `schedule ${s.name} has not fired yet\n` : `${fireTable(fires)}\n`);
  });
}

function fireTable(fires: Awaited<ReturnType<App["store"]["schedules"]["fires"]>>): string {
  return renderTable(["FIRE AT", "STATUS", "REASON", "RUN", "DELIVERY"], fires.map((f) => [formatLocal(f.fireAt), f.status, f.reason ?? "", f.runId ?? "-", formatDelivery(f)]));
}

export async function cronRunCommand(g: GlobalOptions, idOrName: string, opts: JsonFlag): Promise<void> {
  const loaded = await loadCliConfig(g);
  const client = await connectGateway({ stateDir: loaded.stateDir, env: process.env, config: loaded.config, configFile: loaded.file });
  const res = await client.request(`/api/v1/schedules/${encodeURIComponent(idOrName)}/run`, { method: "POST", json: {} });
  const body = (await res.json().catch(() => ({}))) as { name?: string; fireAt?: number; status?: string; runId?: string | null; reason?: string | null; error?: { message?: string } };
  if (res.status === 404) throw new CliFailure(`no schedule with id or name "${idOrName}". See 'pincer cron list'`);
  if (!res.ok) throw new CliFailure(body.error?.message ?? `the gateway answered ${res.status}`, res.status === 400 ? EXIT_USAGE : 1);
  if (opts.json) return printJson(body);
  process.stdout.write(
    body.status === "started"
      ? `started schedule ${body.name}${body.runId ? `: run ${body.runId}` : ""} ('pincer cron runs ${body.name}' shows how it went)\n`
      : `schedule ${body.name} did not start a run: ${body.reason ?? body.status}\n`,
  );
}
