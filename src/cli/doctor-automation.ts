// `pincer doctor` check of automation: the stored schedules (how many, how many suspended; ones whose agent is gone or
// whose delivery names a channel account that is not configured), and the same delivery check for the heartbeat and
// the hooks (their other checks are doctor-heartbeat.ts and doctor-hooks.ts).
import { access } from "node:fs/promises";
import { join } from "node:path";
import { parseDeliverTarget } from "../core/automation-config.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import type { Schedule } from "../core/domain.ts";
import { hasOwnEntry, ownEntry } from "../core/own-entry.ts";
import { defaultPostgresSchema, isPostgresUrl, openPostgresStore, openSqliteStore } from "../store/index.ts";
import type { Store } from "../store/store.ts";
import type { Check } from "./doctor-command.ts";

const MAX_NAMES = 5;
const names = (list: readonly string[]): string => list.slice(0, MAX_NAMES).join(", ") + (list.length > MAX_NAMES ? ` and ${list.length - MAX_NAMES} more` : "");

/** Never throws. */
export async function checkAutomation(config: PincerConfig, stateDir: string): Promise<Check[]> {
  return [...(await checkSchedules(config, stateDir)), ...checkDeliveries(config)];
}

/** Why a delivery target cannot be delivered with this config, or undefined when it can (or is not a chat). */
export function deliverProblem(config: PincerConfig, deliver: string): string | undefined {
  const target = parseDeliverTarget(deliver);
  if (!target) return `"${deliver}" is not a delivery target`;
  if (target.kind !== "chat") return undefined;
  const channel = ownEntry(config.channels as Record<string, { accounts?: Record<string, unknown> } | undefined>, target.channel);
  if (!channel) return `channel ${target.channel} is not configured`;
  if (!hasOwnEntry(channel.accounts, target.account)) return `channel account ${target.channel}/${target.account} is not configured`;
  return undefined;
}

async function checkSchedules(config: PincerConfig, stateDir: string): Promise<Check[]> {
  let schedules: Schedule[];
  try {
    const read = await readSchedules(config, stateDir);
    if (read === "no-table") {
      return [{ name: "automation", status: "ok", detail: "no schedules (the store's schedule tables are created on the next start of any pincer command)" }];
    }
    schedules = read;
  } catch (err) {
    return [{ name: "automation", status: "fail", detail: `cannot read the schedules: ${err instanceof Error ? err.message : String(err)}`, fix: "run 'pincer doctor' again after fixing the store check above" }];
  }
  const suspended = schedules.filter((s) => s.suspended).length;
  const checks: Check[] = [{ name: "automation", status: "ok", detail: schedules.length === 0 ? "no schedules ('pincer cron add' makes one)" : `${schedules.length} schedule(s), ${suspended} suspended` }];
  const orphans = schedules.filter((s) => !hasOwnEntry(config.agents, s.agentId));
  if (orphans.length > 0) {
    checks.push({
      name: "automation", status: "warn",
      detail: `schedule(s) of an agent that is no longer configured, so their runs fail: ${names(orphans.map((s) => `${s.name} (agent ${s.agentId})`))}`,
      fix: `give them a configured agent ('pincer cron edit <name> --agent ${Object.keys(config.agents)[0] ?? "default"}') or delete them ('pincer cron rm <name>')`,
    });
  }
  const undeliverable = schedules.flatMap((s) => {
    const problem = deliverProblem(config, s.deliver);
    return problem ? [`${s.name}: ${problem}`] : [];
  });
  if (undeliverable.length > 0) {
    checks.push({
      name: "automation", status: "warn",
      detail: `schedule(s) whose answers cannot be delivered: ${names(undeliverable)}`,
      fix: "add the channel account ('pincer channels add …'), or point the schedule elsewhere ('pincer cron edit <name> --deliver <channel>:<account>:<peer>' or --deliver none)",
    });
  }
  return checks;
}

/** The stored schedules, read without migrating; "no-table" before migration 009 ran (or with no store file yet). */
async function readSchedules(config: PincerConfig, stateDir: string): Promise<Schedule[] | "no-table"> {
  const url = config.store.url;
  let store: Store;
  if (url && isPostgresUrl(url)) {
    store = await openPostgresStore({ url, schema: config.store.schema ?? defaultPostgresSchema(config.instance), migrate: false, poolMax: 1 });
  } else {
    const path = join(stateDir, "pincer.db");
    if (!(await access(path).then(() => true, () => false))) return "no-table";
    store = await openSqliteStore({ path, migrate: false });
  }
  try {
    if ((await store.pendingMigrations()).includes("009_automation")) return "no-table";
    return await store.schedules.list();
  } finally {
    await store.close();
  }
}

/** Heartbeat and hooks whose answers go to a channel account that is not configured. */
function checkDeliveries(config: PincerConfig): Check[] {
  const targets: Array<[string, string]> = [
    ...(config.heartbeat ? [["heartbeat.deliver", config.heartbeat.deliver] as [string, string]] : []),
    ...Object.entries(config.hooks).map(([name, hook]): [string, string] => [`hooks.${name}.deliver`, hook.deliver]),
  ];
  const undeliverable = targets.flatMap(([key, deliver]) => {
    const problem = deliverProblem(config, deliver);
    return problem ? [`${key}: ${problem}`] : [];
  });
  if (undeliverable.length === 0) return [];
  return [{
    name: "automation", status: "warn",
    detail: `answers that cannot be delivered: ${names(undeliverable)}`,
    fix: "add the channel account ('pincer channels add …'), or change the deliver setting to a configured <channel>:<account>:<peer> or none",
  }];
}
