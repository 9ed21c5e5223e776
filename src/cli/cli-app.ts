// Opens the app for a CLI command and closes it afterwards; the one place commands get config and env from.
import type { App } from "../app.ts";
import { createLogger } from "../config/logger.ts";
import { loadConfig } from "../config/index.ts";
import { ownEntry } from "../core/own-entry.ts";

export interface GlobalOptions {
  config?: string;
}

/** Opens the app with CLI defaults: logs at warn to stderr unless PINCER_LOG_LEVEL says otherwise. */
export async function openApp(g: GlobalOptions, defaults: { level: "warn" | "info" } = { level: "warn" }): Promise<App> {
  const { createApp } = await import("../app.ts");
  const level = (process.env.PINCER_LOG_LEVEL ?? defaults.level) as "warn";
  // Readable lines at a terminal, JSON lines for log collectors (PINCER_LOG_FORMAT=json|pretty overrides).
  const format = process.env.PINCER_LOG_FORMAT ?? (process.stderr.isTTY ? "pretty" : "json");
  return createApp({ configFile: g.config, env: process.env, logger: createLogger({ level, pretty: format === "pretty" }) });
}

export async function withApp<T>(g: GlobalOptions, fn: (app: App) => Promise<T>): Promise<T> {
  const app = await openApp(g);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

export function defaultSessionKey(agentId: string): string {
  return `agent:${agentId}:cli:dm:local`;
}

/** True when the agent still uses the `default` tier and no provider is configured for it (first run). */
export async function needsOnboarding(g: GlobalOptions, agentId: string): Promise<boolean> {
  const { config } = await loadConfig({ file: g.config, env: process.env });
  return ownEntry(config.agents, agentId)?.model === "default" && !config.models.tiers.default;
}
