// The MCP client manager and tools against the reference server (@modelcontextprotocol/server-everything), nobody here
// wrote it: stdio and Streamable HTTP (and the SSE fallback), calls, progress, errors, crash and restart, idle stop,
// allowlists, taint of untrusted results.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { TaintSource } from "../core/domain.ts";
import type { Tool, ToolContext } from "../tools/tool.ts";
import { createMcpManager, type McpServerStatus } from "./mcp-manager.ts";
import { createMcpRuntime, type McpRuntime } from "./mcp-runtime.ts";
import { everythingStdio, mcpConfig, startEverythingHttp, testEnv, type HttpEverything } from "./mcp-test-kit.ts";

/** Resolves with the first status `accept` takes. */
function statusWaiter(): { onStatus: (s: McpServerStatus) => void; next: (accept: (s: McpServerStatus) => boolean) => Promise<McpServerStatus> } {
  const waiting: Array<{ accept: (s: McpServerStatus) => boolean; resolve: (s: McpServerStatus) => void }> = [];
  return {
    onStatus: (s) => {
      const matched = waiting.filter((w) => w.accept(s));
      for (const w of matched) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(s);
      }
    },
    next: (accept) => new Promise((resolve) => waiting.push({ accept, resolve })),
  };
}

function ctxFor(workspace: string, noted: TaintSource[]): ToolContext {
  return {
    workspace, policy: {} as ToolContext["policy"], signal: new AbortController().signal, runId: "r1", sessionKey: "s1",
    safety: {
      noteUntrusted: (s) => void noted.push(s),
      taintReason: () => undefined, taintSources: () => noted, elevation: async () => undefined, standingRule: async () => false,
      requestApproval: async () => ({ decision: "denied", requestId: "x" }),
    },
  };
}

