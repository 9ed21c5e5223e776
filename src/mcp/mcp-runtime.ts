// MCP for one process, loaded only when `mcp.servers` names a server: the client manager and the per-turn tools over it.
// src/app.ts, the gateway's API, the CLI and doctor reach MCP through this.
import type { Logger } from "../config/logger.ts";
import type { Env } from "../config/paths.ts";
import type { McpConfig } from "../core/safety-config.ts";
import type { Tool } from "../tools/tool.ts";
import { createMcpManager, type McpManager, type McpManagerOptions } from "./mcp-manager.ts";
import { createMcpTools } from "./mcp-tools.ts";

export interface McpRuntime {
  manager: McpManager;
  /** This turn's MCP tools (see McpTools.toolsForTurn). */
  toolsForTurn(): Promise<Tool[]>;
  /** True for MCP tools their server lists in `safe_tools`: calls the taint check lets through. */
  isSafeTool(name: string): boolean;
  close(): Promise<void>;
}

export interface McpRuntimeOptions {
  config: () => McpConfig;
  env: Env;
  log?: Logger | undefined;
  now?: () => number;
  /** Manager options for tests (timers, status events). */
  manager?: Pick<McpManagerOptions, "setTimer" | "onStatus" | "random">;
}

export function createMcpRuntime(opts: McpRuntimeOptions): McpRuntime {
  const manager = createMcpManager({ config: opts.config, env: opts.env, log: opts.log, ...(opts.now ? { now: opts.now } : {}), ...opts.manager });
  const tools = createMcpTools({ manager, config: opts.config, log: opts.log, ...(opts.now ? { now: opts.now } : {}) });
  return {
    manager,
    toolsForTurn: () => tools.toolsForTurn(),
    isSafeTool: (name) => tools.isSafeTool(name),
    close: () => manager.close(),
  };
}
