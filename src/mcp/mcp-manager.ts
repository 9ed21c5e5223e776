// One MCP client per configured server (@modelcontextprotocol/sdk): started on first use, restarted with backoff after a
// crash, stopped when idle, re-read from the config on every use. It knows nothing of tools, policy or the model.
import type { Readable } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, McpError, ToolListChangedNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../config/logger.ts";
import type { Env } from "../config/paths.ts";
import { ownEntry } from "../core/own-entry.ts";
import type { McpConfig, McpServerConfig } from "../core/safety-config.ts";

export type McpTransportKind = "stdio" | "streamable-http" | "sse";
export type McpServerState = "stopped" | "starting" | "running" | "failed";

/** One server as doctor, the API and the Control UI show it. */
export interface McpServerStatus {
  name: string;
  transport: McpTransportKind;
  state: McpServerState;
  /** Tools the server listed last (before the allowlist); undefined until it was listed once. */
  tools: number | undefined;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
  /** Starts after the first one (crashes, idle stops, restarts). */
  restarts: number;
  /** A failed server is not tried again before this time (epoch ms). */
  retryAt: number | undefined;
  pid: number | undefined;
  trusted: boolean;
}

/** A tool as the server lists it. */
export interface McpToolInfo {
  name: string;
  description: string | undefined;
  inputSchema: Record<string, unknown>;
}

export interface McpProgress {
  progress: number;
  total: number | undefined;
  message: string | undefined;
}

export interface McpManager {
  /** Every configured server's tools: cached lists as they are, servers never listed started (waiting at most
   * `waitMs`). Contract: never throws; a server that fails or is slow is left out and reported in `status()`. */
  listAll(opts?: { waitMs?: number }): Promise<Array<{ server: string; tools: readonly McpToolInfo[] }>>;
  /** One server's tools, starting it when needed. Throws McpServerError when it cannot start. */
  listTools(server: string): Promise<readonly McpToolInfo[]>;
  /** Calls one tool with the server's `timeout_ms` (reset by progress). Throws McpServerError (not started, transport
   * failure, timeout); a tool's own failure is a result with `isError`. */
  call(server: string, tool: string, args: Record<string, unknown>, opts?: { signal?: AbortSignal; onProgress?: (p: McpProgress) => void }): Promise<CallToolResult>;
  status(): McpServerStatus[];
  /** The server's tools as listed last (kept while it is stopped for idleness), without starting it. */
  cached(server: string): readonly McpToolInfo[] | undefined;
  /** Stops the server and starts it again now, backoff or not. Throws McpServerError when the start fails. */
  restart(server: string): Promise<void>;
  close(): Promise<void>;
}

export type McpServerErrorCode = "unknown_server" | "start_failed" | "backing_off" | "timeout" | "transport" | "protocol";

/** An MCP server could not be used; the message names the server and, where one exists, the fix. */
export class McpServerError extends Error {
  override readonly name = "McpServerError";
  readonly code: McpServerErrorCode;
  constructor(code: McpServerErrorCode, message: string, opts?: { cause?: unknown }) {
    super(message, { cause: opts?.cause });
    this.code = code;
  }
}

export interface McpManagerOptions {
  config: () => McpConfig;
  /** The gateway's environment: PATH and HOME for stdio servers, `bearer_env` values. */
  env: Env;
  log?: Logger | undefined;
  now?: () => number;
  /** Schedules `fn` after `ms` and returns its cancel; default an unref'd setTimeout (tests drive it by hand). */
  setTimer?: (fn: () => void, ms: number) => () => void;
  /** 0..1 for backoff jitter; default Math.random. */
  random?: () => number;
  /** Told each time a server's status changes (state, tools, error). */
  onStatus?: (status: McpServerStatus) => void;
}

const CLIENT_INFO = { name: "pincer", version: "1.0.0" };
/** How long a turn waits for a server that has never been listed before going on without its tools, ms. */
export const DEFAULT_LIST_WAIT_MS = 10_000;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 300_000;
const STDERR_TAIL_CHARS = 2_000;
const STDERR_LOG_CAP = 64 * 1024; // chars logged per start; more is dropped with one note
const START_LIMIT_MS = 30_000;

