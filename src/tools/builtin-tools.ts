// Assembles the built-in tool set: fs (read, write, edit, ls, glob, grep), runtime (exec), web (web_fetch), agents
// (spawn_agent, send_agent_message).
// Dependencies that reach outside the process (sandbox, DNS, TCP connect) come in through options.
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { LookupFn } from "./builtin/address-guard.ts";
import type { ConnectFn } from "./builtin/pinned-request.ts";
import { agentTools } from "./builtin/agent-tools.ts";
import { createExecTool } from "./builtin/exec-tool.ts";
import { fsTools } from "./builtin/fs-tools.ts";
import { searchTools } from "./builtin/search-tools.ts";
import { createWebFetchTool } from "./builtin/web-fetch-tool.ts";
import type { Tool } from "./tool.ts";

export interface BuiltinToolsOptions {
  /** Where exec runs commands. */
  sandbox: Sandbox;
  /** Where exec runs commands of an elevated session; default `sandbox`. */
  hostSandbox?: Sandbox;
  /** DNS resolution for web_fetch's address guard; default dns.lookup with `all: true`. */
  lookup?: LookupFn;
  /** TCP connect for web_fetch, to an address the guard vetted; default net.connect. */
  connect?: ConnectFn;
}

/** Creates the built-in tools. Policy is not applied here: the ToolGate filters and audits them. */
export function createBuiltinTools(opts: BuiltinToolsOptions): Tool[] {
  return [...fsTools, ...searchTools, createExecTool(opts.sandbox, opts.hostSandbox ? { host: opts.hostSandbox } : {}), createWebFetchTool({ lookup: opts.lookup, connect: opts.connect }), ...agentTools];
}
