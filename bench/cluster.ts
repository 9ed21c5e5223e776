// `npm run bench` (part 3): the cluster runtime (control gateway + workers on NATS JetStream and PostgreSQL)
// against the embedded runtime, started as users start them (bin/pincer.js). Turns/s, p50/p99 and the CPU of the
// Pincer processes per turn with 1 and 2 workers and on one embedded gateway, load from this process over keep-alive
// connections to the canned fake model in its own process; redelivery time after a worker is killed mid-run (with
// the scripted fake in this process, which can hold a reply).
import { randomBytes } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import { delimiter, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openHttpClient, type HttpClient } from "./bench-client.ts";
import { makeHome, openBenchHome, PONG, startModelProcess } from "./bench-home.ts";
import { cpuSeconds, median, percentile, progress, round, writeResult } from "./bench-stats.ts";

const BIN = fileURLToPath(new URL("../bin/pincer.js", import.meta.url));
const TOKEN = `pgw_bench_${randomBytes(16).toString("hex")}`; // a fresh strong token per run
const NATS_URL = process.env.PINCER_TEST_NATS_URL ?? "nats://127.0.0.1:4222";
const PG_URL = process.env.PINCER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const TURNS = Number(process.env.BENCH_CLUSTER_TURNS ?? 400);
const CONCURRENCY = 16;
const ACK_WAIT_MS = 2_000;

const { fake, home: scriptedHome, close: closeHome } = await openBenchHome("cluster");
const model = await startModelProcess();
const cannedHome = await makeHome("cluster", model.baseURL);
const say = (text: string): void => progress("cluster", text);

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});
const instances: string[] = [];

interface SpawnOptions {
  env: Record<string, string>;
  ready: RegExp;
  /** PINCER_HOME; default: the one whose model is the canned fake process. */
  home?: string;
}

function spawnPincer(args: string[], opts: SpawnOptions): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const { env, ready } = opts;
  const home = opts.home ?? cannedHome;
  const child = spawn(BIN, args, {
    env: { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: home, PINCER_HOME: home, PINCER_GATEWAY_TOKEN: TOKEN, PINCER_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = ready.exec(err);
      if (m) resolve({ child, match: m });
    });
    child.on("exit", () => reject(new Error(`pincer ${args[0]} exited: ${err}`)));
  });
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.on("exit", r));
  child.kill(signal);
  await exited;
}

async function turn(url: string, user: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "pincer", user, messages: [{ role: "user", content: "hi" }] }),
  });
  if (res.status !== 200) throw new Error(`turn failed: ${res.status} ${await res.text()}`);
  await res.json();
  return performance.now() - t0;
}

interface LoadResult {
  turnsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of every Pincer process (gateway and workers) per turn, ms. */
  pincerCpuMsPerTurn: number;
}

/** TURNS turns from CONCURRENCY clients, each on its own session; `pids` are the Pincer processes to charge. */
async function load(url: string, tag: string, pids: number[]): Promise<LoadResult> {
  const http: HttpClient = openHttpClient(url, TOKEN);
  for (let i = 0; i < 20; i++) await http.v1(`${tag}-warm${i}`, false);
  const cpu = (): number => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const times: number[] = [];
  let next = 0;
  const cpu0 = cpu();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TURNS) {
        const start = performance.now();
        await http.v1(`${tag}-${next++}`, false);
        times.push(performance.now() - start);
      }
    }),
  );
  const ms = performance.now() - t0;
  const cpuMs = (cpu() - cpu0) * 1000;
  http.close();
  say(`${tag}: ${TURNS} turns, ${round((TURNS / ms) * 1000)} turns/s`);
  return { turnsPerSec: round((TURNS / ms) * 1000), p50Ms: round(median(times)), p99Ms: round(percentile(times, 99)), pincerCpuMsPerTurn: round(cpuMs / TURNS) };
}

