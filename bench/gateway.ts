// `npm run bench` (part 2): the gateway as a separate process against the loopback fake provider.
// Start-to-ready time, idle RSS, /v1/chat/completions latency and throughput at 1 and 32 clients, RSS after load.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { streamText } from "ai";
import { openBenchHome } from "./bench-home.ts";
import { median, percentile, round, writeResult } from "./bench-stats.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TOKEN = `pgw_bench_${randomBytes(16).toString("hex")}`; // a fresh strong token per run
const STARTS = 5;
const SERIAL_TURNS = Number(process.env.BENCH_GATEWAY_TURNS ?? 300);
const CONCURRENCY = 32;
const CONCURRENT_TURNS = Number(process.env.BENCH_GATEWAY_CONCURRENT_TURNS ?? 2000);

const { fake, home, close: closeHome } = await openBenchHome("gw");

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL"); // never leave a gateway behind if the bench fails
});

async function startGateway(): Promise<{ child: ChildProcess; url: string; readyMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, "src/cli/main.ts"), "gateway", "--port", "0"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, PINCER_HOME: home, PINCER_GATEWAY_TOKEN: TOKEN, PINCER_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let err = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+) /.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on("exit", () => reject(new Error(`gateway exited: ${err}`)));
  });
  for (;;) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.ok) break;
  }
  return { child, url, readyMs: performance.now() - t0 };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGTERM");
  await exited;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
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

const readyTimes: number[] = [];
for (let i = 0; i < STARTS; i++) {
  const { child, readyMs } = await startGateway();
  readyTimes.push(readyMs);
  await stop(child);
}

const gw = await startGateway();
await new Promise((r) => setTimeout(r, 1_000));
const idleRss = await rssMb(gw.child.pid!);
for (let i = 0; i < 50; i++) await turn(gw.url, `warm${i}`);

const serial: number[] = [];
for (let i = 0; i < SERIAL_TURNS; i++) serial.push(await turn(gw.url, `serial${i}`));

// The same model call straight from this process with the AI SDK: what a turn costs without the gateway.
const provider = createOpenAICompatible({ name: "fake", baseURL: fake.baseURL, apiKey: "bench-key", includeUsage: true });
const bare: number[] = [];
for (let i = 0; i < SERIAL_TURNS; i++) {
  const t0 = performance.now();
  const result = streamText({ model: provider("gpt-4o-mini"), messages: [{ role: "user", content: "hi" }], maxRetries: 0 });
  await result.consumeStream();
  bare.push(performance.now() - t0);
}

const concurrent: number[] = [];
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < CONCURRENT_TURNS) concurrent.push(await turn(gw.url, `c${next++}`));
  }),
);
const concurrentMs = performance.now() - t0;
const loadedRss = await rssMb(gw.child.pid!);
await stop(gw.child);
await closeHome();

const result = {
  benchmark: "gateway",
  at: new Date().toISOString(),
  node: process.version,
  startToReady: { starts: STARTS, p50Ms: round(median(readyTimes)), targetMs: 300 },
  idleRssMb: { value: round(idleRss), target: 80 },
  concurrency1: {
    turns: SERIAL_TURNS,
    p50Ms: round(median(serial)),
    p99Ms: round(percentile(serial, 99)),
    turnsPerSec: round(1000 / (serial.reduce((a, b) => a + b, 0) / serial.length)),
    bareSdkP50Ms: round(median(bare)),
    overheadP50Ms: round(median(serial) - median(bare)),
    targetOverheadMs: 5,
  },
  concurrency32: {
    turns: CONCURRENT_TURNS,
    p50Ms: round(median(concurrent)),
    p99Ms: round(percentile(concurrent, 99)),
    turnsPerSec: round((CONCURRENT_TURNS / concurrentMs) * 1000),
    targetTurnsPerSec: 1000,
  },
  rssAfterLoadMb: round(loadedRss),
};
await writeResult("gateway", result);
