// /api/v1/skills in memory against the fake ClawHub: search, install (and its refusals as 4xx), grant, revoke,
// update and remove through the same actions as the CLI, audited as done with the HTTP API; hostile bodies and names.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeRegistry, type FakeRegistry } from "../../test/fakes/clawhub-registry.ts";
import { AUTH, fakeModels, openApiTestApp, type ApiTestApp, type JsonResponse } from "../../test/support/api-app.ts";

let t: ApiTestApp;
let registry: FakeRegistry;

beforeAll(async () => {
  registry = await startFakeRegistry();
  t = await openApiTestApp({ yaml: (baseURL) => `${fakeModels(baseURL)}\nskills:\n  registry: ${registry.url}\n` });
});
afterAll(async () => {
  await t.close();
  await registry.close();
});

const del = (path: string) => t.http.request(path, { method: "DELETE", headers: AUTH }) as Promise<JsonResponse>;

describe("/api/v1/skills", () => {
  it("searches the configured registry", async () => {
    const res = await t.get("/api/v1/skills/registry/search?q=weather&limit=3");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ registry: registry.url, results: [{ slug: "weather-tool", version: "1.1.0" }] });
    expect((await t.get("/api/v1/skills/registry/search")).status).toBe(400);
  });

  it("installs, grants, revokes, updates and removes a skill, audited as done with the HTTP API", async () => {
    const install = await t.send("POST", "/api/v1/skills/install", { slug: "weather-tool", version: "1.0.0" });
    expect(install.status).toBe(201);
    expect((await install.json()).installed).toMatchObject({ name: "weather-tool", install: { version: "1.0.0" }, declared: { bins: ["curl", "jq"], env: ["WEATHER_API_KEY"] } });

    const grant = await t.send("POST", "/api/v1/skills/weather-tool/grant", { bins: ["curl"] });
    expect(await grant.json()).toMatchObject({ grant: { bins: ["curl"], env: [] } });
    const revoke = await t.send("POST", "/api/v1/skills/weather-tool/revoke", {});
    expect(await revoke.json()).toEqual({ grant: null });

    const update = await t.send("POST", "/api/v1/skills/weather-tool/update", {});
    expect(await update.json()).toMatchObject({ update: { from: "1.0.0", to: "1.1.0", status: "updated" } });
    const lock = JSON.parse(await readFile(join(t.dir, "skills", "skills.lock.json"), "utf8"));
    expect(lock.installs["weather-tool"].version).toBe("1.1.0");

    const removed = await del("/api/v1/skills/weather-tool");
    expect(removed.status).toBe(200);
    const kinds = (await t.app.store.audit.list({})).filter((a) => a.kind.startsWith("skill.")).map((a) => `${a.kind} ${a.reason}`);
    expect(kinds).toContain("skill.removed removed weather-tool with the HTTP API");
    expect(kinds).toHaveLength(5);
  });

  it("answers refusals with a 4xx carrying the reason", async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ slug: "crypto-stealer" }, 422, "malicious"],
      [{ slug: "shady-helper" }, 409, "suspicious"],
      [{ slug: "zip-slip" }, 422, "invalid_bundle"],
      [{ slug: "curl-pipe" }, 422, "scan_blocked"],
      [{ slug: "no-such-skill" }, 404, "not_found"],
    ];
    for (const [body, status, type] of cases) {
      const res = await t.send("POST", "/api/v1/skills/install", body);
      expect({ body, status: res.status, type: (await res.json()).error.type }).toEqual({ body, status, type });
    }
  });

  it("refuses hostile bodies and names", async () => {
    expect((await t.send("POST", "/api/v1/skills/install", { slug: "../../etc" })).status).toBe(400);
    expect((await t.send("POST", "/api/v1/skills/install", { slug: "weather-tool", extra: 1 })).status).toBe(400);
    expect((await t.send("POST", "/api/v1/skills/weather-tool/grant", { bins: ["../bin/sh"] })).status).toBe(400);
    const res = await del("/api/v1/skills/__proto__");
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toContain("is not a skill name");
    expect((await t.send("POST", "/api/v1/skills/nothing-here/revoke", {})).status).toBe(422);
  });
});
