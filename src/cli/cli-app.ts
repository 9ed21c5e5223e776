// Opens the app for a CLI command and closes it afterwards; the one place commands get config and env from.
import type { App } from "../app.ts";
import { createLogger } from "../config/logger.ts";
import { formatKeyPath, loadConfig, prepareStateDir, resolveStateDir, type LoadedConfig, type WithheldPart } from "../config/index.ts";
import type { LogFile } from "../config/log-file.ts";
import { ownEntry } from "../core/own-entry.ts";

export interface GlobalOptions {
  config?: string;
}

export interface OpenAppOptions {
  level: "warn" | "info";
  /** Warn on stderr about config parts left out for an unset `${env:X}` (default true; the gateway reports them as
   * failed channel accounts instead). */
  warnWithheld?: boolean;
  /** Also write every log line to `<state dir>/logs/gateway.log` (the gateway), whether or not it runs as a service. */
  logFile?: boolean;
}

/** Opens the app with CLI defaults: logs at warn to stderr unless PINCER_LOG_LEVEL says otherwise. */
export async function openApp(g: GlobalOptions, defaults: OpenAppOptions = { level: "warn" }): Promise<App> {
  const { createApp } = await import("../app.ts");
  const level = (process.env.PINCER_LOG_LEVEL ?? defaults.level) as "warn";
  // Readable lines at a terminal, JSON lines for log collectors (PINCER_LOG_FORMAT=json|pretty overrides).
  const format = process.env.PINCER_LOG_FORMAT ?? (process.stderr.isTTY ? "pretty" : "json");
  const logFile = defaults.logFile ? await openGatewayLogFile() : undefined;
  const logger = createLogger({ level, pretty: format === "pretty", ...(logFile ? { file: logFile } : {}) });
  let app: App;
  try {
    app = await createApp({ configFile: g.config, env: process.env, logger, ...(logFile ? { logFile } : {}) });
  } catch (err) {
    logFile?.close();
    throw err;
  }
  if (defaults.warnWithheld ?? true) warnWithheld(app.withheld);
  return app;
}

async function openGatewayLogFile(): Promise<LogFile> {
  const { gatewayLogPath, openLogFile } = await import("../config/log-file.ts");
  // A state dir this user cannot use is the one clear error createApp gives, not a warning about the log file in it.
  const stateDir = resolveStateDir(process.env);
  await prepareStateDir(stateDir);
  return openLogFile({ path: gatewayLogPath(stateDir), onError: (message) => process.stderr.write(`warning: ${message}\n`) });
}

/** Loads the config for a command that does not open the app, warning once about withheld parts like openApp. */
export async function loadCliConfig(g: GlobalOptions): Promise<LoadedConfig> {
  const loaded = await loadConfig({ file: g.config, env: process.env });
  warnWithheld(loaded.withheld);
  return loaded;
}

function warnWithheld(parts: readonly WithheldPart[]): void {
  for (const part of parts) process.stderr.write(`warning: ${describeWithheld(part)} is left out until this is fixed: ${part.error.message}\n`);
}

/** `channel account telegram/default`, or the key path of another withheld part. */
export function describeWithheld(part: WithheldPart): string {
  const [section, channel, accounts, account] = part.path;
  return section === "channels" && accounts === "accounts" ? `channel account ${String(channel)}/${String(account)}` : formatKeyPath(part.path);
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
