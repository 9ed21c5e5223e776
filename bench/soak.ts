// `npm run bench` (part 4): memory over time. A real `pincer gateway`, started as users start it (bin/pincer.js, so
// with Pincer's Node flags), takes 5,000 turns (half streamed) over 200 sessions from 16 clients against the loopback
// fake provider, with Pincer's flags and with Node's defaults. RSS is sampled while the turns run; at idle (10 s after
// start), halfway and at the end (each 10 s after the last turn, as idle is 10 s after start) RSS, then RSS and heap
// used after a forced GC; the end RSS relative to the idle RSS. Load comes from this process over keep-alive
// connections, the model is the canned fake in a process of its own. The GC is forced through an inspector on loopback
// that only this bench opens (NODE_OPTIONS): the gateway itself has no GC route.
import { randomBytes } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { openHttpClient } from "./bench-client.ts";
import { makeHome, startModelProcess } from "./bench-home.ts";
import { cpuSeconds, percentile, progress, round, rssMb, writeResult } from "./bench-stats.ts";

const BIN = fileURLToPath(new URL("../bin/pincer.js", import.meta.url));
const TOKEN = randomBytes(24).toString("base64url"); // 32 characters
const TURNS = Number(process.env.BENCH_SOAK_TURNS ?? 5_000);
const SESSIONS = Number(process.env.BENCH_SOAK_SESSIONS ?? 200);
const CONCURRENCY = 16;
const TARGET_GROWTH = 0.15; // end within 15 % of middle
const IDLE_MS = 10_000; // the idle point is measured this long after the gateway listens
const SETTLE_MS = IDLE_MS; // the halfway and end points: this long after the last turn, as idle is after start
const SAMPLE_MS = 500; // RSS sampling while the turns run
/** Set to a folder to also write a heap snapshot at each measuring point (for comparing object counts). */
const SNAPSHOT_DIR = process.env.BENCH_SOAK_SNAPSHOTS;

const model = await startModelProcess();
const home = await makeHome("soak", model.baseURL);

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL"); // never leave a gateway behind if the bench fails
});

interface Gateway {
  child: ChildProcess;
  url: string;
  inspector: Inspector;
}

/** `nodeOptions`: PINCER_NODE_OPTIONS for the gateway; undefined runs it with Pincer's defaults. */
async function startGateway(nodeOptions: string | undefined): Promise<Gateway> {
  const child = spawn(BIN, ["gateway", "--port", "0"], {
    env: {
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: home,
      PINCER_HOME: home,
      PINCER_GATEWAY_TOKEN: TOKEN,
      PINCER_LOG_LEVEL: "warn",
      NODE_OPTIONS: "--inspect=127.0.0.1:0",
      ...(nodeOptions === undefined ? {} : { PINCER_NODE_OPTIONS: nodeOptions }),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let err = "";
  const { url, inspectorUrl } = await new Promise<{ url: string; inspectorUrl: string }>((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const url = /listening on (http:\/\/\S+) /.exec(err)?.[1];
      const inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(err)?.[1];
      if (url && inspectorUrl) resolve({ url, inspectorUrl });
    });
    child.on("exit", () => reject(new Error(`gateway exited: ${err}`)));
  });
  return { child, url, inspector: await openInspector(inspectorUrl) };
}

async function stop(gw: Gateway): Promise<void> {
  gw.inspector.close();
  const exited = new Promise((r) => gw.child.on("exit", r));
  gw.child.kill("SIGTERM");
  await exited;
}

interface Inspector {
  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Receives HeapProfiler.addHeapSnapshotChunk texts while set. */
  onChunk: ((chunk: string) => void) | undefined;
  close(): void;
}

/** A Chrome DevTools Protocol session with the gateway's inspector. */
async function openInspector(url: string): Promise<Inspector> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const inspector: Inspector = {
    onChunk: undefined,
    call(method, params = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close: () => ws.close(),
  };
  ws.on("message", (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: { chunk: string } };
    if (msg.method === "HeapProfiler.addHeapSnapshotChunk") inspector.onChunk?.(msg.params!.chunk);
    if (msg.id === undefined) return;
    const waiter = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) waiter?.reject(new Error(msg.error.message));
    else waiter?.resolve(msg.result ?? {});
  });
  return inspector;
}

interface MemoryPoint {
  turns: number;
  /** As the OS sees it, before the forced GC (halfway and at the end: SETTLE_MS after the last turn). */
  rssMb: number;
  rssAfterGcMb: number;
  heapUsedAfterGcMb: number;
  /** CPU time the gateway has used since it started (user + system). */
  cpuMs: number;
}

/** The gateway's RSS, then RSS and heap used after two full GCs. */
async function measure(gw: Gateway, turns: number, label: string): Promise<MemoryPoint> {
  const before = await memoryUsage(gw);
  await gw.inspector.call("HeapProfiler.collectGarbage");
  await gw.inspector.call("HeapProfiler.collectGarbage");
  const after = await memoryUsage(gw);
  if (SNAPSHOT_DIR) await writeSnapshot(gw, join(SNAPSHOT_DIR, `${label}.heapsnapshot`));
  const mb = (bytes: number): number => round(bytes / 1048576);
  const point = { turns, rssMb: mb(before.memory.rss), rssAfterGcMb: mb(after.memory.rss), heapUsedAfterGcMb: mb(after.memory.heapUsed), cpuMs: round((before.cpu.user + before.cpu.system) / 1000) };
  progress("soak", `${label}: ${JSON.stringify(point)}`);
  return point;
}

