// `pincer gateway install | uninstall | status`: the gateway as a user service (systemd on Linux, launchd on macOS).
// Builds the service spec from this process (node binary, pincer entry, flags, PINCER_HOME); service-install.ts does the rest.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expandHome, loadConfig, mallocEnvFor, nodeFlagsFor, resolveStateDir, type Env, type LoadedConfig } from "../config/index.ts";
import { gatewaySchema } from "../core/config-schema.ts";
import { ConfigError } from "../core/errors.ts";
import { loadGatewayToken, rotateGatewayToken, TOKEN_ENV } from "../gateway/gateway-token.ts";
import { resolveListenAddress } from "../gateway/listen-address.ts";
import {
  createExecRunner,
  formatStartCommands,
  healthUrlFor,
  installService,
  locateService,
  readServiceStatus,
  ServiceError,
  uninstallService,
  type ServiceHost,
  type ServiceStatus,
  type ServiceTarget,
} from "../gateway/service-install.ts";
import { gatewayEnvFile, launchdLogFiles, stopTimeoutFor, type ServiceSpec } from "../gateway/service-unit.ts";
import { CliFailure, printJson } from "./output.ts";
import type { GlobalOptions } from "./cli-app.ts";
import { toMs, toPort, type GatewayOptions } from "./gateway-command.ts";

export interface InstallCommandOptions {
  /** False with --no-start: write the file only. */
  start: boolean;
  force?: boolean;
  json?: boolean;
}

/** `pincer gateway install`: writes the service file for `pincer gateway` with the given flags and starts it. */
export async function installServiceCommand(g: GlobalOptions, flags: GatewayOptions, opts: InstallCommandOptions): Promise<void> {
  const host = currentHost();
  const target = withCliErrors(() => locateService(host));
  const { spec, configProblem } = await buildServiceSpec(g, flags, process.env);
  if (configProblem) process.stderr.write(`warning: the config does not load, so the service will not start until it is fixed: ${configProblem}\n`);
  const token = await ensureServiceToken(spec.stateDir, target);
  if (token && !opts.json) process.stderr.write(`created a gateway token (shown once; 'pincer gateway token --rotate' makes a new one):\n  ${token}\n`);
  if (process.env[TOKEN_ENV] && !opts.json) {
    process.stderr.write(`note: ${TOKEN_ENV} from this shell is not passed to the service; it uses the stored token${target.manager === "systemd" ? `, or put ${TOKEN_ENV}=... in ${gatewayEnvFile(spec.stateDir)}` : ""}\n`);
  }
  const result = await withCliErrorsAsync(() => installService(host, spec, { force: opts.force, start: opts.start }));
  if (opts.json) {
    return printJson({ manager: target.manager, file: target.file, name: target.name, result: result.file, started: result.started, ...(token ? { token } : {}) });
  }
  const what = result.file === "unchanged" ? `already installed: ${target.file}` : `${result.file === "created" ? "installed" : "updated"} ${target.file}`;
  if (!result.started) {
    process.stdout.write(`${what} (not started; to start it run: ${formatStartCommands(host, target)})\n`);
    return;
  }
  process.stdout.write(`${what}; ${target.name} is enabled and running\n`);
  process.stdout.write(
    target.manager === "systemd"
      ? "logs: journalctl --user -u pincer-gateway -f; to start at boot without logging in: loginctl enable-linger $USER\n"
      : `logs: ${launchdLogFiles(spec.stateDir).stderr}\n`,
  );
}

/** `pincer gateway uninstall`: stops and disables the service and removes its file; the state dir is kept. */
export async function uninstallServiceCommand(_g: GlobalOptions, opts: { force?: boolean; json?: boolean }): Promise<void> {
  const result = await withCliErrorsAsync(() => uninstallService(currentHost(), { force: opts.force }));
  if (opts.json) return printJson({ manager: result.target.manager, file: result.target.file, removed: result.removed, ...(result.warning ? { warning: result.warning } : {}) });
  if (result.warning) process.stderr.write(`warning: ${result.warning}\n`);
  process.stdout.write(
    result.removed
      ? `removed ${result.target.file}; ${result.target.name} is stopped and disabled (the state dir and token are kept)\n`
      : `not installed (no ${result.target.file})\n`,
  );
}