interface Entry {
  name: string;
  key: string;
  config: McpServerConfig;
  transport: McpTransportKind;
  client: Client | undefined;
  starting: Promise<Client> | undefined;
  tools: McpToolInfo[] | undefined;
  state: McpServerState;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
  failures: number;
  retryAt: number | undefined;
  starts: number;
  pid: number | undefined;
  busy: number;
  cancelIdle: (() => void) | undefined;
  stderrTail: string;
}

const isStdio = (c: McpServerConfig): c is Extract<McpServerConfig, { command: string }> => "command" in c;

export function createMcpManager(opts: McpManagerOptions): McpManager {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const log = opts.log;
  const setTimer = opts.setTimer ?? ((fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  });
  const entries = new Map<string, Entry>();
  let closed = false;

  const statusOf = (e: Entry): McpServerStatus => ({
    name: e.name, transport: e.transport, state: e.state, tools: e.tools?.length, lastError: e.lastError, lastErrorAt: e.lastErrorAt,
    restarts: Math.max(0, e.starts - 1), retryAt: e.state === "failed" ? e.retryAt : undefined, pid: e.pid, trusted: e.config.trusted,
  });
  const changed = (e: Entry): void => opts.onStatus?.(statusOf(e));

  /** The entries match the config now: removed or changed servers are stopped, new ones added (stopped). */
  function sync(): void {
    const servers = opts.config().servers;
    for (const [name, e] of entries) {
      const cfg = ownEntry(servers, name);
      if (cfg === undefined || JSON.stringify(cfg) !== e.key) {
        entries.delete(name);
        void stop(e, "config changed");
      }
    }
    for (const name of Object.keys(servers)) {
      if (entries.has(name)) continue;
      const config = servers[name]!;
      entries.set(name, {
        name, key: JSON.stringify(config), config, transport: isStdio(config) ? "stdio" : "streamable-http", client: undefined, starting: undefined,
        tools: undefined, state: "stopped", lastError: undefined, lastErrorAt: undefined, failures: 0, retryAt: undefined, starts: 0, pid: undefined,
        busy: 0, cancelIdle: undefined, stderrTail: "",
      });
    }
  }

  function entryOf(server: string): Entry {
    sync();
    const e = entries.get(server);
    if (!e) {
      const known = [...entries.keys()].join(", ") || "none";
      throw new McpServerError("unknown_server", `no MCP server "${server}" in mcp.servers (configured: ${known})`);
    }
    return e;
  }

  function noteFailure(e: Entry, err: unknown): string {
    const message = errorText(err);
    e.failures += 1;
    e.lastError = message;
    e.lastErrorAt = now();
    // The first failure after a success retries on the next use; repeated ones wait longer (jittered, capped).
    const delay = e.failures <= 1 ? 0 : backoffMs(e.failures - 1, random);
    e.retryAt = now() + delay;
    e.state = "failed";
    e.client = undefined;
    e.pid = undefined;
    log?.warn({ server: e.name, err: message, retryInMs: delay }, "mcp server failed");
    changed(e);
    return message;
  }

  function scheduleIdle(e: Entry): void {
    e.cancelIdle?.();
    const ms = opts.config().idle_stop_ms;
    e.cancelIdle = setTimer(() => {
      e.cancelIdle = undefined;
      if (e.busy > 0) return scheduleIdle(e);
      if (e.client) void stop(e, "idle");
    }, ms);
  }

  async function stop(e: Entry, why: string): Promise<void> {
    e.cancelIdle?.();
    e.cancelIdle = undefined;
    const client = e.client;
    e.client = undefined;
    e.pid = undefined;
    if (e.state !== "failed") e.state = "stopped";
    if (client) {
      log?.info({ server: e.name, why }, "mcp server stopped");
      changed(e);
      await client.close().catch(() => undefined);
    }
  }

  async function start(e: Entry): Promise<Client> {
    if (closed) throw new McpServerError("transport", "the MCP client manager is closed");
    if (e.client) return e.client;
    if (e.starting) return e.starting;
    if (e.state === "failed" && e.retryAt !== undefined && now() < e.retryAt) {
      throw new McpServerError("backing_off", `MCP server "${e.name}" failed: ${e.lastError} (next try in ${Math.ceil((e.retryAt - now()) / 1000)} s)`);
    }
    e.state = "starting";
    e.starts += 1;
    e.stderrTail = "";
    changed(e);
    const starting = connect(e).then(
      async ({ client, transport, pid }) => {
        e.client = client;
        e.transport = transport;
        e.pid = pid;
        e.state = "running";
        e.starting = undefined;
        // Fresh process, fresh list: the cache from before a restart may be stale.
        e.tools = await fetchTools(client, e.config.timeout_ms).catch((err: unknown) => {
          void stop(e, "listing tools failed");
          throw err;
        });
        e.failures = 0;
        log?.info({ server: e.name, transport, tools: e.tools.length, pid }, "mcp server started");
        changed(e);
        scheduleIdle(e);
        return client;
      },
    ).catch((err: unknown) => {
      e.starting = undefined;
      const tail = e.stderrTail.trim().split("\n").at(-1);
      const message = noteFailure(e, tail && !errorText(err).includes(tail) ? `${errorText(err)} (stderr: ${tail.slice(0, 300)})` : err);
      throw new McpServerError("start_failed", `MCP server "${e.name}" did not start: ${message}`, { cause: err });
    });
    e.starting = starting;
    return starting;
  }

  async function connect(e: Entry): Promise<{ client: Client; transport: McpTransportKind; pid: number | undefined }> {
    const cfg = e.config;
    const limit = Math.min(cfg.timeout_ms, START_LIMIT_MS);
    if (isStdio(cfg)) {
      const env: Record<string, string> = {};
      for (const key of ["PATH", "HOME"]) {
        const v = ownEntry(opts.env, key);
        if (v !== undefined) env[key] = v;
      }
      Object.assign(env, cfg.env);
      const transport = new StdioClientTransport({ command: cfg.command, args: cfg.args, env, ...(cfg.cwd ? { cwd: cfg.cwd } : {}), stderr: "pipe" });
      captureStderr(e, transport.stderr as Readable | null);
      const client = newClient(e);
      await client.connect(transport, { timeout: limit });
      return { client, transport: "stdio", pid: transport.pid ?? undefined };
    }
    const headers: Record<string, string> = { ...cfg.headers };
    if (cfg.bearer_env) {
      const token = ownEntry(opts.env, cfg.bearer_env);
      if (!token) throw new Error(`the environment variable ${cfg.bearer_env} (mcp.servers.${e.name}.bearer_env) is not set; export it before starting the gateway`);
      headers["Authorization"] = `Bearer ${token}`;
    }
    const url = new URL(cfg.url);
    const streamable = newClient(e);
    try {
      await streamable.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }), { timeout: limit });
      return { client: streamable, transport: "streamable-http", pid: undefined };
    } catch (first) {
      await streamable.close().catch(() => undefined);
      // Servers from before Streamable HTTP (protocol 2024-11-05) answer the POST with 4xx: try the SSE transport.
      const sse = newClient(e);
      try {
        await sse.connect(new SSEClientTransport(url, { requestInit: { headers } }), { timeout: limit });
        log?.info({ server: e.name }, "mcp server speaks the older SSE transport");
        return { client: sse, transport: "sse", pid: undefined };
      } catch (second) {
        await sse.close().catch(() => undefined);
        throw new Error(`Streamable HTTP: ${errorText(first)}; SSE: ${errorText(second)}`, { cause: first });
      }
    }
  }

  function newClient(e: Entry): Client {
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      if (e.client !== client) return;
      // Refreshed now so the next turn sees the new list; a failure leaves the old one.
      e.tools = await fetchTools(client, e.config.timeout_ms).catch(() => e.tools);
      log?.info({ server: e.name, tools: e.tools?.length }, "mcp tool list changed");
      changed(e);
    });
    client.onclose = () => {
      // Our own close cleared e.client first; anything else is the server going away.
      if (e.client !== client) return;
      noteFailure(e, new Error(`the server closed the connection${e.stderrTail ? ` (stderr: ${e.stderrTail.trim().split("\n").at(-1)?.slice(0, 300)})` : ""}`));
    };
    return client;
  }

  function captureStderr(e: Entry, stream: Readable | null): void {
    if (!stream) return;
    let logged = 0;
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      e.stderrTail = (e.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
      if (logged >= STDERR_LOG_CAP) return;
      logged += chunk.length;
      log?.debug({ server: e.name, stderr: chunk.slice(0, 2_000) }, "mcp server stderr");
      if (logged >= STDERR_LOG_CAP) log?.info({ server: e.name }, "mcp server stderr: more output not logged");
    });
  }

  async function use<T>(e: Entry, fn: (client: Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const client = await start(e);
    e.busy += 1;
    try {
      const value = await fn(client);
      e.failures = 0;
      return value;
    } catch (err) {
      if (err instanceof McpError) {
        if (err.code === -32001) throw new McpServerError("timeout", `MCP server "${e.name}" did not answer within ${e.config.timeout_ms} ms (mcp.servers.${e.name}.timeout_ms)`, { cause: err });
        throw new McpServerError("protocol", `MCP server "${e.name}": ${err.message}`, { cause: err });
      }
      if (isAbort(err) || signal?.aborted) throw err;
      // Not an answer from the server: the connection is broken; the next use starts a new one.
      if (e.client === client) {
        noteFailure(e, err);
        void client.close().catch(() => undefined);
      }
      throw new McpServerError("transport", `MCP server "${e.name}": ${errorText(err)}`, { cause: err });
    } finally {
      e.busy -= 1;
      if (e.client === client) scheduleIdle(e);
    }
  }

  const withWait = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
    new Promise((resolve) => {
      const cancel = setTimer(() => resolve(undefined), ms);
      p.then((v) => { cancel(); resolve(v); }, () => { cancel(); resolve(undefined); });
    });

  return {
    async listAll({ waitMs = DEFAULT_LIST_WAIT_MS } = {}) {
      sync();
      const out = await Promise.all([...entries.values()].map(async (e) => {
        if (e.tools && e.state !== "failed") return { server: e.name, tools: e.tools };
        const started = start(e).then(() => e.tools ?? []);
        started.catch(() => undefined);
        const tools = await withWait(started, waitMs);
        return tools ? { server: e.name, tools } : undefined;
      }));
      return out.filter((x) => x !== undefined);
    },
    async listTools(server) {
      const e = entryOf(server);
      if (e.tools && e.state !== "failed") return e.tools;
      await start(e);
      return e.tools ?? [];
    },
    async call(server, tool, args, callOpts = {}) {
      const e = entryOf(server);
      return use(e, async (client) => {
        const result = await client.callTool({ name: tool, arguments: args }, CallToolResultSchema, {
          timeout: e.config.timeout_ms,
          resetTimeoutOnProgress: true,
          maxTotalTimeout: e.config.timeout_ms * 10,
          ...(callOpts.signal ? { signal: callOpts.signal } : {}),
          onprogress: (p) => {
            log?.debug({ server, tool, progress: p.progress, total: p.total }, "mcp tool progress");
            callOpts.onProgress?.({ progress: p.progress, total: p.total, message: p.message });
          },
        });
        return result as CallToolResult;
      }, callOpts.signal);
    },
    status() {
      sync();
      return [...entries.values()].map(statusOf);
    },
    cached(server) {
      sync();
      return entries.get(server)?.tools;
    },
    async restart(server) {
      const e = entryOf(server);
      if (e.starting) await e.starting.catch(() => undefined);
      await stop(e, "restart requested");
      e.state = "stopped";
      e.retryAt = undefined;
      e.failures = 0;
      await start(e);
    },
    async close() {
      closed = true;
      await Promise.all([...entries.values()].map((e) => stop(e, "shutdown")));
      entries.clear();
    },
  };
}

async function fetchTools(client: Client, timeout: number): Promise<McpToolInfo[]> {
  const tools: McpToolInfo[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const res = await client.listTools(cursor ? { cursor } : undefined, { timeout });
    for (const t of res.tools) tools.push({ name: t.name, description: t.description, inputSchema: t.inputSchema as Record<string, unknown> });
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  return tools;
}

/** Delay before retry `attempt` (1 = first): half to all of min(max, base·2^(attempt-1)), ms. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError");
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
