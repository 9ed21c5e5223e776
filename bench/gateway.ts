// `npm run bench` (part 2): `pincer gateway` as users start it (bin/pincer.js, which runs dist/ when built), driven
// by a keep-alive load generator (this process) against the canned fake model (a process of its own). Start to
// /readyz, with and without Telegram and Slack accounts; idle RSS; gateway CPU per turn and turns per gateway-core
// second over /v1/chat/completions (plain and streamed) and /ws, at 1 and N clients, with the bench's and the fake's CPU.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { get } from "node:http";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSlackFake } from "../test/fakes/slack-api.ts";
import { startTelegramFake } from "../test/fakes/telegram-api.ts";
import { openHttpClient, openWsClient, runPhase, type PhaseResult } from "./bench-client.ts";
import { makeHome, startModelProcess } from "./bench-home.ts";
import { cpuSeconds, progress, rssMb, summarize, writeResult } from "./bench-stats.ts";

const BIN = fileURLToPath(new URL("../bin/pincer.js", import.meta.url));
const DIST = fileURLToPath(new URL("../dist", import.meta.url));
const TOKEN = `pgw_bench_${randomBytes(16).toString("hex")}`; // a fresh strong token per run
const STARTS = Number(process.env.BENCH_STARTS ?? 7);
const IDLE_MS = 10_000; // idle RSS is read this long after ready
const SEQUENTIAL_TURNS = Number(process.env.BENCH_GATEWAY_TURNS ?? 300);
const CONCURRENT_TURNS = Number(process.env.BENCH_GATEWAY_CONCURRENT_TURNS ?? 1000);
const say = (text: string): void => progress("gateway", text);

const model = await startModelProcess();
// Node's compile cache (bin/pincer.js) lives in the user's cache dir, not the state dir: one per bench run, so the
// first start fills it as a user's first start does, and the measured starts find it as every later start does.
const compileCacheHome = await mkdtemp(join(tmpdir(), "pincer-bench-cache-"));
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL"); // never leave a gateway behind if the bench fails
});

interface Gateway {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Spawn → first 200 from /readyz, ms. */
  readyMs: number;
  /** CPU the process had used when /readyz first answered 200, ms: start-up cost, less sensitive to a busy machine. */
  readyCpuMs: number;
  /** Resolves with ms since spawn once every pattern has appeared on stderr. */
  logged(patterns: RegExp[]): Promise<number>;
}

async function startGateway(home: string): Promise<Gateway> {
  const t0 = performance.now();
  const child = spawn(BIN, ["gateway", "--port", "0"], {
    // Node 24 first on PATH: bin/pincer.js starts `node` by name, as the installed command does.
    env: {
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: home,
      XDG_CACHE_HOME: compileCacheHome,
      PINCER_HOME: home,
      PINCER_GATEWAY_TOKEN: TOKEN,
      // Other Node flags for the gateway (bin/pincer.js), to compare them: PINCER_NODE_OPTIONS="… --max-opt=2" npm run bench.
      ...(process.env.PINCER_NODE_OPTIONS !== undefined ? { PINCER_NODE_OPTIONS: process.env.PINCER_NODE_OPTIONS } : {}),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let err = "";
  const watchers: { patterns: RegExp[]; resolve: (ms: number) => void }[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+) /.exec(err);
      if (m) resolve(m[1]!);
      for (const w of watchers) if (w.patterns.every((p) => p.test(err))) w.resolve(performance.now() - t0);
    });
    child.on("exit", () => reject(new Error(`gateway exited: ${err}`)));
  });
  while ((await statusOf(`${url}/readyz`)) !== 200) await new Promise((r) => setTimeout(r, 2));
  const readyMs = performance.now() - t0;
  return {
    child,
    pid: child.pid!,
    url,
    readyMs,
    readyCpuMs: cpuSeconds(child.pid!) * 1000,
    logged: (patterns) =>
      new Promise((resolve) => {
        if (patterns.every((p) => p.test(err))) resolve(performance.now() - t0);
        else watchers.push({ patterns, resolve });
      }),
  };
}

function statusOf(url: string): Promise<number> {
  return new Promise((resolve) => {
    get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on("error", () => resolve(0));
  });
}

async function stop(gw: Gateway): Promise<void> {
  const exited = new Promise((r) => gw.child.on("exit", r));
  gw.child.kill("SIGTERM");
  await exited;
}

/** STARTS starts, each on a fresh state dir; the last gateway is kept running and returned. */
async function measureStarts(label: string, extraYaml: () => string, connected: RegExp[] = []): Promise<{ readyMs: number[]; readyCpuMs: number[]; connectedMs: number[]; last: Gateway; home: string }> {
  const readyMs: number[] = [];
  const readyCpuMs: number[] = [];
  const connectedMs: number[] = [];
  for (let i = 0; ; i++) {
    const home = await makeHome("gw", model.baseURL, extraYaml());
    const gw = await startGateway(home);
    readyMs.push(gw.readyMs);
    readyCpuMs.push(gw.readyCpuMs);
    if (connected.length > 0) connectedMs.push(await gw.logged(connected));
    say(`${label}: start ${i + 1}/${STARTS}: ready in ${Math.round(gw.readyMs)} ms`);
    if (i === STARTS - 1) return { readyMs, readyCpuMs, connectedMs, last: gw, home };
    await stop(gw);
    await rm(home, { recursive: true, force: true });
  }
}

