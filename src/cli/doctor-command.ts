// `pincer doctor`: checks each component and says ok / warn / fail with a fix. Never throws for a failed check.
import { access, constants, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PincerConfig } from "../core/config-schema.ts";
import { formatKeyPath, loadConfig, resolveStateDir, resolveWorkspace, toSetupError, type FsPlace, type LoadedConfig, type WithheldPart } from "../config/index.ts";
import { loadAuthStore, resolveCandidates, resolveCredential } from "../models/index.ts";
import { detectBubblewrap } from "../sandbox/detect.ts";
import { checkConfinement } from "../sandbox/sandbox-doctor.ts";
import { listProgramRunners } from "../tools/builtin/exec-command.ts";
import { ConfigError } from "../core/errors.ts";
import { defaultPostgresSchema, describePostgresUrl, inspectPostgresStore, isPostgresUrl, openSqliteStore } from "../store/index.ts";
import { redactSecrets } from "../config/redact.ts";
import { printJson } from "./output.ts";
import { createServer } from "node:net";
import { loadGatewayToken } from "../gateway/gateway-token.ts";
import { checkBindSafety, resolveListenAddress, type ListenAddress } from "../gateway/listen-address.ts";
import type { GlobalOptions } from "./cli-app.ts";

export type CheckStatus = "ok" | "warn" | "fail";
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export async function doctorCommand(g: GlobalOptions, opts: { json?: boolean; probe?: boolean }): Promise<void> {
  const checks = await runChecks(g.config, process.env);
  if (opts.probe) checks.push(...(await probeChecks(g.config, process.env)));
  if (opts.json) printJson({ ok: checks.every((c) => c.status !== "fail"), checks });
  else {
    const icon = { ok: "✓", warn: "!", fail: "✗" } as const;
    for (const c of checks) process.stdout.write(`${icon[c.status]} ${c.name.padEnd(12)} ${c.detail}${c.fix ? `\n  ${" ".repeat(12)} fix: ${c.fix}` : ""}\n`);
    const failed = checks.filter((c) => c.status === "fail").length;
    const warned = checks.filter((c) => c.status === "warn").length;
    process.stdout.write(`\n${failed} failed, ${warned} warning(s), ${checks.length - failed - warned} ok\n`);
  }
  if (checks.some((c) => c.status === "fail")) process.exitCode = 1;
}

export async function runChecks(configFile: string | undefined, env: Record<string, string | undefined>): Promise<Check[]> {
  const checks: Check[] = [checkNode()];
  let loaded: LoadedConfig | undefined;
  try {
    loaded = await loadConfig({ file: configFile, env });
    checks.push({ name: "config", status: "ok", detail: loaded.exists ? `${loaded.file} is valid` : `no file at ${loaded.file}; defaults in force` });
  } catch (err) {
    checks.push({ name: "config", status: "fail", detail: err instanceof Error ? err.message : String(err), fix: "correct the file, then run 'pincer config validate'" });
  }
  const stateDir = loaded?.stateDir ?? resolveStateDir(env);
  const stateCheck = await checkWritable("state dir", { dir: stateDir });
  checks.push(stateCheck);
  checks.push(await (await import("./doctor-logs.ts")).checkLogFile(stateDir));
  const storeUrl = loaded?.config.store.url;
  if (loaded && storeUrl && isPostgresUrl(storeUrl)) checks.push(...(await checkPostgresStore(loaded.config, storeUrl)));
  else if (stateCheck.status === "fail") {
    // The SQLite file lives in the state dir: it cannot be created or opened either (the same fix applies).
    checks.push({ name: "store", status: "fail", detail: `${join(stateDir, "pincer.db")} cannot be created or opened: the state dir is not usable`, ...(stateCheck.fix ? { fix: stateCheck.fix } : {}) });
  } else checks.push(await checkStore(stateDir));
  if (loaded) {
    checks.push(...(await checkModels(loaded.config, stateDir, env)));
    for (const [agentId, agent] of Object.entries(loaded.config.agents)) {
      const dir = resolveWorkspace(stateDir, agentId, agent.workspace, env);
      checks.push(await checkWritable("workspace", { dir, what: `the workspace of agent "${agentId}"`, setting: `agents.${agentId}.workspace` }, agentId));
    }
    checks.push(await checkSandbox(loaded.config));
    checks.push(...(await checkExecConfinement(loaded, env)));
    checks.push(...(await checkGateway(loaded, env)));
    checks.push(...(await checkBus(loaded.config)));
    checks.push(...(await (await import("../channels/channel-doctor.ts")).checkChannels(loaded.config, stateDir)));
    checks.push(...(await (await import("./doctor-skills.ts")).checkSkills(loaded.config, loaded.file, stateDir, env)));
    if (stateCheck.status !== "fail") checks.push(...(await (await import("./doctor-memory.ts")).checkMemory(loaded.config, loaded.file, stateDir, env)));
    if (loaded.config.heartbeat) checks.push(...(await (await import("./doctor-heartbeat.ts")).checkHeartbeat(loaded.config, stateDir, env)));
    if (Object.keys(loaded.config.mcp.servers).length > 0) checks.push(...(await (await import("./doctor-mcp.ts")).checkMcp(loaded.config, env)));
    if (Object.keys(loaded.config.hooks).length > 0) checks.push(...(await import("./doctor-hooks.ts")).checkHooks(loaded.config, env, loaded.file));
    checks.push(...(await (await import("./doctor-automation.ts")).checkAutomation(loaded.config, stateDir)));
    checks.push(...loaded.withheld.map(checkWithheld));
  }
  return checks;
}

