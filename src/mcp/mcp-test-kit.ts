// Test support: the reference MCP server (@modelcontextprotocol/server-everything) as a stdio server config, or started
// over HTTP (Streamable HTTP or the older SSE) on a free loopback port; a manager config around it.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { McpConfig, McpServerConfig } from "../core/safety-config.ts";
import { mcpSchema } from "../core/safety-config.ts";

/** The everything server's entry script. */
export const EVERYTHING_BIN = fileURLToPath(new URL("../../node_modules/@modelcontextprotocol/server-everything/dist/index.js", import.meta.url));

/** The everything server over stdio, run by this Node. */
export function everythingStdio(extra: Partial<McpServerConfig> = {}): McpServerConfig {
  return { command: process.execPath, args: [EVERYTHING_BIN, "stdio"], env: {}, trusted: false, safe_tools: [], timeout_ms: 20_000, ...extra } as McpServerConfig;
}

/** A full `mcp` config (defaults applied) with these servers. */
export function mcpConfig(servers: Record<string, unknown>, extra: Partial<Omit<McpConfig, "servers">> = {}): McpConfig {
  return mcpSchema.parse({ servers, ...extra });
}

/** The environment a gateway would pass: PATH and HOME. */
export const testEnv = { PATH: process.env["PATH"], HOME: process.env["HOME"] };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface HttpEverything {
  /** The endpoint to configure: `/mcp` for Streamable HTTP, `/sse` for SSE. */
  url: string;
  process: ChildProcess;
  close(): Promise<void>;
}

/** Starts the everything server over HTTP on a free port (its PORT env) and resolves once it listens. */
export async function startEverythingHttp(mode: "streamableHttp" | "sse"): Promise<HttpEverything> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING_BIN, mode], { env: { ...testEnv, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      err += chunk;
      if (/listening on port|running on port/i.test(err)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`everything server (${mode}) exited with ${code}: ${err}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/${mode === "sse" ? "sse" : "mcp"}`,
    process: child,
    close: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    }),
  };
}