function clusterEnv(): Record<string, string> {
  const instance = `bench${randomBytes(3).toString("hex")}`;
  instances.push(instance);
  return { PINCER_BUS_URL: NATS_URL, PINCER_STORE_URL: PG_URL, PINCER_INSTANCE: instance, PINCER__BUS__ACK_WAIT_MS: String(ACK_WAIT_MS) };
}

async function cluster(workers: number): Promise<LoadResult> {
  const env = clusterEnv();
  const gw = await spawnPincer(["gateway", "--port", "0", "--role", "control"], { env, ready: /listening on (http:\/\/\S+) / });
  const ws = await Promise.all(Array.from({ length: workers }, () => spawnPincer(["worker", "--concurrency", "16"], { env, ready: /pincer worker \S+ running/ })));
  try {
    return await load(gw.match[1]!, `w${workers}`, [gw.child.pid!, ...ws.map((w) => w.child.pid!)]);
  } finally {
    await stop(gw.child);
    for (const w of ws) await stop(w.child);
  }
}

/** A worker is killed while it runs a turn; how long until another worker has answered it. */
async function redelivery(): Promise<{ samples: number; p50Ms: number; ackWaitMs: number }> {
  const env = clusterEnv();
  const gw = await spawnPincer(["gateway", "--port", "0", "--role", "control"], { env, ready: /listening on (http:\/\/\S+) /, home: scriptedHome });
  const url = gw.match[1]!;
  const samples: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const doomed = await spawnPincer(["worker"], { env, ready: /pincer worker \S+ running/, home: scriptedHome });
      fake.setFallback(() => ({ text: "slow", delayMs: 60_000 }));
      const seen = fake.requests.length;
      const answered = turn(url, `redeliver${i}`);
      while (fake.requests.length === seen) await new Promise((r) => setTimeout(r, 5));
      const survivor = await spawnPincer(["worker"], { env, ready: /pincer worker \S+ running/, home: scriptedHome });
      fake.setFallback(() => PONG);
      const t0 = performance.now();
      await stop(doomed.child, "SIGKILL");
      await answered;
      samples.push(performance.now() - t0);
      await stop(survivor.child);
    }
  } finally {
    await stop(gw.child);
  }
  return { samples: samples.length, p50Ms: round(median(samples)), ackWaitMs: ACK_WAIT_MS };
}

const embeddedGw = await spawnPincer(["gateway", "--port", "0"], { env: {}, ready: /listening on (http:\/\/\S+) / });
const embedded = await load(embeddedGw.match[1]!, "embedded", [embeddedGw.child.pid!]);
await stop(embeddedGw.child);
const oneWorker = await cluster(1);
const twoWorkers = await cluster(2);
say("redelivery after a killed worker ×3");
const redeliver = await redelivery();

const db = new pg.Client({ connectionString: PG_URL });
await db.connect();
for (const id of instances) await db.query(`DROP SCHEMA IF EXISTS "pincer_${id}" CASCADE`);
await db.end();
const { connect } = await import("@nats-io/transport-node");
const { jetstreamManager } = await import("@nats-io/jetstream");
const nc = await connect({ servers: NATS_URL });
const jsm = await jetstreamManager(nc);
for (const id of instances) for (const name of [`PINCER_${id}`, `PINCER_${id}_DLQ`]) await jsm.streams.delete(name).catch(() => undefined);
await nc.close();
await closeHome();
await model.close();
await rm(cannedHome, { recursive: true, force: true });

const result = {
  benchmark: "cluster",
  at: new Date().toISOString(),
  node: process.version,
  turns: TURNS,
  concurrency: CONCURRENCY,
  embedded,
  cluster1Worker: oneWorker,
  cluster2Workers: twoWorkers,
  ratio2To1Workers: round(twoWorkers.turnsPerSec / oneWorker.turnsPerSec),
  ratioCluster1ToEmbedded: round(oneWorker.turnsPerSec / embedded.turnsPerSec),
  redeliveryAfterKill: redeliver,
};
await writeResult("cluster", result);