/** `--probe`: a live request to each model provider (skipped when the config does not load). */
async function probeChecks(configFile: string | undefined, env: Record<string, string | undefined>): Promise<Check[]> {
  const loaded = await loadConfig({ file: configFile, env }).catch(() => undefined);
  if (!loaded) return [{ name: "probe", status: "fail", detail: "not run: the config does not load", fix: "fix the config first" }];
  return (await import("./doctor-probe.ts")).probeProviders(loaded.config, loaded.stateDir, env);
}

/** A config part left out because a variable it references is unset here (a channel account): the rest works. */
function checkWithheld(part: WithheldPart): Check {
  const [, channel, , account] = part.path;
  const vars = part.variables.join(", ");
  return {
    name: part.path[0] === "channels" ? `${String(channel)}/${String(account)}` : formatKeyPath(part.path),
    status: "fail",
    detail: `left out: ${vars} ${part.variables.length === 1 ? "is" : "are"} not set (${formatKeyPath(part.path)} in ${part.error.file ?? "the config"})`,
    fix: `export ${vars} in the environment that runs pincer (for a service, in its unit or plist), then restart the gateway`,
  };
}

/** With bus.url set: the NATS server, its JetStream and the instance's streams and consumers. */
async function checkBus(config: PincerConfig): Promise<Check[]> {
  const { url, user, password, nkey_seed, creds_file, ack_wait_ms } = config.bus;
  if (!url) return [];
  const { checkNatsBus } = await import("../bus/nats-doctor.ts");
  return checkNatsBus({ instance: config.instance, url, user, password, nkeySeed: nkey_seed, credsFile: creds_file, ackWaitMs: ack_wait_ms });
}

async function checkGateway(loaded: LoadedConfig, env: Record<string, string | undefined>): Promise<Check[]> {
  const out: Check[] = [];
  let token: Awaited<ReturnType<typeof loadGatewayToken>> | undefined;
  try {
    token = await loadGatewayToken(loaded.stateDir, env);
    const { source } = token;
    out.push(
      source.kind === "none"
        ? { name: "gw token", status: "warn", detail: "no gateway token yet; 'pincer gateway' creates one on first start", fix: "pincer gateway token --rotate" }
        : { name: "gw token", status: "ok", detail: source.kind === "env" ? "from PINCER_GATEWAY_TOKEN" : "set (hash stored)" },
    );
  } catch (err) {
    const detail = err instanceof ConfigError ? err.problem : err instanceof Error ? err.message : String(err);
    out.push({ name: "gw token", status: "fail", detail, fix: err instanceof ConfigError && err.fix ? err.fix : "pincer gateway token --rotate" });
  }
  let address: ListenAddress;
  try {
    address = resolveListenAddress(loaded.config.gateway, { file: loaded.file });
    checkBindSafety(address, token !== undefined && token.source.kind !== "none", loaded.file);
    out.push({ name: "gw bind", status: "ok", detail: `${address.host}${address.loopback ? " (loopback only)" : " (reachable from the network; token required)"}` });
  } catch (err) {
    out.push({ name: "gw bind", status: "fail", detail: err instanceof Error ? err.message : String(err) });
    return out;
  }
  out.push(await checkPort(address));
  return out;
}

/** Free, or already served by a Pincer gateway (its /healthz answers). */
async function checkPort(address: ListenAddress): Promise<Check> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(address.port, address.host, () => server.close(() => resolve(true)));
  });
  if (free) return { name: "gw port", status: "ok", detail: `${address.port} is free` };
  const host = address.loopback ? address.host : "127.0.0.1";
  try {
    const res = await fetch(`http://${host}:${address.port}/healthz`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { ok?: unknown };
    if (res.ok && body.ok === true) return { name: "gw port", status: "ok", detail: `${address.port} is served by a running pincer gateway` };
  } catch {
    // Not ours: fall through.
  }
  return { name: "gw port", status: "fail", detail: `port ${address.port} is taken by another program`, fix: "stop it, or set gateway.port (or PORT, or --port) to a free port" };
}

