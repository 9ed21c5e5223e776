// `npm run bench` (part 3): the cluster runtime (control gateway + workers on NATS JetStream and PostgreSQL)
// against the embedded runtime, with the loopback fake provider. Turns/s and p50/p99 with 1 and 2 workers,
// redelivery time after a worker is killed mid-run, and the same workload on one embedded gateway.
import { randomBytes } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openBenchHome, PONG } from "./bench-home.ts";
import { median, percentile, round, writeResult } from "./bench-stats.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "src/cli/main.ts");
const TOKEN = `pgw_bench_${randomBytes(16).toString("hex")}`; // a fresh strong token per run
const NATS_URL = process.env.PINCER_TEST_NATS_URL ?? "nats://127.0.0.1:4222";
const PG_URL = process.env.PINCER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const TURNS = Number(process.env.BENCH_CLUSTER_TURNS ?? 400);
const CONCURRENCY = 16;
const ACK_WAIT_MS = 2_000;

const { fake, home, close: closeHome } = await openBenchHome("cluster");

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});
const instances: string[] = [];

function spawnPincer(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, PINCER_HOME: home, PINCER_GATEWAY_TOKEN: TOKEN, PINCER_LOG_LEVEL: "warn", ...env },
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

/** TURNS turns from CONCURRENCY clients, each on its own session. */
async function load(url: string, tag: string): Promise<{ turnsPerSec: number; p50Ms: number; p99Ms: number }> {
  for (let i = 0; i < 20; i++) await turn(url, `${tag}-warm${i}`);
  const times: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TURNS) times.push(await turn(url, `${tag}-${next++}`));
    }),
  );
  const ms = performance.now() - t0;
  return { turnsPerSec: round((TURNS / ms) * 1000), p50Ms: round(median(times)), p99Ms: round(percentile(times, 99)) };
}

function clusterEnv(): Record<string, string> {
  const instance = `bench${randomBytes(3).toString("hex")}`;
  instances.push(instance);
  return { PINCER_BUS_URL: NATS_URL, PINCER_STORE_URL: PG_URL, PINCER_INSTANCE: instance, PINCER__BUS__ACK_WAIT_MS: String(ACK_WAIT_MS) };
}

async function cluster(workers: number): Promise<ReturnType<typeof load>> {
  const env = clusterEnv();
  const gw = await spawnPincer(["gateway", "--port", "0", "--role", "control"], env, /listening on (http:\/\/\S+) /);
  const ws = await Promise.all(Array.from({ length: workers }, () => spawnPincer(["worker", "--concurrency", "16"], env, /pincer worker \S+ running/)));
  try {
    return await load(gw.match[1]!, `w${workers}`);
  } finally {
    await stop(gw.child);
    for (const w of ws) await stop(w.child);
  }
}

/** A worker is killed while it runs a turn; how long until another worker has answered it. */
async function redelivery(): Promise<{ samples: number; p50Ms: number; ackWaitMs: number }> {
  const env = clusterEnv();
  const gw = await spawnPincer(["gateway", "--port", "0", "--role", "control"], env, /listening on (http:\/\/\S+) /);
  const url = gw.match[1]!;
  const samples: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const doomed = await spawnPincer(["worker"], env, /pincer worker \S+ running/);
      fake.setFallback(() => ({ text: "slow", delayMs: 60_000 }));
      const seen = fake.requests.length;
      const answered = turn(url, `redeliver${i}`);
      while (fake.requests.length === seen) await new Promise((r) => setTimeout(r, 5));
      const survivor = await spawnPincer(["worker"], env, /pincer worker \S+ running/);
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

const embeddedGw = await spawnPincer(["gateway", "--port", "0"], {}, /listening on (http:\/\/\S+) /);
const embedded = await load(embeddedGw.match[1]!, "embedded");
await stop(embeddedGw.child);
const oneWorker = await cluster(1);
const twoWorkers = await cluster(2);
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
