// `npm run bench` (mcp): what the reference everything server's tools cost on every turn once compacted — real tokens
// (gpt-tokenizer, o200k) and Pincer's estimate of the specs the model is sent, raw (as the server lists them) and
// compacted (mcp-tool-names.ts), with the default description cap; and how long the first listing takes (start + list).
import { encode } from "gpt-tokenizer";
import { estimateTextTokens } from "../src/agent/context-window.ts";
import { createMcpRuntime } from "../src/mcp/mcp-runtime.ts";
import { everythingStdio, mcpConfig, testEnv } from "../src/mcp/mcp-test-kit.ts";
import { progress, writeResult } from "./bench-stats.ts";

const config = mcpConfig({ everything: everythingStdio() });
const runtime = createMcpRuntime({ config: () => config, env: testEnv });
const started = performance.now();
const tools = await runtime.toolsForTurn();
const firstListMs = Math.round(performance.now() - started);
const raw = await runtime.manager.listTools("everything");
await runtime.close();

const compacted = JSON.stringify(tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })));
const original = JSON.stringify(raw.map((t) => ({ name: t.name, description: t.description, parameters: t.inputSchema })));
const result = {
  at: new Date().toISOString(),
  tools: tools.length,
  firstListMs,
  rawTokens: encode(original).length,
  compactTokens: encode(compacted).length,
  compactEstimate: estimateTextTokens(compacted),
  compactTokensPerTool: Math.round(encode(compacted).length / tools.length),
};
progress("mcp", `${tools.length} tools: ${result.rawTokens} → ${result.compactTokens} tokens`);
await writeResult("mcp", result);
