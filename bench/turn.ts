// `npm run bench` (part 1): agent turns on the embedded runtime in this process, against the canned fake model in a
// process of its own. Per-turn latency and CPU, Pincer's overhead over a bare AI SDK call, throughput, prompt size,
// RSS; and the command line's cold starts as users run it (bin/pincer.js): `pincer --help`, `pincer doctor`.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonSchema, streamText, tool } from "ai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { encode } from "gpt-tokenizer";
import pino from "pino";
import { createApp } from "../src/app.ts";
import { startFakeOpenAI } from "../test/fakes/index.ts";
import { makeHome, startModelProcess } from "./bench-home.ts";
import { median, ownCpuSeconds, percentile, progress, round, summarize, writeResult } from "./bench-stats.ts";

const BIN = fileURLToPath(new URL("../bin/pincer.js", import.meta.url));
const SEQUENTIAL_TURNS = Number(process.env.BENCH_TURNS ?? 400);
const CONCURRENT_SESSIONS = 64;
const TURNS_PER_SESSION = 8;
const CLI_RUNS = Number(process.env.BENCH_CLI_RUNS ?? 9);
const say = (text: string): void => progress("turn", text);

// One-word turn against the scripted fake, which records it: what the model is sent (system prompt + tool schemas).
const recorder = await startFakeOpenAI({ apiKeys: ["bench-key"] });
recorder.setFallback(() => ({ text: "pong", usage: { input: 50, output: 2 } }));
const recorderHome = await makeHome("turn-prompt", recorder.baseURL);
const probe = await createApp({ env: { PINCER_HOME: recorderHome }, logger: pino({ level: "silent" }) });
const probed = await probe.dispatcher.send({ agentId: "default", sessionKey: "agent:default:bench:dm:prompt", channel: "bench", text: "hi" });
await probed.result;
await probe.close();
await recorder.close();
await rm(recorderHome, { recursive: true, force: true });

const model = await startModelProcess();
const home = await makeHome("turn", model.baseURL);
const app = await createApp({ env: { PINCER_HOME: home }, logger: pino({ level: "silent" }) });

async function turn(sessionKey: string, text: string): Promise<number> {
  const t0 = performance.now();
  const submitted = await app.dispatcher.send({ agentId: "default", sessionKey, channel: "bench", text });
  const outcome = await submitted.result;
  if (outcome.status !== "succeeded") throw new Error(`bench turn failed: ${outcome.error}`);
  return performance.now() - t0;
}

const body = recorder.requests[0]!.body as { messages: Array<{ role: string; content: string }>; tools?: unknown[] };
const system = body.messages.find((m) => m.role === "system")?.content ?? "";
const toolsJson = JSON.stringify(body.tools ?? []);
const prompt = {
  systemBytes: Buffer.byteLength(system),
  toolSchemaBytes: Buffer.byteLength(toolsJson),
  systemTokens: encode(system).length,
  toolSchemaTokens: encode(toolsJson).length,
  tools: (body.tools ?? []).length,
};
const promptTokens = prompt.systemTokens + prompt.toolSchemaTokens;

// Warm up, then sequential one-word turns, each on a new session so every request matches the baseline's.
for (let i = 0; i < 30; i++) await turn(`agent:default:bench:dm:warm${i}`, "hi");
const rssAfterWarmup = process.memoryUsage().rss;
say(`${SEQUENTIAL_TURNS} sequential turns`);
const sequential: number[] = [];
const cpu0 = ownCpuSeconds();
for (let i = 0; i < SEQUENTIAL_TURNS; i++) sequential.push(await turn(`agent:default:bench:dm:seq${i}`, "hi"));
const cpuMsPerTurn = ((ownCpuSeconds() - cpu0) * 1000) / SEQUENTIAL_TURNS;

// Baseline: the same model call made directly with the AI SDK (same system prompt and tools), no Pincer around it.
say(`${SEQUENTIAL_TURNS} bare AI SDK calls`);
const provider = createOpenAICompatible({ name: "fake", baseURL: model.baseURL, apiKey: "bench-key", includeUsage: true });
const sentTools = (body.tools ?? []) as Array<{ function: { name: string; description: string; parameters: object } }>;
const bareTools = Object.fromEntries(sentTools.map((t) => [t.function.name, tool({ description: t.function.description, inputSchema: jsonSchema(t.function.parameters) })]));
const bare: number[] = [];
for (let i = 0; i < SEQUENTIAL_TURNS; i++) {
  const t0 = performance.now();
  const result = streamText({ model: provider("gpt-4o-mini"), system, messages: [{ role: "user", content: "hi" }], tools: bareTools, maxRetries: 0 });
  await result.consumeStream();
  await result.text;
  bare.push(performance.now() - t0);
}

