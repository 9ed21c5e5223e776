// Installs, removes and inspects the gateway as a user service: a systemd user unit (Linux) or a launchd agent
// (macOS). Platform, paths, uid, the command runner and fetch are injected; nothing here reads process state.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Env } from "../config/paths.ts";
import type { ListenAddress } from "./listen-address.ts";
import { LAUNCHD_LABEL, launchdLogFiles, renderLaunchdPlist, renderSystemdUnit, SYSTEMD_UNIT_NAME, type ServiceSpec } from "./service-unit.ts";

export type ServiceManager = "systemd" | "launchd";

/** One finished external command. `code` is -1 when it could not run at all (`error` says why). */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  error?: "not_found" | "timeout" | "failed_to_run";
}

/** Runs one program with arguments, never through a shell. Contract: never throws; failures are results. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

/** The machine the service is installed on. */
export interface ServiceHost {
  platform: NodeJS.Platform;
  /** The user's home directory (absolute). */
  home: string;
  /** Read for XDG_CONFIG_HOME only. */
  env: Env;
  uid: number;
  run: CommandRunner;
}

/** Where the service file lives and what the manager calls the service. */
export interface ServiceTarget {
  manager: ServiceManager;
  file: string;
  /** systemd unit name or launchd label. */
  name: string;
}

export type ServiceErrorCode = "unsupported_platform" | "file_differs" | "write_failed" | "activation_failed" | "deactivation_failed";

