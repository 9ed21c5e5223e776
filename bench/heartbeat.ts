// `npm run bench` (heartbeat): what a heartbeat costs. (a) The prompt of a heartbeat turn with the default tools and a
// one-item HEARTBEAT.md (real tokens, counted like bench/context.ts: message texts + tool definitions, o200k), beside
// a one-word chat turn's; (b) model calls over 24 simulated idle hours (`every: 30m`, a HEARTBEAT.md with headings,
// comments and done tasks only), ticking the runner directly on a fake clock and counting the fake model's requests.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { encode } from "gpt-tokenizer";
import type { ModelMessage } from "ai";
import pino from "pino";
import { createApp } from "../src/app.ts";
import { estimatePromptTokens } from "../src/agent/context-window.ts";
import { createHeartbeatRunner } from "../src/automation/heartbeat.ts";
import { startFakeOpenAI, type RecordedRequest } from "../test/fakes/index.ts";
import { makeHome } from "./bench-home.ts";
import { percentile, progress, round, writeResult } from "./bench-stats.ts";

const IDLE_HOURS = 24;
const START = Date.parse("2026-06-01T00:00:00Z");

interface WireBody {
  messages: Array<{ role: string; content: string }>;
  tools?: Array<{ function: { name: string } }>;
}

/** Real tokens of a request (message texts joined, plus the tool definitions as sent), and its parts. */
function measure(req: RecordedRequest) {
  const body = req.body as WireBody;
  const text = (role: string) => body.messages.filter((m) => m.role === role).map((m) => m.content).join("\n");
  const toolsJson = JSON.stringify(body.tools ?? []);
  const totalTokens = encode(body.messages.map((m) => m.content).join("\n")).length + encode(toolsJson).length;
  return {
    totalTokens,
    systemTokens: encode(text("system")).length,
    inputTokens: encode(text("user")).length,
    toolSchemaTokens: encode(toolsJson).length,
    tools: (body.tools ?? []).map((t) => t.function.name),
    pincerEstimate: estimatePromptTokens({
      system: text("system"),
      messages: body.messages.filter((m) => m.role !== "system") as ModelMessage[],
      tools: (body.tools ?? []).map((t) => t.function),
    }),
  };
}

const fake = await startFakeOpenAI({ apiKeys: ["bench-key"] });
fake.setFallback(() => ({ text: "HEARTBEAT_OK", usage: { input: 50, output: 2 } }));
const home = await makeHome("heartbeat", fake.baseURL, "heartbeat: { every: 30m, tz: UTC }\n");
const app = await createApp({ env: { PINCER_HOME: home }, logger: pino({ level: "silent" }) });
let clock = START;
const runner = createHeartbeatRunner({ store: app.store, dispatcher: app.dispatcher, config: () => app.config, workspaceFor: app.workspaceFor, now: () => clock, log: app.log })!;
const heartbeatFile = join(app.workspaceFor("default"), "HEARTBEAT.md");
const finished = new Set<string>();
app.dispatcher.subscribe((e) => {
  if (e.type === "run_finished") finished.add(e.runId);
});
async function untilFinished(runId: string): Promise<void> {
  while (!finished.has(runId)) await new Promise((r) => setTimeout(r, 5));
}

// (a) One heartbeat turn with one open item, and a one-word chat turn for comparison.
await writeFile(heartbeatFile, "# Heartbeat\n\n- [ ] Tell me if the build on main is red.\n- [x] Renew the domain\n");
clock = runner.nextTickAfter(clock)!;
const tick = await runner.tick(clock);
if (tick.status !== "started" || !tick.runId) throw new Error(`the heartbeat did not run: ${JSON.stringify(tick)}`);
await untilFinished(tick.runId);
const heartbeatPrompt = measure(fake.requests.at(-1)!);
const chat = await app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:bench:dm:chat", channel: "bench", text: "hi" });
await chat.result;
const chatPrompt = measure(fake.requests.at(-1)!);

// (b) 24 idle hours: HEARTBEAT.md with nothing open.
await writeFile(heartbeatFile, "# Heartbeat\n\n<!-- One thing to check per line, e.g.\n- [ ] Is the build on main red?\n-->\n\n## Done\n- [x] Renew the domain\n");
fake.requests.splice(0);
const runsBefore = (await app.store.runs.list({})).length;
const tickMs: number[] = [];
let ticks = 0;
let skipped = 0;
// Every tick in the 24 hours after the one above: (start, start + 24 h].
const idleEnd = clock + IDLE_HOURS * 3_600_000;
for (clock = runner.nextTickAfter(clock)!; clock <= idleEnd; clock = runner.nextTickAfter(clock)!) {
  const t0 = performance.now();
  const result = await runner.tick(clock);
  tickMs.push(performance.now() - t0);
  ticks++;
  if (result.status === "skipped") skipped++;
}
const modelCalls = fake.requests.length;
const runsCreated = (await app.store.runs.list({})).length - runsBefore;

await app.close();
await fake.close();
await rm(home, { recursive: true, force: true });

const result = {
  at: new Date().toISOString(),
  prompt: heartbeatPrompt,
  chatTurnPrompt: { totalTokens: chatPrompt.totalTokens, systemTokens: chatPrompt.systemTokens, toolSchemaTokens: chatPrompt.toolSchemaTokens, tools: chatPrompt.tools },
  idle24h: { hours: IDLE_HOURS, every: "30m", ticks, skipped, modelCalls, runsCreated, tickP50Ms: round(percentile(tickMs, 50)), tickP99Ms: round(percentile(tickMs, 99)) },
};
progress("heartbeat", `heartbeat prompt ${heartbeatPrompt.totalTokens} tokens (tools ${heartbeatPrompt.toolSchemaTokens}) vs chat turn ${chatPrompt.totalTokens}; ${ticks} idle ticks → ${modelCalls} model calls`);
await writeResult("heartbeat", result);