const byName = (tools: Tool[], name: string): Tool => {
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name} in ${tools.map((t) => t.name).join(", ")}`);
  return tool;
};

describe("an MCP server over stdio", () => {
  const waiter = statusWaiter();
  const idleTimers: Array<() => void> = [];
  let runtime: McpRuntime;
  let tools: Tool[];
  let workspace: string;
  const noted: TaintSource[] = [];

  beforeAll(async () => {
    workspace = await mkdtemp(join(tmpdir(), "pincer-mcp-"));
    const config = mcpConfig({ everything: everythingStdio() }, { idle_stop_ms: 5_000 });
    runtime = createMcpRuntime({
      config: () => config, env: testEnv,
      manager: {
        onStatus: waiter.onStatus,
        // Idle timers are fired by the test; others (a turn's wait for a slow server) never fire here.
        setTimer: (fn, ms) => {
          if (ms === config.idle_stop_ms) idleTimers.push(fn);
          return () => undefined;
        },
      },
    });
    tools = await runtime.toolsForTurn();
  });
  afterAll(async () => {
    await runtime.close();
    await rm(workspace, { recursive: true, force: true });
  });

  it("offers the server's tools as mcp__everything__<tool>, group mcp, with compact object schemas", () => {
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["mcp__everything__echo", "mcp__everything__get-sum", "mcp__everything__trigger-long-running-operation"]));
    const sum = byName(tools, "mcp__everything__get-sum");
    expect(sum.group).toBe("mcp");
    expect(sum.parameters).toEqual({
      type: "object",
      properties: { a: { type: "number", description: "First number" }, b: { type: "number", description: "Second number" } },
      required: ["a", "b"],
    });
    expect(JSON.stringify(tools.map((t) => t.parameters))).not.toContain("$schema");
  });

  it("calls echo and get-sum, and notes the untrusted server's result as taint", async () => {
    const ctx = ctxFor(workspace, noted);
    expect(await byName(tools, "mcp__everything__echo").execute({ message: "hello" }, ctx)).toMatchObject({ text: "Echo: hello", isError: false });
    expect((await byName(tools, "mcp__everything__get-sum").execute({ a: 2, b: 3 }, ctx)).text).toBe("The sum of 2 and 3 is 5.");
    expect(noted).toEqual([
      { kind: "mcp", label: "mcp everything/echo", at: expect.any(Number) },
      { kind: "mcp", label: "mcp everything/get-sum", at: expect.any(Number) },
    ]);
  });

  it("turns a failing call into a tool error the model can read", async () => {
    const result = await byName(tools, "mcp__everything__get-sum").execute({ a: "two" }, ctxFor(workspace, []));
    expect(result.isError).toBe(true);
    expect(result.text).toContain("Invalid arguments for tool get-sum");
  });

  it("reports progress of a long-running tool and returns its result", async () => {
    const progress: number[] = [];
    const result = await runtime.manager.call("everything", "trigger-long-running-operation", { duration: 0.3, steps: 3 }, { onProgress: (p) => progress.push(p.progress) });
    // The SDK may settle the call before it dispatches the last notification: the ones before it always arrive.
    expect(progress.slice(0, 2)).toEqual([1, 2]);
    expect(result.content).toEqual([{ type: "text", text: "Long running operation completed. Duration: 0.3 seconds, Steps: 3." }]);
  });

  it("keeps an image result in the workspace's inbox and names it for the model", async () => {
    const result = await byName(tools, "mcp__everything__get-tiny-image").execute({}, ctxFor(workspace, []));
    const path = /\[image: (inbox\/mcp\/[^\]]+\.png)\]/.exec(result.text)?.[1];
    expect(path).toBeDefined();
    const bytes = await readFile(join(workspace, path!));
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");
  });

  it("restarts a crashed server on the next call", async () => {
    const before = runtime.manager.status()[0]!;
    const crashed = waiter.next((s) => s.state === "failed");
    process.kill(before.pid!, "SIGKILL");
    expect((await crashed).lastError).toContain("closed");
    const result = await runtime.manager.call("everything", "echo", { message: "again" });
    expect(result.content).toEqual([{ type: "text", text: "Echo: again" }]);
    const after = runtime.manager.status()[0]!;
    expect(after).toMatchObject({ state: "running", restarts: before.restarts + 1 });
    expect(after.pid).not.toBe(before.pid);
  });

  it("stops an idle server and starts it again on the next call", async () => {
    const stopped = waiter.next((s) => s.state === "stopped");
    for (const fire of idleTimers.splice(0)) fire();
    await stopped;
    // The cached list still serves turns; only a call starts the process again.
    expect((await runtime.toolsForTurn()).length).toBe(tools.length);
    expect(runtime.manager.status()[0]!.state).toBe("stopped");
    expect((await runtime.manager.call("everything", "echo", { message: "awake" })).content).toEqual([{ type: "text", text: "Echo: awake" }]);
    expect(runtime.manager.status()[0]!.state).toBe("running");
  });
});

describe("server configuration", () => {
  it("offers only the allowlisted tools, and says which tools are safe", async () => {
    const config = mcpConfig({ everything: everythingStdio({ tools: ["echo", "get-sum"], safe_tools: ["echo"], trusted: true }) });
    const runtime = createMcpRuntime({ config: () => config, env: testEnv });
    try {
      const tools = await runtime.toolsForTurn();
      expect(tools.map((t) => t.name)).toEqual(["mcp__everything__echo", "mcp__everything__get-sum"]);
      expect(runtime.isSafeTool("mcp__everything__echo")).toBe(true);
      expect(runtime.isSafeTool("mcp__everything__get-sum")).toBe(false);
      // A trusted server's results do not taint the run.
      const noted: TaintSource[] = [];
      await byName(tools, "mcp__everything__echo").execute({ message: "x" }, ctxFor(tmpdir(), noted));
      expect(noted).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it("leaves a server that cannot start out of the turn and reports why", async () => {
    const config = mcpConfig({ broken: { command: "/nonexistent/mcp-server" }, everything: everythingStdio({ tools: ["echo"] }) });
    const runtime = createMcpRuntime({ config: () => config, env: testEnv });
    try {
      expect((await runtime.toolsForTurn()).map((t) => t.name)).toEqual(["mcp__everything__echo"]);
      const broken = runtime.manager.status().find((s) => s.name === "broken")!;
      expect(broken).toMatchObject({ state: "failed", transport: "stdio" });
      expect(broken.lastError).toContain("ENOENT");
      await expect(runtime.manager.call("broken", "x", {})).rejects.toMatchObject({ code: expect.stringMatching(/start_failed|backing_off/) });
    } finally {
      await runtime.close();
    }
  });

  it("picks up servers added and removed by a config reload", async () => {
    let config = mcpConfig({});
    const manager = createMcpManager({ config: () => config, env: testEnv });
    try {
      expect(await manager.listAll()).toEqual([]);
      config = mcpConfig({ everything: everythingStdio() });
      expect((await manager.listAll()).map((s) => s.server)).toEqual(["everything"]);
      config = mcpConfig({});
      expect(manager.status()).toEqual([]);
      await expect(manager.call("everything", "echo", {})).rejects.toThrow('no MCP server "everything" in mcp.servers (configured: none)');
    } finally {
      await manager.close();
    }
  });

  it("gives a stdio server only PATH, HOME and its own env", async () => {
    const config = mcpConfig({ everything: everythingStdio({ tools: ["get-env"], env: { GREETING: "hi" } } as never) });
    const manager = createMcpManager({ config: () => config, env: { ...testEnv, SECRET_TOKEN: "s3cret" } });
    vi.stubEnv("PINCER_TEST_LEAK", "leaked");
    try {
      const result = await manager.call("everything", "get-env", {});
      const text = (result.content[0] as { text: string }).text;
      expect(text).toContain('"GREETING": "hi"');
      expect(text).not.toContain("s3cret");
      expect(text).not.toContain("leaked");
    } finally {
      vi.unstubAllEnvs();
      await manager.close();
    }
  });
});

describe("an MCP server over HTTP", () => {
  let streamable: HttpEverything;
  let sse: HttpEverything;
  beforeAll(async () => {
    [streamable, sse] = await Promise.all([startEverythingHttp("streamableHttp"), startEverythingHttp("sse")]);
  });
  afterAll(async () => {
    await Promise.all([streamable?.close(), sse?.close()]);
  });

  it("speaks Streamable HTTP: lists tools, calls echo, a failing call is a tool error", async () => {
    const config = mcpConfig({ remote: { url: streamable.url, timeout_ms: 20_000 } });
    const runtime = createMcpRuntime({ config: () => config, env: {} });
    try {
      const tools = await runtime.toolsForTurn();
      expect(runtime.manager.status()[0]).toMatchObject({ transport: "streamable-http", state: "running" });
      const ctx = ctxFor(tmpdir(), []);
      expect((await byName(tools, "mcp__remote__echo").execute({ message: "over http" }, ctx)).text).toBe("Echo: over http");
      expect((await byName(tools, "mcp__remote__get-sum").execute({ a: 1 }, ctx)).isError).toBe(true);
      const progress: number[] = [];
      await runtime.manager.call("remote", "trigger-long-running-operation", { duration: 0.3, steps: 3 }, { onProgress: (p) => progress.push(p.progress) });
      expect(progress.slice(0, 2)).toEqual([1, 2]);
    } finally {
      await runtime.close();
    }
  });

  it("falls back to the older SSE transport when Streamable HTTP is refused", async () => {
    const config = mcpConfig({ old: { url: sse.url } });
    const manager = createMcpManager({ config: () => config, env: {} });
    try {
      expect((await manager.call("old", "echo", { message: "sse" })).content).toEqual([{ type: "text", text: "Echo: sse" }]);
      expect(manager.status()[0]).toMatchObject({ transport: "sse", state: "running" });
    } finally {
      await manager.close();
    }
  });

  it("names the unset bearer_env variable", async () => {
    const config = mcpConfig({ remote: { url: streamable.url, bearer_env: "MCP_TOKEN" } });
    const manager = createMcpManager({ config: () => config, env: {} });
    try {
      await expect(manager.listTools("remote")).rejects.toThrow("the environment variable MCP_TOKEN (mcp.servers.remote.bearer_env) is not set");
    } finally {
      await manager.close();
    }
  });
});
