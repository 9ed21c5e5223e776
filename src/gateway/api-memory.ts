// /api/v1/memory: the Memory page's data — an agent's memory files and index status, search (as memory_search does)
// and a re-index — through the gateway's memory runtime, which loads on the first request here.
import { Hono, type Context } from "hono";
import { z } from "zod";
import { hasOwnEntry } from "../core/own-entry.ts";
import type { MemoryIndex } from "../memory/memory-index.ts";
import { parseJsonBody, parseQuery } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";

const agent = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, "must be an agent id").default("default");
const statusQuery = z.object({ agent });
const searchQuery = z.object({
  agent,
  q: z.string().trim().min(1, "must not be empty").max(1_000, "must be at most 1000 characters"),
  limit: z.coerce.number({ error: "must be an integer from 1 to 50" }).int("must be an integer from 1 to 50").min(1, "must be an integer from 1 to 50").max(50, "must be an integer from 1 to 50").default(10),
});
const reindexBody = z.strictObject({ agent: agent.optional(), force: z.boolean({ error: "must be true or false" }).optional() });

export function createMemoryRoutes(opts: { ctx: GatewayContext }): Hono {
  const { ctx } = opts;
  const api = new Hono();

  /** The agent's index, or a 4xx answer: unknown agent, memory off, or no memory in this gateway. */
  const indexFor = async (c: Context, agentId: string): Promise<{ index: MemoryIndex } | { response: Response }> => {
    if (!hasOwnEntry(ctx.config.agents, agentId)) {
      return { response: c.json({ error: { type: "not_found", message: `agent "${agentId}" not found`, param: "agent" } }, 404) };
    }
    if (!ctx.config.memory.enabled || !ctx.memory) {
      return { response: c.json({ error: { type: "memory_off", message: "memory is off (memory.enabled: false); set it to true in pincer.yaml" } }, 409) };
    }
    return { index: await (await ctx.memory()).indexFor(agentId, ctx.workspaceFor(agentId)) };
  };

  api.get("/memory/status", async (c) => {
    const q = parseQuery(c, statusQuery);
    if (!q.ok) return q.response;
    const found = await indexFor(c, q.value.agent);
    if ("response" in found) return found.response;
    const [status, files] = await Promise.all([found.index.status(), ctx.store.memory.files(q.value.agent)]);
    return c.json({
      agent: q.value.agent, enabled: true, chunks: status.chunks, lastIndexedAt: status.lastIndexedAt ?? null,
      embeddings: status.embeddings ?? null, embeddedChunks: status.embeddedChunks,
      files: files.map((f) => ({ path: f.path, size: f.size, modifiedAt: f.mtimeMs, indexedAt: f.indexedAt, chunks: f.chunks })),
    });
  });

  api.get("/memory/search", async (c) => {
    const q = parseQuery(c, searchQuery);
    if (!q.ok) return q.response;
    const found = await indexFor(c, q.value.agent);
    if ("response" in found) return found.response;
    return c.json({ agent: q.value.agent, query: q.value.q, results: await found.index.search(q.value.q, q.value.limit) });
  });

  api.post("/memory/reindex", async (c) => {
    const body = await parseJsonBody(c, reindexBody, 1024);
    if (!body.ok) return body.response;
    const agentId = body.value.agent ?? "default";
    const found = await indexFor(c, agentId);
    if ("response" in found) return found.response;
    const started = Date.now();
    const report = await found.index.sync(body.value.force ? { force: true } : {});
    return c.json({ agent: agentId, ...report, ms: Date.now() - started });
  });

  return api;
}