async function memoryUsage(gw: Gateway): Promise<{ memory: NodeJS.MemoryUsage; cpu: NodeJS.CpuUsage }> {
  const expression = "JSON.stringify({ memory: process.memoryUsage(), cpu: process.cpuUsage() })";
  const evaluated = await gw.inspector.call("Runtime.evaluate", { expression, returnByValue: true });
  return JSON.parse((evaluated["result"] as { value: string }).value) as { memory: NodeJS.MemoryUsage; cpu: NodeJS.CpuUsage };
}

async function writeSnapshot(gw: Gateway, file: string): Promise<void> {
  const out = createWriteStream(file);
  gw.inspector.onChunk = (chunk) => out.write(chunk);
  await gw.inspector.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  gw.inspector.onChunk = undefined;
  await new Promise((resolve) => out.end(resolve));
}

/** RSS while turns run (sampled every SAMPLE_MS) and right after the last one. */
interface LoadMemory {
  p50RssMb: number;
  maxRssMb: number;
  atLastTurnRssMb: number;
}

/** Turns `from`..`to` - 1, CONCURRENCY at a time, turn i on session i mod SESSIONS; every other one streamed. */
async function load(gw: Gateway, from: number, to: number): Promise<LoadMemory> {
  const http = openHttpClient(gw.url, TOKEN);
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssMb(gw.child.pid!)), SAMPLE_MS);
  let next = from;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < to) {
        const i = next++;
        await http.v1(`soak-${i % SESSIONS}`, i % 2 === 1);
        if ((i + 1) % 500 === 0) progress("soak", `${i + 1}/${TURNS} turns`);
      }
    }),
  );
  clearInterval(sampler);
  const atLastTurnRssMb = rssMb(gw.child.pid!);
  http.close();
  samples.push(atLastTurnRssMb);
  return { p50RssMb: percentile(samples, 50), maxRssMb: Math.max(...samples), atLastTurnRssMb };
}

async function soak(name: string, nodeOptions: string | undefined): Promise<Record<string, unknown>> {
  progress("soak", `gateway with ${name}; idle ${IDLE_MS / 1000} s`);
  const gw = await startGateway(nodeOptions);
  const execArgv = (await gw.inspector.call("Runtime.evaluate", { expression: "JSON.stringify(process.execArgv)", returnByValue: true }))["result"] as { value: string };
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idle = await measure(gw, 0, `${name}-idle`);
  // Gateway CPU during the load only: the forced GCs at the measuring points are the bench's doing.
  let cpuSec = 0;
  let loadSec = 0;
  const loadCounted = async (from: number, to: number): Promise<LoadMemory> => {
    const cpu0 = cpuSeconds(gw.child.pid!);
    const l0 = performance.now();
    const memory = await load(gw, from, to);
    loadSec += (performance.now() - l0) / 1000;
    cpuSec += cpuSeconds(gw.child.pid!) - cpu0;
    progress("soak", `${name} during load: ${JSON.stringify(memory)}`);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return memory;
  };
  const firstHalf = await loadCounted(0, Math.floor(TURNS / 2));
  const middle = await measure(gw, Math.floor(TURNS / 2), `${name}-middle`);
  const secondHalf = await loadCounted(Math.floor(TURNS / 2), TURNS);
  const end = await measure(gw, TURNS, `${name}-end`);
  await stop(gw);
  const within = (a: number, b: number): boolean => a <= b * (1 + TARGET_GROWTH);
  return {
    nodeFlags: JSON.parse(execArgv.value) as string[],
    idle,
    firstHalf,
    middle,
    secondHalf,
    end,
    endWithin15PctOfMiddle: {
      rss: within(end.rssMb, middle.rssMb),
      rssAfterGc: within(end.rssAfterGcMb, middle.rssAfterGcMb),
      heapUsedAfterGc: within(end.heapUsedAfterGcMb, middle.heapUsedAfterGcMb),
    },
    endRssToIdle: round(end.rssMb / idle.rssMb),
    atLastTurnRssToIdle: round(secondHalf.atLastTurnRssMb / idle.rssMb),
    duringLoadRssToIdle: round(secondHalf.p50RssMb / idle.rssMb),
    turnsPerSec: round(TURNS / loadSec),
    gatewayCpuMsPerTurn: round((cpuSec * 1000) / TURNS),
  };
}

// BENCH_SOAK_NODE_OPTIONS measures other flags instead (e.g. "--max-semi-space-size=4 --max-old-space-size=256").
const custom = process.env.BENCH_SOAK_NODE_OPTIONS;
const variants = custom === undefined ? { pincerFlags: await soak("pincer-flags", undefined), nodeDefaults: await soak("node-defaults", "") } : { custom: await soak("custom", custom) };
await model.close();
await rm(home, { recursive: true, force: true });

const result = {
  benchmark: "soak",
  at: new Date().toISOString(),
  node: process.version,
  turns: TURNS,
  sessions: SESSIONS,
  concurrency: CONCURRENCY,
  idleAfterMs: IDLE_MS,
  settleAfterMs: SETTLE_MS,
  note: "idle/middle/end: rssMb as found (middle and end settleAfterMs after the last turn of their half), then RSS and heap used after two forced full GCs; firstHalf/secondHalf: RSS sampled while the turns ran (p50, max) and right after the last one; endRssToIdle compares end.rssMb, atLastTurnRssToIdle and duringLoadRssToIdle the second half's figures, with idle.rssMb; nodeFlags are the gateway's own (the bench adds --inspect through NODE_OPTIONS)",
  ...variants,
};
await writeResult("soak", result);
