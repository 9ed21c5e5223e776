// `pincer doctor` check of automation: the stored schedules (how many, how many suspended; ones whose agent is gone or
// whose delivery names a channel account that is not configured), the webhook triggers (a secret_env that is unset
// fails: every request to that hook would be refused) and the heartbeat's settings.
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { Env } from "../config/paths.ts";
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
export async function checkAutomation(config: PincerConfig, stateDir: string, env: Env): Promise<Check[]> {
  return [...(await checkSchedules(config, stateDir)), ...checkHooks(config, env), checkHeartbeat(config)];
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

function checkHooks(config: PincerConfig, env: Env): Check[] {
  const hooks = Object.entries(config.hooks);
  if (hooks.length === 0) return [];
  const checks: Check[] = [];
  const unset = hooks.filter(([, hook]) => !(Object.hasOwn(env, hook.secret_env) && env[hook.secret_env]));
  for (const [name, hook] of unset) {
    checks.push({
      name: "hooks", status: "fail",
      detail: `hook ${name}: ${hook.secret_env} (hooks.${name}.secret_env) is not set, so every request to POST /hooks/${name} is refused`,
      fix: `set ${hook.secret_env} in the gateway's environment to the secret the sender signs with (for a service: its environment file, see docs/deploy.md)`,
    });
  }
  const undeliverable = hooks.flatMap(([name, hook]) => {
    const problem = deliverProblem(config, hook.deliver);
    return problem ? [`${name}: ${problem}`] : [];
  });
  if (undeliverable.length > 0) {
    checks.push({ name: "hooks", status: "warn", detail: `hook answers that cannot be delivered: ${names(undeliverable)}`, fix: "add the channel account ('pincer channels add …'), or change hooks.<name>.deliver" });
  }
  const agentless = hooks.filter(([, hook]) => !hasOwnEntry(config.agents, hook.agent));
  if (agentless.length > 0) {
    checks.push({ name: "hooks", status: "warn", detail: `hook(s) of an agent that is not configured: ${names(agentless.map(([name, hook]) => `${name} (agent ${hook.agent})`))}`, fix: "set hooks.<name>.agent to a configured agent" });
  }
  if (unset.length === 0) checks.push({ name: "hooks", status: "ok", detail: `${hooks.length} hook(s), every secret set: ${names(hooks.map(([name, hook]) => `/hooks/${name} (${hook.auth})`))}` });
  return checks;
}

function checkHeartbeat(config: PincerConfig): Check {
  const hb = config.heartbeat;
  if (!hb) return { name: "heartbeat", status: "ok", detail: "off (no heartbeat in pincer.yaml)" };
  const when = `every ${hb.every}${hb.active_hours ? `, ${hb.active_hours}${hb.tz ? ` ${hb.tz}` : " (host's zone)"}` : ", around the clock"}`;
  const summary = `${when}, agent ${hb.agent}, deliver ${hb.deliver}`;
  if (!hasOwnEntry(config.agents, hb.agent)) return { name: "heartbeat", status: "warn", detail: `${summary}: agent ${hb.agent} is not configured`, fix: "set heartbeat.agent to a configured agent" };
  const problem = deliverProblem(config, hb.deliver);
  if (problem) return { name: "heartbeat", status: "warn", detail: `${summary}: ${problem}`, fix: "add the channel account ('pincer channels add …'), or change heartbeat.deliver" };
  return { name: "heartbeat", status: "ok", detail: summary };
}