/** Node 22.16+ (node:sqlite's StatementSync#columns()), as bin/pincer.js requires; 24 LTS is what Pincer ships with. */
export const MIN_NODE = "22.16";

function checkNode(): Check {
  const sqlite = process.getBuiltinModule("node:sqlite") as typeof import("node:sqlite") | undefined;
  const major = Number(process.versions.node.split(".")[0]);
  if (typeof sqlite?.StatementSync.prototype.columns !== "function") {
    return { name: "node", status: "fail", detail: `Node ${process.versions.node} is too old (need ≥ ${MIN_NODE}: node:sqlite with StatementSync#columns())`, fix: "run through npm scripts (they use the bundled Node 24) or install Node 24 LTS" };
  }
  if (major < 24) return { name: "node", status: "warn", detail: `Node ${process.versions.node}; Node 24 LTS is recommended`, fix: "install Node 24 LTS" };
  return { name: "node", status: "ok", detail: `Node ${process.versions.node}` };
}

/** Creates `place.dir` when absent and writes a probe file there; a failure says why, and the fix, as commands would. */
async function checkWritable(name: string, place: FsPlace, label?: string): Promise<Check> {
  const { dir } = place;
  const probe = join(dir, `.doctor-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(probe, "ok");
    await rm(probe);
    return { name, status: "ok", detail: `${label ? `${label}: ` : ""}${dir} is writable` };
  } catch (err) {
    const setup = toSetupError(err, place);
    if (setup) return { name, status: "fail", detail: `${dir}: ${setup.problem}`, ...(setup.fix ? { fix: setup.fix } : {}) };
    return { name, status: "fail", detail: `${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? "error"})`, fix: `fix the permissions of ${dir}, or set PINCER_HOME to a writable folder` };
  }
}

async function checkStore(stateDir: string): Promise<Check> {
  const path = join(stateDir, "pincer.db");
  try {
    await access(path, constants.F_OK);
  } catch {
    return { name: "store", status: "ok", detail: `${path} will be created on first use` };
  }
  try {
    const store = await openSqliteStore({ path, migrate: false });
    try {
      const pending = await store.pendingMigrations();
      return pending.length === 0
        ? { name: "store", status: "ok", detail: `${path} is migrated` }
        : { name: "store", status: "warn", detail: `${path} has ${pending.length} pending migration(s): ${pending.join(", ")}`, fix: "they are applied on the next start of any pincer command that opens the store" };
    } finally {
      await store.close();
    }
  } catch (err) {
    return { name: "store", status: "fail", detail: `cannot open ${path}: ${err instanceof Error ? err.message : String(err)}`, fix: "check the file's permissions; move it aside to start fresh" };
  }
}

// Identity columns need 10; versions before 13 no longer get fixes upstream.
const PG_REQUIRED = 100_000;
const PG_RECOMMENDED = 130_000;

/** Reachability and version of the server, then the store's schema and its migrations. Never throws. */
export async function checkPostgresStore(config: PincerConfig, url: string): Promise<Check[]> {
  let schema: string;
  try {
    schema = config.store.schema ?? defaultPostgresSchema(config.instance);
  } catch (err) {
    return [{ name: "store", status: "fail", detail: err instanceof Error ? err.message : String(err) }];
  }
  let seen;
  try {
    seen = await inspectPostgresStore({ url, schema, connectionTimeoutMs: 5_000 });
  } catch (err) {
    if (err instanceof ConfigError) return [{ name: "store", status: "fail", detail: err.problem, ...(err.fix ? { fix: err.fix } : {}) }];
    const detail = `PostgreSQL at ${describePostgresUrl(url)}: ${redactSecrets(err instanceof Error ? err.message : String(err))}`;
    return [{ name: "store", status: "fail", detail, fix: "check the server log; the user in store.url needs to read pg_namespace and the schema" }];
  }
  const server = `PostgreSQL ${seen.serverVersion}`;
  const version: Check =
    seen.serverVersionNum < PG_REQUIRED
      ? { name: "store", status: "fail", detail: `${server} is too old (need 10 or later)`, fix: "upgrade PostgreSQL (16 or later recommended)" }
      : seen.serverVersionNum < PG_RECOMMENDED
        ? { name: "store", status: "warn", detail: `${server} works but no longer gets upstream fixes`, fix: "upgrade PostgreSQL (16 or later recommended)" }
        : { name: "store", status: "ok", detail: `${server} at ${describePostgresUrl(url)}` };
  const pending = seen.pendingMigrations;
  let state: Check;
  if (!seen.schemaExists) {
    state = seen.canCreateSchema
      ? { name: "store schema", status: "ok", detail: `schema ${schema} will be created and migrated on first start` }
      : {
          name: "store schema", status: "fail", detail: `schema ${schema} does not exist and this user may not create it`,
          fix: `have an administrator run: CREATE SCHEMA ${schema} AUTHORIZATION <the user in store.url>; or set store.schema to a schema the user owns`,
        };
  } else if (pending.length > 0) {
    state = {
      name: "store schema", status: "warn", detail: `schema ${schema} has ${pending.length} pending migration(s): ${pending.join(", ")}`,
      fix: "they are applied on the next start of any pincer command that opens the store",
    };
  } else {
    state = { name: "store schema", status: "ok", detail: `schema ${schema} is migrated` };
  }
  return [version, state];
}

async function checkModels(config: PincerConfig, stateDir: string, env: Record<string, string | undefined>): Promise<Check[]> {
  const refs = new Set<string>(Object.values(config.agents).map((a) => a.model));
  for (const tier of Object.keys(config.models.tiers)) refs.add(tier);
  if (!config.models.tiers.default && [...refs].includes("default")) {
    refs.delete("default");
    return [{ name: "model", status: "fail", detail: "no model configured (models.tiers.default is not set)", fix: "run 'pincer onboard'" }, ...(await credentialChecks(config, stateDir, env, refs))];
  }
  return credentialChecks(config, stateDir, env, refs);
}

async function credentialChecks(config: PincerConfig, stateDir: string, env: Record<string, string | undefined>, refs: Set<string>): Promise<Check[]> {
  const out: Check[] = [];
  const seen = new Set<string>();
  let authStore;
  try {
    authStore = await loadAuthStore(stateDir);
  } catch (err) {
    const fix = err instanceof ConfigError && err.fix ? err.fix : "repair or remove auth.json, then 'pincer auth set <provider>'";
    const detail = err instanceof ConfigError ? `${err.file ? `${err.file}: ` : ""}${err.problem}` : err instanceof Error ? err.message : String(err);
    return [{ name: "credentials", status: "fail", detail, fix }];
  }
  for (const ref of refs) {
    let candidates;
    try {
      candidates = resolveCandidates(config.models, ref);
    } catch (err) {
      out.push({ name: "model", status: "fail", detail: err instanceof Error ? err.message : String(err) });
      continue;
    }
    for (const c of candidates) {
      const key = `${c.providerId}:${c.authMode}`;
      if (seen.has(key)) continue;
      seen.add(key);
      try {
        const cred = resolveCredential({ ...c, env, authStore, where: c.origin });
        const detail = cred.type === "none" ? "no credential needed" : `${cred.type === "oauth" ? "OAuth token" : `${cred.keys.length} API key(s)`} from ${cred.source.replace("_", " ")}`;
        out.push({ name: "credential", status: "ok", detail: `${c.providerId} (${c.origin}): ${detail}` });
      } catch (err) {
        out.push({ name: "credential", status: "fail", detail: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return out;
}

async function checkSandbox(config: PincerConfig): Promise<Check> {
  const mode = config.policy.exec.sandbox;
  if (config.policy.exec.level === "deny") return { name: "sandbox", status: "ok", detail: "exec is disabled (policy.exec.level: deny)" };
  if (mode === "host") return { name: "sandbox", status: "warn", detail: "exec runs on the host (policy.exec.sandbox: host), limited only by the exec policy", fix: "install bubblewrap and set policy.exec.sandbox: auto" };
  const found = await detectBubblewrap();
  if (found.available) return { name: "sandbox", status: "ok", detail: `bubblewrap at ${found.path}` };
  return mode === "bubblewrap"
    ? { name: "sandbox", status: "fail", detail: `bubblewrap required but unusable: ${found.reason}` }
    : { name: "sandbox", status: "warn", detail: `bubblewrap unusable, exec falls back to the host: ${found.reason}`, fix: "install bubblewrap (apt install bubblewrap)" };
}

/** Who sandboxed commands run as (never root), their limits, and safe_bins that run arbitrary code. */
async function checkExecConfinement(loaded: LoadedConfig, env: Record<string, string | undefined>): Promise<Check[]> {
  const exec = loaded.config.policy.exec;
  if (exec.level === "deny") return [];
  const workspaces = Object.entries(loaded.config.agents).map(([id, agent]) => resolveWorkspace(loaded.stateDir, id, agent.workspace, env));
  const checks: Check[] = await checkConfinement({ exec, workspaces, gatewayUid: process.getuid?.() });
  const runners = exec.level === "allowlist" ? listProgramRunners(exec.safe_bins) : [];
  if (runners.length > 0) {
    checks.push({
      name: "safe_bins",
      status: "warn",
      detail: `policy.exec.safe_bins lists ${runners.join(", ")}: they run other programs or arbitrary code inside the sandbox, so policy.exec.blocked_bins does not stop them (Pincer refuses only their known escape options); the sandbox is the boundary`,
      fix: "remove them from policy.exec.safe_bins unless the agent needs them",
    });
  }
  return checks;
}