/** A service operation the user can fix; `message` says what happened and what to run. */
export class ServiceError extends Error {
  override readonly name = "ServiceError";
  readonly code: ServiceErrorCode;
  constructor(code: ServiceErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

const SUPPORTED = "Linux (systemd user unit) and macOS (launchd agent)";

/** The service file and name for this host. Throws ServiceError("unsupported_platform") elsewhere. */
export function locateService(host: ServiceHost): ServiceTarget {
  if (host.platform === "linux") {
    const configHome = host.env["XDG_CONFIG_HOME"]?.startsWith("/") ? host.env["XDG_CONFIG_HOME"] : join(host.home, ".config");
    return { manager: "systemd", file: join(configHome, "systemd", "user", SYSTEMD_UNIT_NAME), name: SYSTEMD_UNIT_NAME };
  }
  if (host.platform === "darwin") {
    return { manager: "launchd", file: join(host.home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`), name: LAUNCHD_LABEL };
  }
  throw new ServiceError(
    "unsupported_platform",
    `'pincer gateway install' supports ${SUPPORTED}, not ${host.platform}. Fix: run 'pincer gateway' under your platform's service manager yourself (see docs/deploy.md)`,
  );
}

/** The file install would write for this target. */
export function renderServiceFile(target: ServiceTarget, spec: ServiceSpec): string {
  return target.manager === "systemd" ? renderSystemdUnit(spec) : renderLaunchdPlist(spec);
}

export interface InstallOptions {
  /** Overwrite a service file whose content differs. */
  force?: boolean;
  /** Enable and start the service after writing (default true); false writes the file only. */
  start?: boolean;
}

export interface InstallResult {
  target: ServiceTarget;
  file: "created" | "updated" | "unchanged";
  /** The manager enabled and started (or kept running) the service. */
  started: boolean;
}

/**
 * Writes the service file (atomic, 0644) and activates it.
 * Contract: idempotent — identical content is not rewritten and a running service is not restarted; differing
 * content is refused without `force` (ServiceError "file_differs"); when activation fails the file stays written
 * and ServiceError "activation_failed" names the failing command and the commands to run by hand.
 */
export async function installService(host: ServiceHost, spec: ServiceSpec, opts: InstallOptions = {}): Promise<InstallResult> {
  const target = locateService(host);
  const text = renderServiceFile(target, spec);
  const current = await readIfExists(target.file);
  if (current !== undefined && current !== text && !opts.force) {
    throw new ServiceError(
      "file_differs",
      `${target.file} exists and differs from what would be written now (other paths, flags or PINCER_HOME). Fix: 'pincer gateway install --force' to replace it, or 'pincer gateway status' to compare first`,
    );
  }
  const file = current === undefined ? "created" : current === text ? "unchanged" : "updated";
  try {
    if (file !== "unchanged") await writeServiceFile(target.file, text);
    if (target.manager === "launchd") await mkdir(dirname(launchdLogFiles(spec.stateDir).stdout), { recursive: true, mode: 0o700 });
  } catch (err) {
    const { code = "unknown error", path = target.file } = err as NodeJS.ErrnoException;
    throw new ServiceError("write_failed", `cannot write ${path} (${code}). Fix: check that you own ${dirname(path)} and can write to it`);
  }
  if (opts.start === false) return { target, file, started: false };

  const steps = target.manager === "systemd" ? systemdStartSteps(file) : await launchdStartSteps(host, target, file);
  const failure = await runSteps(host.run, steps);
  if (failure) {
    const manual = formatCommands(target.manager === "systemd" ? systemdStartSteps(file) : launchdManualSteps(host, target));
    const written = file === "unchanged" ? `${target.file} is in place` : `wrote ${target.file}`;
    throw new ServiceError(
      "activation_failed",
      `${written}, but ${failure}. Fix: run '${manual}' in a login session of this user; where there is no ${target.manager === "systemd" ? "systemd user session (containers, CI)" : "GUI login session"}, run 'pincer gateway' directly instead (see docs/deploy.md)`,
    );
  }
  return { target, file, started: true };
}

export interface UninstallResult {
  target: ServiceTarget;
  removed: boolean;
  /** Set when `force` removed the file although the manager could not stop the service. */
  warning?: string;
}

/**
 * Stops and disables the service, then removes its file.
 * Contract: idempotent — no file means "not installed" and no manager call. When the manager cannot stop the
 * service the file is kept (ServiceError "deactivation_failed") unless `force`, which removes it with a warning.
 * A missing manager binary (no systemd at all) cannot be running the service and is not a failure.
 */
export async function uninstallService(host: ServiceHost, opts: { force?: boolean } = {}): Promise<UninstallResult> {
  const target = locateService(host);
  if ((await readIfExists(target.file)) === undefined) return { target, removed: false };
  const steps = target.manager === "systemd" ? [systemctl("disable", "--now", target.name)] : await launchdStopSteps(host, target);
  const failure = await runSteps(host.run, steps, { missingIsOk: true });
  if (failure && !opts.force) {
    throw new ServiceError(
      "deactivation_failed",
      `${failure}; ${target.file} is left in place. Fix: run '${formatCommands(target.manager === "systemd" ? [systemctl("disable", "--now", target.name)] : [launchdBootout(host, target)])}' in a login session of this user, or 'pincer gateway uninstall --force' to remove the file anyway`,
    );
  }
  await rm(target.file, { force: true });
  if (!failure && target.manager === "systemd") await host.run("systemctl", ["--user", "daemon-reload"]);
  return { target, removed: true, ...(failure ? { warning: `${failure}; the file was removed anyway` } : {}) };
}

export interface HealthProbe {
  url: string;
  ok: boolean;
  /** Why the probe failed: connection error, timeout, or an unexpected status. */
  error?: string;
}

export interface ServiceStatus {
  platform: NodeJS.Platform;
  manager: ServiceManager;
  file: string;
  installed: boolean;
  /** The file equals what install would write now; null when not installed. */
  upToDate: boolean | null;
  /** systemd: the is-active word (active, inactive, failed, …); launchd: the job state (running, …) or "not loaded". */
  active: string | null;
  /** systemd: the is-enabled word (enabled, disabled, not-found, …); launchd: null. */
  enabled: string | null;
  /** Why the manager could not be asked (no user session, binary missing). */
  managerError?: string;
  health: HealthProbe;
}

/** The service file, the manager's view and the gateway's /healthz. Contract: never throws for a failed probe. */
export async function readServiceStatus(host: ServiceHost, spec: ServiceSpec, opts: { healthUrl: string; fetch: typeof fetch }): Promise<ServiceStatus> {
  const target = locateService(host);
  const current = await readIfExists(target.file);
  const [view, health] = await Promise.all([
    target.manager === "systemd" ? querySystemd(host.run, target.name) : queryLaunchd(host, target),
    probeHealth(opts.healthUrl, opts.fetch),
  ]);
  return {
    platform: host.platform,
    manager: target.manager,
    file: target.file,
    installed: current !== undefined,
    upToDate: current === undefined ? null : current === renderServiceFile(target, spec),
    ...view,
    health,
  };
}

/** The /healthz URL for a listen address: wildcard binds are probed on loopback. */
export function healthUrlFor(address: ListenAddress): string {
  const host = address.host === "0.0.0.0" ? "127.0.0.1" : address.host === "::" ? "::1" : address.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}/healthz`;
}

/** GET /healthz with a 2 s timeout; ok only for 200 with `{ ok: true }`. Contract: never throws. */
export async function probeHealth(url: string, fetchImpl: typeof fetch, timeoutMs = 2_000): Promise<HealthProbe> {
  try {
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json().catch(() => undefined)) as { ok?: unknown } | undefined;
    if (res.status === 200 && body?.ok === true) return { url, ok: true };
    return { url, ok: false, error: `answered HTTP ${res.status}${body?.ok === true ? "" : " without {\"ok\":true}"} (not a pincer gateway?)` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const name = (err as { name?: string }).name;
    return { url, ok: false, error: name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : cause === "ECONNREFUSED" ? "connection refused (not running?)" : String((err as Error).message ?? err) };
  }
}

/** A CommandRunner over child_process.execFile: no shell, a timeout (ms), output captured. */
export function createExecRunner(opts: { timeoutMs?: number } = {}): CommandRunner {
  return (file, args) =>
    new Promise((resolve) => {
      execFile(file, [...args], { timeout: opts.timeoutMs ?? 30_000, encoding: "utf8" }, (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        if (typeof e.code === "number") return resolve({ code: e.code, stdout, stderr });
        const error = e.code === "ENOENT" ? "not_found" : e.killed ? "timeout" : "failed_to_run";
        resolve({ code: -1, stdout, stderr: stderr || e.message, error });
      });
    });
}

/** The commands that enable and start an installed service, as one shell line (for --no-start and failures). */
export function formatStartCommands(host: ServiceHost, target: ServiceTarget): string {
  return formatCommands(target.manager === "systemd" ? systemdStartSteps("created") : launchdManualSteps(host, target));
}

type Step = readonly [file: string, ...args: string[]];

function systemctl(...args: string[]): Step {
  return ["systemctl", "--user", ...args];
}

function systemdStartSteps(file: InstallResult["file"]): Step[] {
  // A changed unit needs a restart to apply; `enable --now` leaves a running service as it is.
  if (file === "updated") return [systemctl("daemon-reload"), systemctl("enable", SYSTEMD_UNIT_NAME), systemctl("restart", SYSTEMD_UNIT_NAME)];
  return [systemctl("daemon-reload"), systemctl("enable", "--now", SYSTEMD_UNIT_NAME)];
}

function launchdBootout(host: ServiceHost, target: ServiceTarget): Step {
  return ["launchctl", "bootout", `gui/${host.uid}/${target.name}`];
}

function launchdManualSteps(host: ServiceHost, target: ServiceTarget): Step[] {
  return [["launchctl", "enable", `gui/${host.uid}/${target.name}`], ["launchctl", "bootstrap", `gui/${host.uid}`, target.file]];
}

async function launchdLoaded(host: ServiceHost, target: ServiceTarget): Promise<boolean> {
  return (await host.run("launchctl", ["print", `gui/${host.uid}/${target.name}`])).code === 0;
}

async function launchdStartSteps(host: ServiceHost, target: ServiceTarget, file: InstallResult["file"]): Promise<Step[]> {
  const loaded = await launchdLoaded(host, target);
  if (loaded && file === "unchanged") return [];
  return [...(loaded ? [launchdBootout(host, target)] : []), ...launchdManualSteps(host, target)];
}

async function launchdStopSteps(host: ServiceHost, target: ServiceTarget): Promise<Step[]> {
  return (await launchdLoaded(host, target)) ? [launchdBootout(host, target)] : [];
}

/** Runs steps in order; returns a one-line "'<command>' failed: <reason>" for the first failure, else undefined. */
async function runSteps(run: CommandRunner, steps: Step[], opts: { missingIsOk?: boolean } = {}): Promise<string | undefined> {
  for (const [file, ...args] of steps) {
    const result = await run(file, args);
    if (result.code === 0) continue;
    if (result.error === "not_found" && opts.missingIsOk) return undefined;
    return `'${formatCommands([[file, ...args]])}' failed: ${describeFailure(file, result)}`;
  }
  return undefined;
}

function describeFailure(file: string, result: CommandResult): string {
  if (result.error === "not_found") return `${file} is not installed here`;
  if (result.error === "timeout") return "it did not finish in time";
  const line = firstLine(result.stderr) ?? firstLine(result.stdout);
  return line ?? `exit code ${result.code}`;
}

async function querySystemd(run: CommandRunner, unit: string): Promise<Pick<ServiceStatus, "active" | "enabled" | "managerError">> {
  // Both exit non-zero for "inactive"/"disabled" but still print the word; no word means systemctl could not ask.
  const [active, enabled] = await Promise.all([run("systemctl", ["--user", "is-active", unit]), run("systemctl", ["--user", "is-enabled", unit])]);
  const activeWord = firstLine(active.stdout) ?? null;
  const enabledWord = firstLine(enabled.stdout) ?? null;
  const failed = activeWord === null ? active : enabledWord === null ? enabled : undefined;
  return { active: activeWord, enabled: enabledWord, ...(failed ? { managerError: describeFailure("systemctl", failed) } : {}) };
}

async function queryLaunchd(host: ServiceHost, target: ServiceTarget): Promise<Pick<ServiceStatus, "active" | "enabled" | "managerError">> {
  const result = await host.run("launchctl", ["print", `gui/${host.uid}/${target.name}`]);
  if (result.code === 0) return { active: /^\s*state = (\S+)/m.exec(result.stdout)?.[1] ?? "loaded", enabled: null };
  if (result.error) return { active: null, enabled: null, managerError: describeFailure("launchctl", result) };
  return { active: "not loaded", enabled: null };
}

function firstLine(text: string): string | undefined {
  return text.split("\n").map((line) => line.trim()).find((line) => line !== "");
}

/** Commands as one shell line a user can paste. */
function formatCommands(steps: Step[]): string {
  return steps.map((step) => step.map(shellQuote).join(" ")).join(" && ");
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Temp file in the same folder + rename, so the manager never reads half a file. Mode 0644 (managers read it). */
async function writeServiceFile(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    const handle = await open(temp, "wx", 0o644);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o644);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
