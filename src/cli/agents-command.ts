// `pincer agents list | add | remove`: the agents in pincer.yaml (each edit validated before the file is written).
// Removing an agent deletes nothing else: its sessions, runs and workspace stay where they are.
import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { loadConfig, resolveWorkspace, setConfigValue, unsetConfigValue } from "../config/index.ts";
import { modelRefSchema } from "../core/config-schema.ts";
import { hasOwnEntry, ownEntry } from "../core/own-entry.ts";
import type { GlobalOptions } from "./cli-app.ts";
import { CliFailure, EXIT_USAGE, printJson, renderTable } from "./output.ts";

/** As the config schema requires (and never `__proto__` and friends). */
const AGENT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

/** The agent that answers what no binding routes elsewhere: `default`, else the first (as the gateway decides). */
const defaultAgentId = (agents: Record<string, unknown>): string => (hasOwnEntry(agents, "default") ? "default" : (Object.keys(agents)[0] ?? "default"));

export async function agentsListCommand(g: GlobalOptions, opts: { json?: boolean }): Promise<void> {
  const { config, stateDir } = await loadConfig({ file: g.config, env: process.env });
  const fallback = defaultAgentId(config.agents);
  const rows = Object.entries(config.agents).map(([id, a]) => ({
    id, default: id === fallback, model: a.model, workspace: resolveWorkspace(stateDir, id, a.workspace, process.env), queueMode: a.queue_mode,
    bindings: config.bindings.filter((b) => b.agent === id).length,
  }));
  if (opts.json) return printJson({ agents: rows });
  process.stdout.write(`${renderTable(
    ["AGENT", "MODEL", "QUEUE", "BINDINGS", "WORKSPACE"],
    rows.map((r) => [`${r.id}${r.default ? " (default)" : ""}`, r.model, r.queueMode, String(r.bindings), r.workspace]),
  )}\n`);
}

export async function agentsAddCommand(g: GlobalOptions, id: string, opts: { model?: string; workspace?: string; json?: boolean }): Promise<void> {
  if (!AGENT_ID.test(id)) throw new CliFailure(`<id>: agent ids are 1-63 letters, digits, - and _, starting with a letter or digit; got ${JSON.stringify(id)}`, EXIT_USAGE);
  if (opts.model !== undefined && !modelRefSchema.safeParse(opts.model).success) {
    throw new CliFailure(`--model: expected a tier (default, fast, complex, local) or provider/model, got ${JSON.stringify(opts.model)}`, EXIT_USAGE);
  }
  const loaded = await loadConfig({ file: g.config, env: process.env });
  if (hasOwnEntry(loaded.config.agents, id)) throw new CliFailure(`agent "${id}" already exists. Change it with 'pincer config set agents.${id}.model <ref>'`);
  const file = loaded.file;
  // An `agents:` map in the file replaces the built-in `default` agent, so keep that one when adding the first.
  if (!(await fileDeclaresAgents(file)) && hasOwnEntry(loaded.config.agents, "default")) await setConfigValue(file, "agents.default", "{}", { env: process.env });
  await setConfigValue(file, `agents.${id}.model`, opts.model ?? "default", { env: process.env });
  // A relative folder on the command line means relative to here (in the file it would mean the state dir).
  const workspaceArg = opts.workspace === undefined || opts.workspace.startsWith("~") || isAbsolute(opts.workspace) ? opts.workspace : resolve(opts.workspace);
  if (workspaceArg !== undefined) {
    try {
      await setConfigValue(file, `agents.${id}.workspace`, workspaceArg, { env: process.env });
    } catch (err) {
      await unsetConfigValue(file, `agents.${id}`, { env: process.env }); // leave no half-added agent behind
      throw err;
    }
  }
  const workspace = resolveWorkspace(loaded.stateDir, id, workspaceArg, process.env);
  if (opts.json) return printJson({ id, model: opts.model ?? "default", workspace, file });
  process.stdout.write(`added agent ${id} (model ${opts.model ?? "default"}, workspace ${workspace}) to ${file}\n`);
  process.stdout.write(`route chats to it with a binding, e.g. 'pincer config set bindings "[{agent: ${id}, match: {channel: telegram}}]"'; a running gateway applies it at once\n`);
}

export async function agentsRemoveCommand(g: GlobalOptions, id: string, opts: { json?: boolean }): Promise<void> {
  const loaded = await loadConfig({ file: g.config, env: process.env });
  const agent = ownEntry(loaded.config.agents, id);
  if (!agent) throw new CliFailure(`no agent "${id}"; 'pincer agents list' shows them`, EXIT_USAGE);
  if (id === defaultAgentId(loaded.config.agents)) {
    throw new CliFailure(`agent "${id}" is the default agent: it answers every chat no binding routes elsewhere, so it cannot be removed`);
  }
  const bound = loaded.config.bindings.flatMap((b, i) => (b.agent === id ? [`bindings[${i}]`] : []));
  if (bound.length > 0) throw new CliFailure(`agent "${id}" is used by ${bound.join(", ")}; remove or change those bindings first ('pincer config unset ${bound[0]}')`);
  const file = loaded.file;
  await unsetConfigValue(file, `agents.${id}`, { env: process.env });
  const workspace = resolveWorkspace(loaded.stateDir, id, agent.workspace, process.env);
  if (opts.json) return printJson({ id, removed: true, file, kept: { workspace, sessions: `agent:${id}:*` } });
  process.stdout.write(`removed agent ${id} from ${file}\n`);
  process.stdout.write(`nothing was deleted: its sessions and runs stay in the store ('pincer sessions list --agent ${id}'), its workspace stays at ${workspace}\n`);
}

/** Whether the config file itself has an `agents:` key (without one the schema's built-in default agent applies). */
async function fileDeclaresAgents(file: string): Promise<boolean> {
  const text = await readFile(file, "utf8").catch(() => "");
  if (text === "") return false;
  const { parse } = await import("yaml");
  const data = parse(text) as { agents?: unknown } | null;
  return data !== null && typeof data === "object" && data.agents !== undefined;
}
