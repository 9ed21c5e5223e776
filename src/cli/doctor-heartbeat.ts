// `pincer doctor` check of the heartbeat (only when `heartbeat` is configured): its agent, its plan and next tick, and
// HEARTBEAT.md — present, read, and how many open items make a tick call the model.
import { resolveWorkspace } from "../config/index.ts";
import type { Env } from "../config/paths.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { hasOwnEntry } from "../core/own-entry.ts";
import { HEARTBEAT_FILE, HEARTBEAT_MAX_BYTES, readHeartbeatFile } from "../automation/heartbeat-file.ts";
import { nextHeartbeatTick } from "../automation/heartbeat-ticks.ts";
import type { Check } from "./doctor-command.ts";

/** Never throws. Call only with `config.heartbeat` set. */
export async function checkHeartbeat(config: PincerConfig, stateDir: string, env: Env, now = Date.now()): Promise<Check[]> {
  const hb = config.heartbeat;
  if (!hb) return [];
  const name = "heartbeat";
  if (!hasOwnEntry(config.agents, hb.agent)) {
    return [{ name, status: "fail", detail: `heartbeat.agent: unknown agent "${hb.agent}"`, fix: `use one of: ${Object.keys(config.agents).join(", ")}, or add agents.${hb.agent}` }];
  }
  const next = nextHeartbeatTick(hb, now);
  const plan = `every ${hb.every}${hb.active_hours ? ` ${hb.active_hours}` : ""}${hb.tz ? ` ${hb.tz}` : ""}, agent ${hb.agent}, deliver ${hb.deliver}${next ? `, next tick ${new Date(next).toISOString()}` : ""}`;
  const workspace = resolveWorkspace(stateDir, hb.agent, config.agents[hb.agent]!.workspace, env);
  const file = await readHeartbeatFile(workspace);
  if (file.status === "missing") {
    return [{ name, status: "ok", detail: `${plan}; no ${workspace}/${HEARTBEAT_FILE}, so every tick is skipped without a model call` }];
  }
  if (file.status === "refused") {
    return [{ name, status: "warn", detail: `${plan}; ${HEARTBEAT_FILE} is not read: ${file.reason}`, fix: `make ${workspace}/${HEARTBEAT_FILE} a regular file inside the workspace` }];
  }
  const items = file.items.length === 0 ? "no open items (ticks make no model call)" : `${file.items.length} open item(s) (each tick calls the model)`;
  return [{ name, status: "ok", detail: `${plan}; ${HEARTBEAT_FILE}: ${items}${file.truncated ? `; only its first ${HEARTBEAT_MAX_BYTES / 1024} KiB are read` : ""}` }];
}
