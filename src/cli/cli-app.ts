// Opens the app for a CLI command and closes it afterwards; the one place commands get config and env from.
import type { App } from "../app.ts";
import { createLogger } from "../config/logger.ts";
import { loadConfig, resolveStateDir } from "../config/index.ts";
import type { LogFile } from "../config/log-file.ts";
import { ownEntry } from "../core/own-entry.ts";

export interface GlobalOptions {
  config?: string;
}

/**
 * Opens the app with CLI defaults: logs at warn to stderr unless PINCER_LOG_LEVEL says otherwise. With `logFile`
 * (the gateway) every line also goes to `<state dir>/logs/gateway.log`, whether or not it runs as a service.
 */
export async function openApp(g: GlobalOptions, defaults: { level: "warn" | "info"; logFile?: boolean } = { level: "warn" }): Promise<App> {
  const { createApp } = await import("../app.ts");
  const level = (process.env.PINCER_LOG_LEVEL ?? defaults.level) as "warn";
  // Readable lines at a terminal, JSON lines for log collectors (PINCER_LOG_FORMAT=json|pretty overrides).
  const format = process.env.PINCER_LOG_FORMAT ?? (process.stderr.isTTY ? "pretty" : "json");
  const logFile = defaults.logFile ? await openGatewayLogFile() : undefined;
  const logger = createLogger({ level, pretty: format === "pretty", ...(logFile ? { file: logFile } : {}) });
  try {
    return await createApp({ configFile: g.config, env: process.env, logger, ...(logFile ? { logFile } : {}) });
  } catch (err) {
    logFile?.close();
    throw err;
  }
}

async function openGatewayLogFile(): Promise<LogFile> {
  const { gatewayLogPath, openLogFile } = await import("../config/log-file.ts");
  return openLogFile({ path: gatewayLogPath(resolveStateDir(process.env)), onError: (message) => process.stderr.write(`warning: ${message}\n`) });
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