/** `pincer gateway status`: the service file, the manager's view and whether the gateway answers /healthz. */
export async function serviceStatusCommand(g: GlobalOptions, flags: GatewayOptions, opts: { json?: boolean }): Promise<void> {
  const host = currentHost();
  withCliErrors(() => locateService(host));
  const { spec, loaded, configProblem } = await buildServiceSpec(g, flags, process.env);
  const portOverride = flags.port === undefined ? undefined : toPort(flags.port);
  let healthUrl = `http://127.0.0.1:${portOverride ?? gatewaySchema.parse({}).port}/healthz`;
  let addressProblem: string | undefined;
  try {
    if (loaded) healthUrl = healthUrlFor(resolveListenAddress(loaded.config.gateway, { ...(portOverride === undefined ? {} : { portOverride }), file: loaded.file }));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    addressProblem = err.message;
  }
  const status = await readServiceStatus(host, spec, { healthUrl, fetch });
  const config = { file: loaded?.file ?? null, ok: !configProblem && !addressProblem, ...(configProblem || addressProblem ? { error: configProblem ?? addressProblem } : {}) };
  if (opts.json) return printJson({ ...status, config });
  process.stdout.write(`${renderStatus(status, config.error)}\n`);
}

function renderStatus(status: ServiceStatus, configError: string | undefined): string {
  const kind = status.manager === "systemd" ? "systemd user unit" : "launchd agent";
  const file = !status.installed
    ? "not installed ('pincer gateway install' installs it)"
    : status.upToDate
      ? "installed, up to date"
      : "installed, but differs from what 'pincer gateway install' would write now ('pincer gateway install --force' updates it)";
  const manager = status.managerError
    ? `could not ask ${status.manager}: ${status.managerError}`
    : [status.active, status.enabled].filter((word) => word !== null).join(", ");
  const health = status.health.ok ? `${status.health.url} answers ok` : `${status.health.url} does not answer: ${status.health.error ?? "unknown"}`;
  const rows = [["service", `${kind} ${status.file}`], ["file", file], ["manager", manager], ["health", health]];
  if (configError) rows.push(["config", configError]);
  return rows.map(([label, text]) => `${label!.padEnd(8)} ${text}`).join("\n");
}

interface BuiltSpec {
  spec: ServiceSpec;
  loaded?: LoadedConfig;
  /** The config does not load now; the spec is still built (from the path alone). */
  configProblem?: string;
}

/** What `pincer gateway <flags>` run by the service manager needs: absolute paths only, no secrets. */
async function buildServiceSpec(g: GlobalOptions, flags: GatewayOptions, env: Env): Promise<BuiltSpec> {
  const deadlineMs = toMs(flags.shutdownDeadline, "--shutdown-deadline");
  const port = flags.port === undefined ? undefined : toPort(flags.port);
  const stateDir = resolveStateDir(env);
  let loaded: LoadedConfig | undefined;
  let configProblem: string | undefined;
  try {
    loaded = await loadConfig({ file: g.config, env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    configProblem = err.message;
  }
  const configFile = g.config ? (loaded?.file ?? resolve(expandHome(g.config, env))) : undefined;
  const args = ["gateway", ...(port === undefined ? [] : ["--port", String(port)]), "--shutdown-deadline", String(deadlineMs), ...(configFile ? ["--config", configFile] : [])];
  const spec: ServiceSpec = {
    nodePath: process.execPath,
    nodeFlags: nodeFlagsFor(env),
    entryPath: findPincerEntry(process.argv[1]),
    args,
    env: { ...mallocEnvFor(env), ...(env["PINCER_HOME"]?.trim() ? { PINCER_HOME: stateDir } : {}) },
    stateDir,
    stopTimeoutSec: stopTimeoutFor(deadlineMs),
  };
  return { spec, ...(loaded ? { loaded } : {}), ...(configProblem ? { configProblem } : {}) };
}

/** This package's bin/pincer.js (it runs dist/ when built, else the sources); the running script if that is missing. */
export function findPincerEntry(argv1: string | undefined): string {
  const packaged = fileURLToPath(new URL("../../bin/pincer.js", import.meta.url));
  return existsSync(packaged) || !argv1 ? packaged : resolve(argv1);
}

/**
 * Creates the gateway token now, on the user's terminal, when the service would otherwise create it on first
 * start and print it into the journal or log file. The service does not see this shell's PINCER_GATEWAY_TOKEN.
 */
async function ensureServiceToken(stateDir: string, target: ServiceTarget): Promise<string | undefined> {
  const stored = await loadGatewayToken(stateDir, {});
  if (stored.source.kind !== "none") return undefined;
  if (target.manager === "systemd" && (await envFileSetsToken(gatewayEnvFile(stateDir)))) return undefined;
  return rotateGatewayToken(stateDir);
}

async function envFileSetsToken(file: string): Promise<boolean> {
  const text = await readFile(file, "utf8").catch(() => "");
  return new RegExp(`^\\s*(export\\s+)?${TOKEN_ENV}\\s*=\\s*\\S`, "m").test(text);
}

function currentHost(): ServiceHost {
  return { platform: process.platform, home: homedir(), env: process.env, uid: process.getuid?.() ?? 0, run: createExecRunner() };
}

function withCliErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toCliFailure(err);
  }
}

async function withCliErrorsAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toCliFailure(err);
  }
}

function toCliFailure(err: unknown): unknown {
  return err instanceof ServiceError ? new CliFailure(err.message, 1) : err;
}
