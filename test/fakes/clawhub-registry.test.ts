// The fake ClawHub speaks ClawHub's wire format: ZIP bundles with the files at the root plus `_meta.json`, text/plain
// errors, 403 for malware-blocked downloads, 429 with Retry-After on demand, and every request recorded.
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeRegistry, type FakeRegistry } from "./clawhub-registry.ts";

let fake: FakeRegistry;
beforeAll(async () => {
  fake = await startFakeRegistry();
});
afterAll(() => fake.close());

describe("startFakeRegistry", () => {
  it("serves a skill's bundle as ClawHub builds it", async () => {
    const res = await fetch(`${fake.url}/api/v1/download?slug=weather-tool&version=1.0.0`);
    expect(res.headers.get("content-type")).toBe("application/zip");
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(["SKILL.md", "_meta.json", "scripts/forecast.py"]);
    expect(JSON.parse(new TextDecoder().decode(files["_meta.json"]))).toEqual({ ownerId: "users:fake", slug: "weather-tool", version: "1.0.0", publishedAt: 0 });
  });

  it("answers errors as text, blocks malware downloads with 403, and rate limits on demand", async () => {
    const missing = await fetch(`${fake.url}/api/v1/skills/nope`);
    expect([missing.status, missing.headers.get("content-type"), await missing.text()]).toEqual([404, "text/plain; charset=utf-8", "Skill not found"]);
    expect((await fetch(`${fake.url}/api/v1/download?slug=crypto-stealer`)).status).toBe(403);
    fake.rateLimit(1, "5");
    const limited = await fetch(`${fake.url}/api/v1/search?q=x`);
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "5"]);
    expect(fake.requests.map((r) => r.path)).toEqual(["/api/v1/download", "/api/v1/skills/nope", "/api/v1/download", "/api/v1/search"]);
  });
});
