// /api/v1/mcp in memory over a whole app with the reference everything server configured: reading never starts it,
// a restart does and is audited; unknown and prototype server names are 404.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeModels, openApiTestApp, type ApiTestApp } from "../../test/support/api-app.ts";
import { EVERYTHING_BIN } from "../mcp/mcp-test-kit.ts";

let t: ApiTestApp;

beforeAll(async () => {
  const mcp = ["mcp:", "  servers:", "    everything:", `      command: ${JSON.stringify(process.execPath)}`, `      args: [${JSON.stringify(EVERYTHING_BIN)}, stdio]`, "      tools: [echo]", "      safe_tools: [echo]"].join("\n");
  t = await openApiTestApp({ yaml: (baseURL) => `${fakeModels(baseURL)}\n${mcp}\n` });
});
afterAll(() => t.close());

describe("/api/v1/mcp", () => {
  it("lists a configured server without starting it, then its tools after a restart", async () => {
    const before = await (await t.get("/api/v1/mcp")).json();
    expect(before).toEqual({ servers: [expect.objectContaining({ name: "everything", transport: "stdio", state: "stopped", tools: [], lastError: null })] });
    const restart = await t.send("POST", "/api/v1/mcp/everything/restart", {});
    expect(restart.status).toBe(200);
    expect(await restart.json()).toMatchObject({ name: "everything", state: "running" });
    const after = await (await t.get("/api/v1/mcp")).json();
    expect(after.servers[0]).toMatchObject({ state: "running", tools: [{ name: "mcp__everything__echo", tool: "echo", safe: true }] });
    const [audit] = await t.app.store.audit.list({ kind: "mcp.restart" });
    expect(audit).toMatchObject({ detail: { actor: "operator:api", server: "everything" } });
  });

  it("answers 404 for servers that are not configured", async () => {
    expect((await t.send("POST", "/api/v1/mcp/nope/restart", {})).status).toBe(404);
    expect((await t.send("POST", "/api/v1/mcp/__proto__/restart", {})).status).toBe(404);
  });
});
