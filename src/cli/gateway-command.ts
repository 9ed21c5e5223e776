// `pincer gateway`: the always-on server (HTTP API, OpenAI-compatible endpoint, WebSocket) and its token.
// SIGTERM/SIGINT stop intake and let running turns finish up to a deadline; SIGHUP or an edit of the config file reloads it.
import { resolveStateDir } from "../config/index.ts";
import { setLogLevel } from "../config/logger.ts";
import { createGatewayToken, loadGatewayToken, rotateGatewayToken, saveGatewayToken, TOKEN_ENV, watchGatewayToken } from "../gateway/gateway-token.ts";
import { isGatewayProcessAlive, readGatewayRuntime, removeGatewayRuntime, writeGatewayRuntime } from "../gateway/gateway-runtime.ts";
import { clearLoginCodes } from "../gateway/login-codes.ts";
import { openUiSessions, revokeUiSessions } from "../gateway/ui-sessions.ts";
import { startIdleCollector } from "../gateway/idle-collector.ts";
import { checkBindSafety, resolveListenAddress } from "../gateway/listen-address.ts";
import type { ChannelManager } from "../channels/channel-manager.ts";
import type { Run } from "../core/domain.ts";
import { CliFailure, EXIT_USAGE, printJson } from "./output.ts";
import { needsOnboarding, openApp, type GlobalOptions } from "./cli-app.ts";

export interface GatewayOptions {
  port?: string;
  shutdownDeadline: string;
  role: string;
  workers?: string;
}

const ROLES = ["all", "control"] as const;

const VERSION = "0.1.0";

