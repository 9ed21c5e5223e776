// Where Pincer keeps its state: the state dir, the default config file and per-agent workspaces.
// Pure path arithmetic over an injected env; nothing here touches the file system.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export type Env = Record<string, string | undefined>;

/** Expands a leading `~` or `~/` to the user's home directory (`HOME` from env when set). */
export function expandHome(path: string, env: Env = {}): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  const home = env["HOME"] || homedir();
  return path === "~" ? home : join(home, path.slice(2));
}

/** The state dir: `PINCER_HOME` when set, else `~/.pincer`. Always absolute. */
export function resolveStateDir(env: Env): string {
  const configured = env["PINCER_HOME"]?.trim();
  return resolve(expandHome(configured || "~/.pincer", env));
}

/** `<stateDir>/pincer.yaml`. */
export function defaultConfigPath(stateDir: string): string {
  return join(stateDir, "pincer.yaml");
}

/**
 * An agent's workspace folder. Unset: `<state>/workspace` for agent `default`, `<state>/workspace-<id>`
 * otherwise. Set: `~` is expanded and a relative path is taken relative to the state dir.
 */
export function resolveWorkspace(stateDir: string, agentId: string, configured?: string, env: Env = {}): string {
  if (!configured?.trim()) {
    return join(stateDir, agentId === "default" ? "workspace" : `workspace-${agentId}`);
  }
  const expanded = expandHome(configured.trim(), env);
  return isAbsolute(expanded) ? resolve(expanded) : resolve(stateDir, expanded);
}
