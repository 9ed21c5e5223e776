// `npm run bench` (memory): the memory index on SQLite — build time for 1k and 10k chunks of generated notes,
// memory_search latency p50/p99 full-text only and hybrid (1,536-dim vectors, brute-force cosine in JS, the query
// embedded in-process so no network is timed), how many chunks brute force scans in 50 ms, and the system prompt of
// a one-word owner turn with and without a 2 KB MEMORY.md (real turn path, fake model, gpt-tokenizer o200k).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "gpt-tokenizer";
import pino from "pino";
import { createApp } from "../src/app.ts";
import { configSchema } from "../src/core/config-schema.ts";
import { normalize, topByDot } from "../src/memory/hybrid-rank.ts";
import type { Embedder } from "../src/memory/embeddings.ts";
import { createMemoryIndex } from "../src/memory/memory-index.ts";
import { openSqliteStore } from "../src/store/index.ts";
import { startFakeOpenAI } from "../test/fakes/index.ts";
import { makeHome } from "./bench-home.ts";
import { percentile, progress, round, writeResult } from "./bench-stats.ts";

const DIMS = 1536;
const CHUNKS_PER_FILE = 10;
const QUERIES = 200;
const WORDS = ("meeting garden invoice flight dentist recipe server deploy budget report car service insurance birthday " +
  "school lesson kayak hotel migration database backup password printer holiday tax bank contract lawyer doctor " +
  "weather train ticket concert museum book library gym swim running bike helmet coffee tea lunch dinner").split(" ");

let seed = 42;
const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const pick = (): string => WORDS[Math.floor(random() * WORDS.length)]!;
const sentence = (n: number): string => Array.from({ length: n }, pick).join(" ");
const vector = (): Float32Array => Float32Array.from({ length: DIMS }, () => random() - 0.5);

/** A note of CHUNKS_PER_FILE sections, each a heading and a ~60-word paragraph (about 400 characters). */
function note(i: number): string {
  return Array.from({ length: CHUNKS_PER_FILE }, (_, s) => `## Note ${i}.${s}\n\n${sentence(60)}.\n`).join("\n");
}

async function measureCorpus(chunks: number): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), "pincer-bench-memory-"));
  const workspace = join(dir, "ws");
  await mkdir(join(workspace, "memory"), { recursive: true });
  for (let i = 0; i < chunks / CHUNKS_PER_FILE; i++) await writeFile(join(workspace, "memory", `note-${String(i).padStart(5, "0")}.md`), note(i));
  const store = await openSqliteStore({ path: join(dir, "pincer.db") });
  const config = configSchema.parse({ memory: { embeddings: { provider: "bench", model: "vec" } } });
  const embedder: Embedder = { id: "bench/vec", embed: async (texts) => texts.map(vector) };
  const roots = { workspace, extra: [] };
  const textIndex = createMemoryIndex({ repo: store.memory, agentId: "text", roots, config: () => ({ ...config.memory, embeddings: undefined }) });
  let started = performance.now();
  const built = await textIndex.sync();
  const buildMs = performance.now() - started;
  const indexed = (await textIndex.status()).chunks;
  textIndex.watching = true; // as under the gateway's watcher: searches skip the file check
  await textIndex.search("warm up", 5);

  const time = async (search: (q: string) => Promise<unknown>): Promise<{ p50Ms: number; p99Ms: number }> => {
    const ms: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const q = `${pick()} ${pick()}`;
      const t = performance.now();
      await search(q);
      ms.push(performance.now() - t);
    }
    return { p50Ms: round(percentile(ms, 50)), p99Ms: round(percentile(ms, 99)) };
  };
  const fullText = await time((q) => textIndex.search(q, 5));
  const withoutWatcher = { ...(await (async () => {
    textIndex.watching = false;
    const r = await time((q) => textIndex.search(q, 5));
    textIndex.watching = true;
    return r;
  })()) };

  const hybridIndex = createMemoryIndex({ repo: store.memory, agentId: "text", roots, config: () => config.memory, embedder });
  started = performance.now();
  const embedded = await hybridIndex.sync();
  const embedMs = performance.now() - started;
  hybridIndex.watching = true;
  await hybridIndex.search("warm up", 5); // loads the vectors once; later searches reuse them
  const hybrid = await time((q) => hybridIndex.search(q, 5));

  // The brute-force scan alone, as a search runs it: one dot product per unit vector, top 20 kept.
  const vectors = Array.from({ length: indexed }, () => normalize(vector()));
  const scans: number[] = [];
  for (let i = 0; i < 20; i++) {
    const q = normalize(vector());
    const t = performance.now();
    topByDot(q, vectors, 20);
    scans.push(performance.now() - t);
  }
  const scanMs = percentile(scans, 50);
  await store.close();
  await rm(dir, { recursive: true, force: true });
  progress("memory", `${indexed} chunks: build ${Math.round(buildMs)} ms, full-text p50 ${fullText.p50Ms} ms, hybrid p50 ${hybrid.p50Ms} ms`);
  return {
    chunks: indexed, files: built.files, buildMs: Math.round(buildMs), embedStoreMs: Math.round(embedMs), embedded: embedded.embedded,
    fullText, fullTextWithFileCheck: withoutWatcher, hybrid, cosineScanMs: round(scanMs), chunksScannedIn50Ms: Math.floor((50 / scanMs) * indexed),
  };
}

async function promptTokens(): Promise<Record<string, unknown>> {
  const fake = await startFakeOpenAI({ apiKeys: ["bench-key"] });
  fake.setFallback(() => ({ text: "pong", usage: { input: 50, output: 2 } }));
  const out: Record<string, unknown> = {};
  for (const withMemory of [false, true]) {
    const home = await makeHome(`memory-prompt-${withMemory}`, fake.baseURL);
    if (withMemory) {
      await mkdir(join(home, "workspace"), { recursive: true });
      const lines = ["# About the user", ""];
      while (lines.join("\n").length < 2_000) lines.push(`- ${sentence(8)}.`);
      await writeFile(join(home, "workspace", "MEMORY.md"), lines.join("\n").slice(0, 2_048));
    }
    const app = await createApp({ env: { PINCER_HOME: home }, logger: pino({ level: "silent" }) });
    const before = fake.requests.length;
    const sent = await app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:cli:dm:local", channel: "cli", text: "hi" });
    const outcome = await sent.result;
    if (outcome.status !== "succeeded") throw new Error(`bench turn failed: ${outcome.error}`);
    await app.close();
    await rm(home, { recursive: true, force: true });
    const body = fake.requests[before]!.body as { messages: Array<{ role: string; content: string }>; tools?: unknown[] };
    const system = body.messages.find((m) => m.role === "system")?.content ?? "";
    if (withMemory && !system.includes("## MEMORY.md")) throw new Error("bench: MEMORY.md did not reach the prompt of an owner turn");
    out[withMemory ? "memory2kb" : "noMemoryFile"] = { systemChars: system.length, systemTokens: encode(system).length, requestTokens: encode(JSON.stringify(body)).length };
  }
  await fake.close();
  progress("memory", `system prompt: ${JSON.stringify(out)}`);
  return out;
}

const result = { at: new Date().toISOString(), dims: DIMS, c1k: await measureCorpus(1_000), c10k: await measureCorpus(10_000), prompt: await promptTokens() };
await writeResult("memory", result);