export async function gatewayCommand(g: GlobalOptions, opts: GatewayOptions): Promise<void> {
  const portOverride = opts.port === undefined ? undefined : toPort(opts.port);
  const deadlineMs = toMs(opts.shutdownDeadline, "--shutdown-deadline");
  if (!(ROLES as readonly string[]).includes(opts.role)) throw new CliFailure(`--role: expected one of ${ROLES.join(", ")}, got ${JSON.stringify(opts.role)}`, EXIT_USAGE);
  const workerConcurrency = opts.workers === undefined ? undefined : toCount(opts.workers, "--workers");
  // First run at a terminal: set up a model before serving (as `pincer chat` does). Without a terminal the gateway
  // starts anyway; /readyz and every chat answer say what is missing.
  if (process.stdin.isTTY && (await needsOnboarding(g, "default"))) {
    await (await import("./onboard-command.ts")).onboardCommand(g, {});
  }
  // Channel accounts withheld from the config are reported as failed accounts, once channels start.
  const app = await openApp(g, { level: "info", logFile: true, warnWithheld: false });
  try {
    // The daemon logs at the configured level (log.level, default info; PINCER_LOG_LEVEL is already folded in).
    setLogLevel(app.log, app.config.log.level);
    const address = resolveListenAddress(app.config.gateway, { ...(portOverride === undefined ? {} : { portOverride }), file: app.configFile });
    const loaded = await loadGatewayToken(app.stateDir, process.env);
    checkBindSafety(address, loaded.source.kind !== "none", app.configFile);
    // First start: the new token is stored and shown only once the gateway listens, so a start that fails (port taken,
    // …) leaves no token behind that nobody ever saw; the next start creates and shows one.
    const fresh = loaded.verifier ? undefined : createGatewayToken();
    const recovered = await app.dispatcher.recoverInterrupted();
    if (recovered.resumed.length > 0) app.log.warn({ runs: recovered.resumed.length }, "runs in flight at the last stop are being resumed");
    if (recovered.interrupted.length > 0) app.log.warn({ runs: recovered.interrupted.length }, "runs interrupted too often were marked interrupted and their sessions told");
    const replayed = await app.dispatcher.replayJournal();
    if (replayed > 0) app.log.warn({ messages: replayed }, "messages received but not yet answered before the last stop were queued again");
    const { startGateway } = await import("../gateway/gateway-server.ts");
    // The token file is followed while running (a rotation applies at once; a first token is saved once listening);
    // UI sessions from `pincer dashboard` links are accepted wherever the token is, until they expire or it changes.
    const token = watchGatewayToken(app.stateDir, process.env);
    const sessions = openUiSessions({ stateDir: app.stateDir, epoch: () => token.epoch() });
    const tokens = { verify: (t: string) => token.verify(t) || sessions.verify(t) };
    const login = { stateDir: app.stateDir, sessions };
    const gateway = await startGateway({ ctx: app, address, tokens, serverVersion: VERSION, login }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EADDRINUSE" && err.code !== "EACCES") throw err;
      const why = err.code === "EADDRINUSE" ? "is already in use" : "needs privileges this user does not have";
      throw new CliFailure(`cannot listen on ${address.host}:${address.port}: the port ${why}. Fix: stop the other program, or pick another port with --port, PORT or gateway.port ('pincer doctor' shows who holds it)`, 78);
    });
    // Cluster runtime: every control process routes inbound messages; `--role all` also executes runs here.
    const router = await app.startRouter();
    const worker = app.runtime === "cluster" && opts.role === "all" ? await app.startWorker(workerConcurrency ? { concurrency: workerConcurrency } : {}) : undefined;
    if (app.runtime === "cluster") {
      process.stderr.write(`cluster runtime: instance "${app.config.instance}", role ${opts.role}${worker ? ` (worker ${worker.id})` : " (runs execute on 'pincer worker' processes)"}\n`);
    }
    if (fresh) {
      await saveGatewayToken(app.stateDir, fresh.token).catch(async (err: unknown) => {
        await gateway.close({ deadlineMs: 0 });
        throw err;
      });
    }
    const { watchConfig } = await import("../gateway/config-watch.ts");
    const watcher = watchConfig({ file: app.configFile, reload: () => app.reload(), log: app.log });
    const tokenSource = loaded.source.kind === "env" ? "env" : "file";
    await writeGatewayRuntime(app.stateDir, { url: gateway.url, startedAt: Date.now(), version: VERSION, tokenSource }).catch((err: unknown) =>
      app.log.warn({ err }, "gateway.json not written: 'pincer status' and 'pincer dashboard' will not find this gateway"));
    // Start-up, and every burst of turns, leave garbage and grown heap pages behind; a few quiet seconds later one
    // full collection hands them back to the operating system.
    const collector = startIdleCollector({
      busy: () => app.dispatcher.lanes.activeSessions().length > 0,
      onCollect: (report) => app.log.debug(report, "memory returned after a quiet spell"),
    });
    process.stderr.write(`pincer gateway listening on ${gateway.url} (OpenAI-compatible API at ${gateway.url}/v1, WebSocket at /ws)\n`);
    if (fresh) process.stderr.write(`created a gateway token (shown once; 'pincer gateway token --rotate' makes a new one):\n  ${fresh.token}\n`);
    if (app.config.gateway.webchat) {
      // The token rides in the URL fragment, which browsers never send to a server; the page stores it and drops it.
      const link = fresh ? `${gateway.url}/#token=${encodeURIComponent(fresh.token)}` : `${gateway.url}/ (log in with the link 'pincer dashboard' prints)`;
      process.stderr.write(`Control UI: ${link}\n`);
    }
    // Chat channels connect after the gateway serves (their SDKs load and log in meanwhile; /readyz lists them as
    // `starting`): then what arrived but was never handled before the last stop is answered, and chats whose runs
    // were interrupted are told. Their messages are journaled in the store, open since before listening.
    const channelsStarted = startChannels(app, recovered.interrupted);
    channelsStarted.catch(() => undefined); // handled below, once the signal handlers are set
    // Schedules (and heartbeats) start once the channels they deliver to are up; the scheduler module loads only now.
    channelsStarted.then(() => app.startAutomation()).catch((err: unknown) => {
      app.log.error({ err }, "the scheduler did not start; schedules will not fire until the gateway restarts");
    });
    // Memory files are indexed (only changed ones) and watched in the background; nothing loads without memory.
    app.startMemoryWatch().catch((err: unknown) => app.log.warn({ err: err instanceof Error ? err.message : String(err) }, "memory not indexed at start; searches index on demand"));
    try {
      await app.models.preflight(app.agentConfig("default").model);
    } catch (err) {
      process.stderr.write(`warning: chats will fail until a model is set up: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    let stopping = false;
    const stopped = new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`${signal}: stopping (running turns get ${deadlineMs} ms)\n`);
        watcher.close();
        collector.stop();
        void (async () => {
          await removeGatewayRuntime(app.stateDir).catch(() => undefined);
          // No new fires while running turns finish; another control process may take the schedules over.
          await app.stopAutomation();
          await gateway.close({ deadlineMs });
          await (await channelsStarted.catch(() => undefined))?.stop();
          await router?.stop();
          const left = await worker?.close({ deadlineMs });
          if (left?.unfinished) process.stderr.write(`${left.unfinished} run(s) still running are handed back to the bus for another worker\n`);
          resolve();
        })();
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    // Channels that cannot start at all (e.g. an adapter rejecting its config) stop the gateway, as before it listened.
    await Promise.race([
      stopped,
      channelsStarted.then(() => stopped, async (err: unknown) => {
        if (stopping) return stopped;
        stopping = true;
        watcher.close();
        await removeGatewayRuntime(app.stateDir).catch(() => undefined);
        collector.stop();
        await gateway.close({ deadlineMs });
        await app.channels?.stop();
        await router?.stop();
        await worker?.close({ deadlineMs });
        throw err;
      }),
    ]);
  } finally {
    await app.close();
    app.logFile?.close();
  }
}

/** Connects the configured channel accounts, then replays and queues what the last stop left; prints each account's state. */
async function startChannels(app: Awaited<ReturnType<typeof openApp>>, interrupted: Run[]): Promise<ChannelManager> {
  const channels = await app.startChannels();
  const replayedInbound = await channels.ingress.replay();
  if (replayedInbound > 0) app.log.warn({ messages: replayedInbound }, "channel messages received before the last stop are being handled now");
  await channels.queueReplies(interrupted);
  // Embedded: the in-process reply queue died with the last process; replies it still held are sent now.
  if (app.runtime === "embedded") {
    const resent = await channels.recoverReplies();
    if (resent > 0) app.log.warn({ replies: resent }, "replies not delivered before the last stop are being sent now");
  }
  for (const s of channels.status()) {
    process.stderr.write(`channel ${s.channel}/${s.account}: ${s.state}${s.identity ? ` as ${s.identity}` : ""}${s.detail ? ` (${s.detail})` : ""}\n`);
  }
  return channels;
}

export async function tokenCommand(_g: GlobalOptions, opts: { rotate?: boolean; json?: boolean }): Promise<void> {
  const stateDir = resolveStateDir(process.env);
  if (!opts.rotate) {
    const { source } = await loadGatewayToken(stateDir, process.env);
    const text =
      source.kind === "env" ? `the gateway token comes from ${TOKEN_ENV}`
      : source.kind === "file" ? `a gateway token is set (created ${new Date(source.createdAt).toISOString()}); only its hash is stored`
      : "no gateway token yet: 'pincer gateway token --rotate' creates one";
    if (opts.json) return printJson({ source: source.kind, ...(source.kind === "file" ? { createdAt: source.createdAt } : {}) });
    process.stdout.write(`${text}\n`);
    return;
  }
  const token = await rotateGatewayToken(stateDir);
  // Every browser login and pending login code goes with the old token (the gateway also checks the token generation).
  await Promise.all([revokeUiSessions(stateDir), clearLoginCodes(stateDir)]);
  const runtime = await readGatewayRuntime(stateDir);
  const running = runtime !== undefined && isGatewayProcessAlive(runtime) !== false ? runtime : undefined;
  const applies =
    running?.tokenSource === "env"
      ? `the running gateway (pid ${running.pid}) takes its token from ${TOKEN_ENV}, so it keeps that one until it starts without it`
      : running
        ? `the running gateway (pid ${running.pid}) uses it at once`
        : "a gateway started from now on uses it";
  if (opts.json) return printJson({ token, uiSessionsRevoked: true, gateway: running ? { pid: running.pid, tokenSource: running.tokenSource } : null });
  process.stdout.write(`${token}\n`);
  process.stderr.write(`new gateway token above (shown once); the previous one and every dashboard login no longer work; ${applies}\n`);
}

export function toPort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliFailure(`--port: expected a port number 0-65535, got ${JSON.stringify(text)}`, EXIT_USAGE);
  return n;
}

export function toCount(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new CliFailure(`${flag}: expected a whole number 1-1024, got ${JSON.stringify(text)}`, EXIT_USAGE);
  return n;
}

export function toMs(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new CliFailure(`${flag}: expected milliseconds, got ${JSON.stringify(text)}`, EXIT_USAGE);
  return n;
}
