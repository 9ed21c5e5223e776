// `npm run bench` (agents): what the agents tool group costs every turn (its tool schemas, in tokens) and what a
// sub-agent adds to a turn: a plain turn vs a turn whose model calls spawn_agent and waits for the child's answer,
// in process through createApp → dispatcher → agent → the loopback fake model (no model latency).
import { rm } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { encode } from "gpt-tokenizer";
import pino from "pino";
import { createApp } from "../src/app.ts";
import { agentTools } from "../src/tools/builtin/agent-tools.ts";
import { startFakeOpenAI, type RecordedRequest, type ScriptedReply } from "../test/fakes/index.ts";
import { makeHome } from "./bench-home.ts";
import { percentile, progress, round, writeResult } from "./bench-stats.ts";

const TURNS = 30;

/** The parent calls spawn_agent once, the child answers, the parent answers with the tool result. */
function script(req: RecordedRequest): ScriptedReply {
  const messages = (req.body as { messages: Array<{ role: string; content: unknown }> }).messages;
  const last = messages.at(-1)!;
  if (last.role === "tool") return { text: "done", usage: { input: 80, output: 2 } };
  if (last.content === "delegate") return { toolCalls: [{ name: "spawn_agent", args: { task: "child task" } }], usage: { input: 60, output: 8 } };
  return { text: "pong", usage: { input: 50, output: 2 } };
}

const fake = await startFakeOpenAI({ apiKeys: ["bench-key"], fallback: script });
const home = await makeHome("agents", fake.baseURL);
const app = await createApp({ env: { PINCER_HOME: home }, logger: pino({ level: "silent" }) });

async function timeTurns(text: string): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < TURNS; i++) {
    const started = performance.now();
    const sent = await app.dispatcher.send({ agentId: "default", sessionKey: `agent:default:bench:dm:${text}-${i}`, channel: "bench", text });
    const outcome = await sent.result;
    if (outcome.status !== "succeeded") throw new Error(`bench turn failed: ${outcome.error}`);
    ms.push(performance.now() - started);
    fake.requests.splice(0);
  }
  return ms;
}

await timeTurns("warm-up");
const plain = await timeTurns("plain");
const spawned = await timeTurns("delegate");
await app.close();
await fake.close();
await rm(home, { recursive: true, force: true });

const schemas = JSON.stringify(agentTools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })));
const result = {
  at: new Date().toISOString(),
  toolSchemas: { chars: schemas.length, tokens: encode(schemas).length },
  plainTurn: { p50Ms: round(percentile(plain, 50)), p99Ms: round(percentile(plain, 99)) },
  spawnTurn: { p50Ms: round(percentile(spawned, 50)), p99Ms: round(percentile(spawned, 99)) },
};
progress("agents", `agents tool schemas ${result.toolSchemas.tokens} tokens; plain turn p50 ${result.plainTurn.p50Ms} ms, turn with a sub-agent p50 ${result.spawnTurn.p50Ms} ms`);
await writeResult("agents", result);
