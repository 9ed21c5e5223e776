// `pincer doctor` check of MCP servers: each configured server started and listed within a time limit, then stopped;
// a failure names the server, its error and a fix. Loaded only when mcp.servers names a server.
import type { Env } from "../config/paths.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import type { Check } from "./doctor-command.ts";

/** How long one server may take to start and list its tools, ms. */
const DOCTOR_LIMIT_MS = 20_000;

function fixFor(config: PincerConfig, name: string, error: string): string {
  const server = config.mcp.servers[name]!;
  if ("command" in server) {
    if (/ENOENT/.test(error)) return `install "${server.command}" or correct mcp.servers.${name}.command (an absolute path, or a program on PATH)`;
    return `run the command by hand (${[server.command, ...server.args].join(" ")}) and read its error; check mcp.servers.${name}.args, env and cwd`;
  }
  if (/bearer_env/.test(error)) return `export ${server.bearer_env} in the gateway's environment`;
  if (/40[13]/.test(error)) return `the server refused the credentials: check mcp.servers.${name}.headers or bearer_env`;
  return `check that ${server.url} is reachable from this machine and speaks MCP (Streamable HTTP or SSE)`;
}

/** Never throws. */
export async function checkMcp(config: PincerConfig, env: Env): Promise<Check[]> {
  const { createMcpManager } = await import("../mcp/mcp-manager.ts");
  const manager = createMcpManager({ config: () => config.mcp, env });
  try {
    const listed = new Map((await manager.listAll({ waitMs: DOCTOR_LIMIT_MS })).map((l) => [l.server, l.tools]));
    const checks: Check[] = [];
    for (const status of manager.status()) {
      const name = status.name;
      const server = config.mcp.servers[name]!;
      const tools = listed.get(name);
      if (!tools) {
        const error = status.lastError ?? `did not start within ${DOCTOR_LIMIT_MS / 1000} s`;
        checks.push({ name: `mcp ${name}`, status: "fail", detail: error, fix: fixFor(config, name, error) });
        continue;
      }
      const allowed = server.tools ? `, ${server.tools.length} allowed` : "";
      checks.push({ name: `mcp ${name}`, status: "ok", detail: `${status.transport}, ${tools.length} tool(s) listed${allowed}${server.trusted ? ", trusted" : ""}` });
      // Allowlisted or safe names the server does not list are typos (or tools it dropped).
      const known = new Set(tools.map((t) => t.name));
      const missing = [...(server.tools ?? []), ...server.safe_tools].filter((t) => !known.has(t));
      if (missing.length > 0) {
        checks.push({ name: `mcp ${name}`, status: "warn", detail: `not listed by the server: ${[...new Set(missing)].join(", ")}`, fix: `correct mcp.servers.${name}.tools / safe_tools ('pincer mcp list' then 'pincer mcp tools ${name}')` });
      }
    }
    return checks;
  } catch (err) {
    return [{ name: "mcp", status: "fail", detail: err instanceof Error ? err.message : String(err), fix: "check the mcp section of the config" }];
  } finally {
    await manager.close();
  }
}
