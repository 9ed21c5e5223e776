// `npm run bench`: agent-turn benchmark on the embedded runtime against the loopback fake provider.
// Measures per-turn latency and Pincer's overhead over a bare AI SDK call, throughput, prompt size, CLI cold start, RSS.
import { spawnSync } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonSchema, streamText, tool } from "ai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { encode } from "gpt-tokenizer";
import pino from "pino";
import { createApp } from "../src/app.ts";
import { startFakeOpenAI } from "../test/fakes/index.ts";
import { median, percentile, round, writeResult } from "./bench-stats.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SEQUENTIAL_TURNS = Number(process.env.BENCH_TURNS ?? 400);
const CONCURRENT_SESSIONS = 64;
const TURNS_PER_SESSION = 8;
const CLI_RUNS = 10;

const fake = await startFakeOpenAI({ apiKeys: ["bench-key"] });
fake.setFallback(() => ({ text: "pong", usage: { input: 50, output: 2 } }));
const home = await mkdtemp(join(tmpdir(), "pincer-bench-"));
await mkdir(home, { recursive: true });
await writeFile(
  join(home, "pincer.yaml"),
  `models:\n  providers:\n    fake: { type: openai-compatible, base_url: "${fake.baseURL}", api_key: bench-key }\n  tiers:\n    default: { primary: fake/gpt-4o-mini }\n`,
);
const app = await createApp({ env: { PINCER_HOME: home }, logger: pino({ level: "silent" }) });

async function turn(sessionKey: string, text: string): Promise<number> {
  const t0 = performance.now();
  const submitted = await app.dispatcher.send({ agentId: "default", sessionKey, channel: "bench", text });
  const outcome = await submitted.result;
  if (outcome.status !== "succeeded") throw new Error(`bench turn failed: ${outcome.error}`);
  return performance.now() - t0;
}

// One-word turn: what the model is sent (system prompt + tool schemas).
fake.requests.length = 0;
await turn("agent:default:bench:dm:prompt", "hi");
const body = fake.requests[0]!.body as { messages: Array<{ role: string; content: string }>; tools?: unknown[] };
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
const sequential: number[] = [];
for (let i = 0; i < SEQUENTIAL_TURNS; i++) sequential.push(await turn(`agent:default:bench:dm:seq${i}`, "hi"));

// Baseline: the same model call made directly with the AI SDK (same system prompt and tools), no Pincer around it.
const provider = createOpenAICompatible({ name: "fake", baseURL: fake.baseURL, apiKey: "bench-key", includeUsage: true });
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
await fake.close();
await rm(home, { recursive: true, force: true });

// CLI cold start: `pincer --help` in a fresh process.
const cli: number[] = [];
for (let i = 0; i < CLI_RUNS; i++) {
  const s = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, "src/cli/main.ts"), "--help"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`pincer --help failed: ${r.stderr}`);
  cli.push(performance.now() - s);
}

const turnP50 = median(sequential);
const bareP50 = median(bare);
const result = {
  benchmark: "turn",
  at: new Date().toISOString(),
  node: process.version,
  sequential: { turns: SEQUENTIAL_TURNS, p50Ms: round(turnP50), p99Ms: round(percentile(sequential, 99)) },
  bareSdkCall: { calls: SEQUENTIAL_TURNS, p50Ms: round(bareP50), p99Ms: round(percentile(bare, 99)) },
  overhead: { p50Ms: round(turnP50 - bareP50), targetMs: 2, ratioTurnToBare: round(turnP50 / bareP50) },
  concurrent: { sessions: CONCURRENT_SESSIONS, turns: concurrentTurns, totalMs: round(concurrentMs), turnsPerSec: round((concurrentTurns / concurrentMs) * 1000) },
  prompt: { ...prompt, totalTokens: promptTokens, targetTokens: 2000 },
  cliHelp: { runs: CLI_RUNS, p50Ms: round(median(cli)), targetMs: 300 },
  rssMb: { afterWarmup: round(rssAfterWarmup / 1048576), afterConcurrent: round(rssAfterConcurrent / 1048576), heapUsedAfterGc: round(heapAfterGc / 1048576), peak: round(process.resourceUsage().maxRSS / 1024) },
};
await writeResult("turn", result);