// The first start after installing: an empty compile cache. Reported on its own, not part of the medians.
const firstHome = await makeHome("gw", model.baseURL);
const first = await startGateway(firstHome);
say(`first start (empty compile cache): ready in ${Math.round(first.readyMs)} ms`);
await stop(first);
await rm(firstHome, { recursive: true, force: true });

// Start-up on a fresh state dir whose pincer.yaml sets only the model, a high rate limit and log level warn.
const plain = await measureStarts("defaults", () => "");
say(`idle ${IDLE_MS / 1000} s`);
await new Promise((r) => setTimeout(r, IDLE_MS));
const idleRss = rssMb(plain.last.pid);
await stop(plain.last);
await rm(plain.home, { recursive: true, force: true });

// The same with a Telegram and a Slack (Socket Mode) account configured against their fakes.
const telegram = await startTelegramFake();
const slack = await startSlackFake();
const channelsYaml = (): string =>
  [
    "channels:",
    "  telegram:",
    "    accounts:",
    "      default:",
    `        token: "${telegram.token}"`,
    `        api_root: ${telegram.apiRoot}`,
    "  slack:",
    "    accounts:",
    "      default:",
    `        bot_token: "${slack.botToken}"`,
    `        app_token: "${slack.appToken}"`,
    `        api_root: ${slack.apiRoot}`,
    "",
  ].join("\n");
const withChannels = await measureStarts("telegram+slack", channelsYaml, [/channel telegram\/default: connected/, /channel slack\/default: connected/]);
await stop(withChannels.last);
await rm(withChannels.home, { recursive: true, force: true });
await telegram.close();
await slack.close();

// Load: one gateway, warmed up, then each phase with CPU read from /proc before and after.
const home = await makeHome("gw", model.baseURL);
const gw = await startGateway(home);
const http = openHttpClient(gw.url, TOKEN);
const wsClients = Array.from({ length: 32 }, (_, c) => openWsClient(gw.url, TOKEN, `bench${c}`));
// Warm-up, so the first phase does not pay for the JIT compiling the turn's code paths.
for (let i = 0; i < 200; i++) await http.v1(`warm${i}`, i % 2 === 0);
for (let i = 0; i < 60; i++) await wsClients[0]!.turn(`agent:default:webchat:dm:warm${i}`);

async function phase(name: string, clients: number, turns: number, turn: (client: number, i: number) => Promise<void>): Promise<PhaseResult> {
  const result = await runPhase({ clients, turns, gatewayPid: gw.pid, fakeModelPid: model.pid, turn });
  say(`${name}: ${turns} turns from ${clients} client(s): p50 ${result.p50Ms} ms, gateway ${result.gatewayCpuMsPerTurn} ms CPU/turn, ${result.turnsPerGatewayCoreSec} turns per gateway-core-second`);
  return result;
}
const v1 = (stream: boolean, tag: string) => (_client: number, i: number) => http.v1(`${tag}${i}`, stream);
const ws = (tag: string) => (client: number, i: number) => wsClients[client]!.turn(`agent:default:webchat:dm:${tag}${i}`);

const phases = {
  v1: {
    sequential: await phase("v1", 1, SEQUENTIAL_TURNS, v1(false, "s")),
    clients16: await phase("v1", 16, CONCURRENT_TURNS, v1(false, "c16-")),
    clients32: await phase("v1", 32, CONCURRENT_TURNS, v1(false, "c32-")),
  },
  v1Streamed: {
    sequential: await phase("v1 streamed", 1, SEQUENTIAL_TURNS, v1(true, "ss")),
    clients32: await phase("v1 streamed", 32, CONCURRENT_TURNS, v1(true, "sc32-")),
  },
  ws: {
    sequential: await phase("ws", 1, SEQUENTIAL_TURNS, ws("s")),
    clients16: await phase("ws", 16, CONCURRENT_TURNS, ws("c16-")),
    clients32: await phase("ws", 32, CONCURRENT_TURNS, ws("c32-")),
  },
};
const loadedRss = rssMb(gw.pid);
http.close();
for (const c of wsClients) c.close();
await stop(gw);
await rm(home, { recursive: true, force: true });
await model.close();
await rm(compileCacheHome, { recursive: true, force: true });

const result = {
  benchmark: "gateway",
  at: new Date().toISOString(),
  node: process.version,
  startedWith: existsSync(DIST) ? "bin/pincer.js with dist/ built" : "bin/pincer.js, no dist/ built (runs src/)",
  usedDist: existsSync(DIST),
  startToReady: summarize(plain.readyMs),
  firstStartEmptyCompileCache: { readyMs: Math.round(first.readyMs), cpuUntilReadyMs: Math.round(first.readyCpuMs) },
  cpuUntilReady: summarize(plain.readyCpuMs),
  startToReadyWithChannels: {
    ...summarize(withChannels.readyMs),
    channels: ["telegram", "slack"],
    cpuUntilReady: summarize(withChannels.readyCpuMs),
    untilBothConnected: summarize(withChannels.connectedMs),
  },
  idleRssMb: { value: idleRss, afterMs: IDLE_MS },
  ...phases,
  rssAfterLoadMb: loadedRss,
  note: "CPU from /proc/<pid>/stat (user + system); the load generator is this process, the fake model a separate one",
};
await writeResult("gateway", result);