// Concurrent throughput: many sessions at once.
say(`${CONCURRENT_SESSIONS * TURNS_PER_SESSION} turns on ${CONCURRENT_SESSIONS} sessions at once`);
const t0 = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENT_SESSIONS }, async (_, s) => {
    for (let i = 0; i < TURNS_PER_SESSION; i++) await turn(`agent:default:bench:dm:conc${s}`, "hi");
  }),
);
const concurrentMs = performance.now() - t0;
const concurrentTurns = CONCURRENT_SESSIONS * TURNS_PER_SESSION;
const rssAfterConcurrent = process.memoryUsage().rss;
// RSS under load is mostly V8's young generation grown by the allocation rate; live heap after a GC is the floor.
(globalThis as { gc?: () => void }).gc?.();
const heapAfterGc = process.memoryUsage().heapUsed;

await app.close();
await model.close();
await rm(home, { recursive: true, force: true });

/** Wall time of `pincer <args>` in a fresh process, started the way the installed command starts. */
function timeCli(args: string[], env: Record<string, string>): { ms: number; status: number | null; output: string } {
  const t0 = performance.now();
  const r = spawnSync(BIN, args, { encoding: "utf8", env: { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`, ...env } });
  return { ms: performance.now() - t0, status: r.status, output: `${r.stdout}${r.stderr}` };
}

say(`pincer --help ×${CLI_RUNS}, pincer doctor ×${CLI_RUNS}`);
const help: number[] = [];
const doctor: number[] = [];
const doctorExit = new Set<number | null>();
for (let i = 0; i < CLI_RUNS; i++) {
  const h = timeCli(["--help"], { HOME: tmpdir() });
  if (h.status !== 0) throw new Error(`pincer --help failed: ${h.output}`);
  help.push(h.ms);
  // Gateway down, fresh state dir: doctor reports the missing model as a failure (exit 1); that is expected here.
  const state = await mkdtemp(join(tmpdir(), "pincer-bench-doctor-"));
  const d = timeCli(["doctor"], { HOME: state, PINCER_HOME: state });
  if (!/\d+ ok/.test(d.output)) throw new Error(`pincer doctor did not finish: ${d.output}`);
  doctor.push(d.ms);
  doctorExit.add(d.status);
  await rm(state, { recursive: true, force: true });
}

const turnP50 = median(sequential);
const bareP50 = median(bare);
const result = {
  benchmark: "turn",
  at: new Date().toISOString(),
  node: process.version,
  sequential: { turns: SEQUENTIAL_TURNS, p50Ms: round(turnP50), p99Ms: round(percentile(sequential, 99)), cpuMsPerTurn: round(cpuMsPerTurn) },
  bareSdkCall: { calls: SEQUENTIAL_TURNS, p50Ms: round(bareP50), p99Ms: round(percentile(bare, 99)) },
  overhead: { p50Ms: round(turnP50 - bareP50), ratioTurnToBare: round(turnP50 / bareP50) },
  concurrent: { sessions: CONCURRENT_SESSIONS, turns: concurrentTurns, totalMs: round(concurrentMs), turnsPerSec: round((concurrentTurns / concurrentMs) * 1000) },
  prompt: { ...prompt, totalTokens: promptTokens },
  cliHelp: summarize(help),
  cliDoctor: { ...summarize(doctor), exitCodes: [...doctorExit], state: "fresh state dir, gateway down" },
  rssMb: { afterWarmup: round(rssAfterWarmup / 1048576), afterConcurrent: round(rssAfterConcurrent / 1048576), heapUsedAfterGc: round(heapAfterGc / 1048576), peak: round(process.resourceUsage().maxRSS / 1024) },
  note: "sequential.cpuMsPerTurn is this process's CPU (gateway code in-process, the fake model in its own process)",
};
await writeResult("turn", result);
