// /api/v1/mcp: the MCP servers for the Control UI — state, transport, last error, the tools the model sees — and a
// restart. Reading never starts a server; MCP code loads here only when mcp.servers names one.
import { Hono } from "hono";
import { ownEntry } from "../core/own-entry.ts";
import type { GatewayContext } from "./gateway-context.ts";

export function createMcpRoutes(opts: { ctx: GatewayContext }): Hono {
  const { ctx } = opts;
  const api = new Hono();
  const configured = (): boolean => Object.keys(ctx.config.mcp.servers).length > 0 && ctx.mcp !== undefined;

  api.get("/mcp", async (c) => {
    if (!configured()) return c.json({ servers: [] });
    const { allowedTools } = await import("../mcp/mcp-tools.ts");
    const mcp = await ctx.mcp!();
    const servers = mcp.manager.status().map((s) => {
      const cfg = ownEntry(ctx.config.mcp.servers, s.name);
      const listed = mcp.manager.cached(s.name);
      const tools = cfg && listed ? allowedTools(s.name, cfg, listed).map(({ name, info }) => ({ name, tool: info.name, description: info.description ?? "", safe: cfg.safe_tools.includes(info.name) })) : [];
      return {
        name: s.name, transport: s.transport, state: s.state, trusted: s.trusted, listedTools: s.tools ?? null, restarts: s.restarts,
        lastError: s.lastError ?? null, lastErrorAt: s.lastErrorAt ?? null, retryAt: s.retryAt ?? null, tools,
      };
    });
    return c.json({ servers });
  });

  api.post("/mcp/:server/restart", async (c) => {
    const server = c.req.param("server");
    if (!configured() || !ownEntry(ctx.config.mcp.servers, server)) {
      return c.json({ error: { type: "not_found", message: `no MCP server "${server.slice(0, 40)}" in mcp.servers`, param: "server" } }, 404);
    }
    const mcp = await ctx.mcp!();
    let error: string | undefined;
    try {
      await mcp.manager.restart(server);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    await ctx.store.audit.write({
      at: Date.now(), kind: "mcp.restart", decision: "info", runId: undefined, sessionKey: undefined, tool: undefined,
      reason: "restart requested by the operator (Control UI / API)", detail: { actor: "operator:api", server, ...(error ? { error } : {}) },
    });
    if (error) return c.json({ error: { type: "mcp_start_failed", message: error } }, 502);
    const status = mcp.manager.status().find((s) => s.name === server);
    return c.json({ name: server, state: status?.state ?? "stopped", listedTools: status?.tools ?? null });
  });
  return api;
}
