// `pincer mcp list | tools <server> | call <server> <tool> '<json>'`: the configured MCP servers started from this
// process (not the gateway's clients), their tools as the model sees them, and audited direct calls.
import { z } from "zod";
import { estimateTextTokens } from "../agent/context-window.ts";
import type { App } from "../app.ts";
import { ownEntry } from "../core/own-entry.ts";
import type { McpServerStatus } from "../mcp/mcp-manager.ts";
import { redactArgs } from "../tools/redact-args.ts";
import { withApp, type GlobalOptions } from "./cli-app.ts";
import { CliFailure, EXIT_USAGE, printJson, renderTable } from "./output.ts";

interface JsonOption {
  json?: boolean;
}

function checkConfigured(app: App, server?: string): void {
  const names = Object.keys(app.config.mcp.servers);
  if (names.length === 0) throw new CliFailure(`no MCP servers configured; add one under mcp.servers in ${app.configFile} (see docs/mcp.md)`, EXIT_USAGE);
  if (server !== undefined && !ownEntry(app.config.mcp.servers, server)) {
    throw new CliFailure(`no MCP server "${server}" in mcp.servers (configured: ${names.join(", ")})`, EXIT_USAGE);
  }
}

const statusJson = (s: McpServerStatus) => ({ ...s, lastError: s.lastError ?? null, lastErrorAt: s.lastErrorAt ?? null, retryAt: s.retryAt ?? null, pid: s.pid ?? null, tools: s.tools ?? null });

export async function mcpListCommand(g: GlobalOptions, opts: JsonOption): Promise<void> {
  await withApp(g, async (app) => {
    checkConfigured(app);
    const mcp = await app.mcp();
    await mcp.manager.listAll({ waitMs: 30_000 });
    const servers = mcp.manager.status();
    if (opts.json) return printJson({ servers: servers.map(statusJson) });
    const rows = servers.map((s) => [s.name, s.transport, s.state, s.tools === undefined ? "-" : String(s.tools), s.trusted ? "yes" : "no", s.lastError ?? ""]);
    process.stdout.write(`${renderTable(["SERVER", "TRANSPORT", "STATE", "TOOLS", "TRUSTED", "LAST ERROR"], rows)}\n`);
    if (servers.some((s) => s.state === "failed")) process.exitCode = 1;
  });
}

export async function mcpToolsCommand(g: GlobalOptions, server: string, opts: JsonOption): Promise<void> {
  await withApp(g, async (app) => {
    checkConfigured(app, server);
    const mcp = await app.mcp();
    await mcp.manager.listTools(server).catch((err: unknown) => {
      throw new CliFailure(err instanceof Error ? err.message : String(err));
    });
    const prefix = `mcp__${server}__`;
    const tools = (await mcp.toolsForTurn()).filter((t) => t.name.startsWith(prefix));
    const rows = tools.map((t) => ({ name: t.name, description: t.description, tokens: estimateTextTokens(JSON.stringify({ name: t.name, description: t.description, parameters: t.parameters })), safe: mcp.isSafeTool(t.name) }));
    const total = rows.reduce((n, r) => n + r.tokens, 0);
    if (opts.json) return printJson({ server, tools: tools.map((t, i) => ({ ...rows[i]!, parameters: t.parameters })), tokens: total });
    process.stdout.write(`${renderTable(["TOOL", "TOKENS", "SAFE", "DESCRIPTION"], rows.map((r) => [r.name, String(r.tokens), r.safe ? "yes" : "no", r.description.slice(0, 60)]))}\n`);
    process.stdout.write(`${rows.length} tool(s), about ${total} tokens of schema on every turn\n`);
  });
}

const argsSchema = z.record(z.string(), z.unknown());

export async function mcpCallCommand(g: GlobalOptions, server: string, tool: string, json: string, opts: JsonOption): Promise<void> {
  let args: Record<string, unknown>;
  try {
    args = argsSchema.parse(JSON.parse(json));
  } catch {
    throw new CliFailure(`the arguments must be a JSON object, e.g. '{"message":"hi"}' (got ${JSON.stringify(json.slice(0, 80))})`, EXIT_USAGE);
  }
  await withApp(g, async (app) => {
    checkConfigured(app, server);
    const mcp = await app.mcp();
    const started = Date.now();
    const { renderResult } = await import("../mcp/mcp-tools.ts");
    let outcome: { text: string; isError: boolean; raw?: unknown };
    try {
      const raw = await mcp.manager.call(server, tool, args);
      const rendered = await renderResult(raw, { workspace: undefined, maxChars: app.config.mcp.max_result_chars });
      outcome = { text: rendered.text, isError: rendered.isError ?? false, raw };
    } catch (err) {
      outcome = { text: err instanceof Error ? err.message : String(err), isError: true };
    }
    await app.store.audit.write({
      at: started, kind: "tool.call", decision: "allow", runId: undefined, sessionKey: undefined, tool: `mcp__${server}__${tool}`,
      reason: "direct call by the operator (pincer mcp call)",
      detail: { actor: "operator:cli", server, mcpTool: tool, args: redactArgs(args), isError: outcome.isError, durationMs: Date.now() - started },
    });
    if (opts.json) printJson(outcome.raw ?? { error: outcome.text });
    else process.stdout.write(`${outcome.text}\n`);
    if (outcome.isError) {
      if (!opts.json) process.stderr.write(`the call failed (server "${server}", tool "${tool}")\n`);
      process.exitCode = 1;
    }
  });
}
