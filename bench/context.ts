// `npm run bench` (context): a 200-turn conversation through the real turn path (createApp → dispatcher → agent →
// the fake model, which records each request) with a 16,000-token window, so compaction runs several times.
// Records the real tokens (gpt-tokenizer, o200k) each turn sends, what the whole history would have been without
// compaction, how many compactions ran, and the error of Pincer's estimate against the real count.
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { encode } from "gpt-tokenizer";
import pino from "pino";
import { createApp } from "../src/app.ts";
import { estimatePromptTokens, estimateTextTokens } from "../src/agent/context-window.ts";
import { startFakeOpenAI, type RecordedRequest } from "../test/fakes/index.ts";
import { makeHome } from "./bench-home.ts";
import { median, percentile, progress, round, writeResult } from "./bench-stats.ts";

const TURNS = 200;
const DOCS = fileURLToPath(new URL("../docs", import.meta.url));
const WINDOW = 16_000;
const SESSION = "agent:default:bench:dm:context";
const WORDS = ["budget", "travel", "garden", "invoice", "recipe", "meeting", "python", "backup", "museum", "concert", "tomatoes", "deadline"];

/** An answer of about 150 words, different every turn. */
const answerText = (n: number): string =>
  Array.from({ length: 150 }, (_, i) => WORDS[(n * 7 + i * 3) % WORDS.length]).join(" ").replace(/^./, (c) => c.toUpperCase()) + ".";

type Wire = { messages: Array<{ role: string; content: unknown }>; tools?: unknown[] };
const isSummary = (r: RecordedRequest): boolean => JSON.stringify((r.body as Wire).messages[0]?.content ?? "").includes("You summarise a conversation");
const isFlush = (r: RecordedRequest): boolean => JSON.stringify((r.body as Wire).messages.at(-1)?.content ?? "").includes("[Context maintenance");
const realTokens = (r: RecordedRequest): number => {
  const body = r.body as Wire;
  return encode(body.messages.map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content))).join("\n")).length
    + encode(JSON.stringify(body.tools ?? [])).length;
};
/** Pincer's estimate of the same request, from the wire messages (system, text, tool definitions). */
const estimated = (r: RecordedRequest): number => {
  const body = r.body as Wire;
  const [system, ...rest] = body.messages;
  return estimatePromptTokens({
    system: String(system?.content ?? ""),
    messages: rest.map((m) => ({ role: "user", content: typeof m.content === "string" ? m.content : JSON.stringify(m.content) })),
    tools: (body.tools ?? []) as object[],
  });
};

const fake = await startFakeOpenAI({ apiKeys: ["bench-key"] });
let n = 0;
fake.setFallback((req) => {
  if (isSummary(req)) return { text: `Summary: the user asked about ${WORDS.join(", ")}; the assistant answered each in detail.`, usage: { input: 1_000, output: 40 } };
  if (isFlush(req)) return { text: "NO_REPLY", usage: { input: 1_000, output: 2 } };
  return { text: answerText(++n), usage: { input: 1_000, output: 200 } };
});
const home = await makeHome("context", fake.baseURL);
await writeFile(join(home, "pincer.yaml"), [
  "models:",
  `  providers: { fake: { type: openai-compatible, base_url: "${fake.baseURL}", api_key: bench-key } }`,
  "  tiers: { default: { primary: fake/gpt-4o-mini } }",
  `  context_windows: { fake/gpt-4o-mini: ${WINDOW} }`,
  "log: { level: warn }",
].join("\n"));
const app = await createApp({ env: { PINCER_HOME: home }, logger: pino({ level: "silent" }) });
const perTurn: number[] = [];
const errors: number[] = [];
let compactions = 0;
let overhead = 0;
let fullHistory = 0;
for (let turn = 1; turn <= TURNS; turn++) {
  const before = fake.requests.length;
  const text = `Turn ${turn}: tell me more about the ${WORDS[turn % WORDS.length]} plan, and what we decided about it last time.`;
  const sent = await app.dispatcher.send({ agentId: "default", sessionKey: SESSION, channel: "bench", text });
  const outcome = await sent.result;
  if (outcome.status !== "succeeded") throw new Error(`bench turn ${turn} failed: ${outcome.error}`);
  const requests = fake.requests.splice(before);
  const answer = requests.at(-1)!;
  if (requests.some(isSummary)) compactions++;
  for (const r of requests.slice(0, -1)) overhead += realTokens(r);
  const real = realTokens(answer);
  perTurn.push(real);
  errors.push((estimated(answer) - real) / real);
  fullHistory += encode(text).length + encode(answerText(turn)).length;
  if (turn % 50 === 0) progress("context", `turn ${turn}: ${real} tokens sent, ${compactions} compaction(s)`);
}
await app.close();
await fake.close();
await rm(home, { recursive: true, force: true });

// The estimate against real tokens on ordinary text: the repository's Markdown docs (English prose, tables, code).
const docErrors: number[] = [];
for (const name of (await readdir(DOCS)).filter((f) => f.endsWith(".md"))) {
  const text = await readFile(join(DOCS, name), "utf8");
  const real = encode(text, { disallowedSpecial: new Set() }).length;
  if (real > 200) docErrors.push((estimateTextTokens(text) - real) / real);
}

const result = {
  at: new Date().toISOString(),
  turns: TURNS,
  window: WINDOW,
  tokensPerTurn: { median: median(perTurn), p95: percentile(perTurn, 95), max: Math.max(...perTurn), last: perTurn.at(-1) },
  /** Real tokens of the history alone at the last turn had nothing been compacted. */
  uncompactedHistoryAtLastTurn: fullHistory,
  compactions,
  /** Real tokens of the memory-flush and summary requests, per turn on average. */
  compactionTokensPerTurn: round(overhead / TURNS),
  /** (estimate − real) / real for the answer requests: negative = under-estimate. */
  estimateError: { median: round(median(errors)), min: round(Math.min(...errors)), max: round(Math.max(...errors)) },
  /** The same on each of docs/*.md. */
  estimateErrorDocs: { files: docErrors.length, median: round(median(docErrors)), min: round(Math.min(...docErrors)), max: round(Math.max(...docErrors)) },
};
await writeResult("context", result);
