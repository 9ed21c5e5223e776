// Declares the `pincer mcp` command group (list, tools, call); each subcommand loads mcp-command.ts on use.
import type { Command } from "commander";
import type { GlobalOptions } from "./cli-app.ts";

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;

export function addMcpCommands(program: Command, globals: () => GlobalOptions): Command {
  const mcp = program
    .command("mcp")
    .description("MCP servers (mcp.servers): their state, the tools the model sees, a direct call for debugging")
    .addHelpText("after", examples("pincer mcp list", "pincer mcp tools github", "pincer mcp call everything echo '{\"message\":\"hi\"}'"));
  mcp
    .command("list")
    .description("each configured server started and listed: transport, state, tool count, last error")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer mcp list", "pincer mcp list --json"))
    .action(async (opts) => (await import("./mcp-command.ts")).mcpListCommand(globals(), opts));
  mcp
    .command("tools")
    .description("one server's tools as the model sees them (allowlist applied, mcp__<server>__<tool>), with a token estimate of their schemas")
    .argument("<server>", "a server name of mcp.servers")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer mcp tools everything", "pincer mcp tools github --json"))
    .action(async (server: string, opts) => (await import("./mcp-command.ts")).mcpToolsCommand(globals(), server, opts));
  mcp
    .command("call")
    .description("call one tool directly (no model, no policy; audited as the operator) and print its result")
    .argument("<server>", "a server name of mcp.servers")
    .argument("<tool>", "the tool's name as the server lists it (not the mcp__ name)")
    .argument("[json]", "the arguments as a JSON object", "{}")
    .option("--json", "print the raw MCP result")
    .addHelpText("after", examples("pincer mcp call everything echo '{\"message\":\"hi\"}'", "pincer mcp call everything get-sum '{\"a\":1,\"b\":2}' --json"))
    .action(async (server: string, tool: string, json: string, opts) => (await import("./mcp-command.ts")).mcpCallCommand(globals(), server, tool, json, opts));
  return mcp;
}
