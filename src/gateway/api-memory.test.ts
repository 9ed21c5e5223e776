// /api/v1/memory in memory (Hono's app.request) over a whole app: status with files, search, re-index, and the edge:
// bad parameters, unknown agents, prototype names, bodies that are not JSON objects.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeModels, openApiTestApp, type ApiTestApp } from "../../test/support/api-app.ts";

let t: ApiTestApp;

beforeAll(async () => {
  t = await openApiTestApp({ yaml: (baseURL) => fakeModels(baseURL) });
  const ws = t.app.workspaceFor("default");
  await mkdir(join(ws, "memory"), { recursive: true });
  await writeFile(join(ws, "MEMORY.md"), "# Facts\n\nPrefers green tea.\n");
  await writeFile(join(ws, "memory", "2025-03-02.md"), "# 2025-03-02\n\nBooked the car service.\n");
});
afterAll(() => t.close());

describe("/api/v1/memory", () => {
  it("re-indexes, then reports files and index status", async () => {
    const reindex = await t.send("POST", "/api/v1/memory/reindex", { force: true });
    expect(reindex.status).toBe(200);
    expect(await reindex.json()).toMatchObject({ agent: "default", files: 2, indexed: 2, removed: 0 });
    const res = await t.get("/api/v1/memory/status");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      agent: "default", enabled: true, chunks: 2, embeddings: null,
      files: [{ path: "MEMORY.md", chunks: 1 }, { path: "memory/2025-03-02.md", chunks: 1 }],
    });
  });

  it("searches like memory_search", async () => {
    const res = await t.get("/api/v1/memory/search?q=car%20service&limit=3");
    expect(await res.json()).toMatchObject({ query: "car service", results: [{ path: "memory/2025-03-02.md", startLine: 1, endLine: 3, score: 1 }] });
  });

  it("answers 4xx naming the parameter for bad input and unknown agents", async () => {
    expect((await t.get("/api/v1/memory/search")).status).toBe(400);
    expect((await t.get("/api/v1/memory/search?q=x&limit=0")).status).toBe(400);
    expect((await t.get("/api/v1/memory/status?agent=..%2Fetc")).status).toBe(400);
    const unknown = await t.get("/api/v1/memory/status?agent=constructor");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: "not_found", param: "agent" } });
    expect((await t.send("POST", "/api/v1/memory/reindex", { force: "yes" })).status).toBe(400);
    expect((await t.send("POST", "/api/v1/memory/reindex", { extra: 1 })).status).toBe(400);
    expect((await t.send("POST", "/api/v1/memory/reindex", "[1]")).status).toBe(400);
  });
});
