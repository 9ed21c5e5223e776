// The client entry the official MCP conformance suite runs (`conformance client --command "node src/mcp/conformance-
// client.ts"`): Pincer's client manager pointed at the suite's server URL (its last argument), listing the tools and
// calling each once with arguments made from its schema, as a turn of the model would. Exit 0 when every call answered.
import { createMcpManager } from "./mcp-manager.ts";
import { mcpConfig } from "./mcp-test-kit.ts";

/** A value of the schema's type for each required property (numbers 1, strings "test", …). */
function sampleArgs(schema: Record<string, unknown>): Record<string, unknown> {
  const props = (schema["properties"] ?? {}) as Record<string, { type?: string; default?: unknown; enum?: unknown[] }>;
  const required = Array.isArray(schema["required"]) ? (schema["required"] as string[]) : [];
  const args: Record<string, unknown> = {};
  for (const name of required) {
    const p = props[name] ?? {};
    args[name] = p.default ?? p.enum?.[0] ?? (p.type === "number" || p.type === "integer" ? 1 : p.type === "boolean" ? true : p.type === "array" ? [] : p.type === "object" ? {} : "test");
  }
  return args;
}

const url = process.argv.at(-1);
if (!url || !/^https?:\/\//.test(url)) {
  process.stderr.write("usage: node src/mcp/conformance-client.ts <server-url>\n");
  process.exit(2);
}
const manager = createMcpManager({ config: () => mcpConfig({ suite: { url, timeout_ms: 15_000 } }), env: {} });
let failed = false;
try {
  const tools = await manager.listTools("suite");
  process.stdout.write(`scenario ${process.env["MCP_CONFORMANCE_SCENARIO"] ?? "?"}: ${tools.length} tool(s) via ${manager.status()[0]?.transport}\n`);
  for (const tool of tools) {
    try {
      const result = await manager.call("suite", tool.name, sampleArgs(tool.inputSchema));
      process.stdout.write(`${tool.name}: ${result.isError ? "error " : ""}${JSON.stringify(result.content).slice(0, 300)}\n`);
      if (result.isError) failed = true;
    } catch (err) {
      failed = true;
      process.stdout.write(`${tool.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
} catch (err) {
  failed = true;
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
} finally {
  await manager.close();
}
process.exit(failed ? 1 : 0);
