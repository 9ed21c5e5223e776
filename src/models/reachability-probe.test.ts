// Provider reachability against loopback servers: a provider that answers (latency, models it does not list), a
// rejected key, a missing credential (no request made), a server that is down or silent, the cache and its bypass,
// config problems, and each provider type's list request.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configSchema, type PincerConfig } from "../core/config-schema.ts";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { createReachabilityProbe, listRequest } from "./reachability-probe.ts";

let fake: FakeModelServer;
let silent: Server;
let silentURL: string;
let stateDir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
  silent = createServer(() => undefined); // accepts and never answers
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentURL = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
  stateDir = await mkdtemp(join(tmpdir(), "pincer-probe-"));
});
afterAll(async () => {
  await fake.close();
  silent.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
  await rm(stateDir, { recursive: true, force: true });
});

const config = (providers: Record<string, unknown>, tiers: Record<string, unknown>): PincerConfig => configSchema.parse({ models: { providers, tiers } });
const probeFor = (cfg: PincerConfig, env: Record<string, string> = {}, extra: { timeoutMs?: number; now?: () => number } = {}) =>
  createReachabilityProbe({ config: () => cfg, stateDir, env, ...extra });
const modelRequests = (): number => fake.requests.filter((r) => r.path === "/v1/models").length;

describe("createReachabilityProbe", () => {
  it("reports a provider that answers with its latency, and configured models its list lacks", async () => {
    const cfg = config({ fake: { type: "openai-compatible", base_url: fake.baseURL, api_key: "test-key" } }, {
      default: { primary: "fake/gpt-4o-mini", fallbacks: ["fake/no-such-model"] },
    });
    const [result] = await probeFor(cfg).probe();
    expect(result).toEqual({
      provider: "fake", type: "openai-compatible", models: ["fake/gpt-4o-mini", "fake/no-such-model"], ok: true,
      latencyMs: expect.any(Number), checkedAt: expect.any(Number), unlisted: ["fake/no-such-model"], error: null,
    });
    expect(fake.requests.at(-1)).toMatchObject({ path: "/v1/models", apiKey: "test-key" });
  });

  it("maps a rejected key, a missing one, a server that is down and one that is silent to codes with fixes", async () => {
    const cfg = config({
      wrong: { type: "openai-compatible", base_url: fake.baseURL, api_key: "sk-wrong-key-1234567890abcdef" },
      unset: { type: "openai-compatible", base_url: fake.baseURL, api_key_env: "UNSET_KEY" },
      down: { type: "openai-compatible", base_url: "http://127.0.0.1:9/v1" },
      silent: { type: "openai-compatible", base_url: silentURL },
    }, { default: { primary: "wrong/gpt-4o-mini" } });
    const before = fake.requests.length;
    const results = await probeFor(cfg, {}, { timeoutMs: 300 }).probe();
    const byId = new Map(results.map((r) => [r.provider, r]));
    expect(byId.get("wrong")).toMatchObject({ ok: false, latencyMs: expect.any(Number), error: { code: "auth_failed", fix: "check it with 'pincer auth list' and replace it with 'pincer auth set wrong'" } });
    expect(JSON.stringify(byId.get("wrong"))).not.toContain("sk-wrong-key-1234567890abcdef");
    expect(byId.get("unset")).toMatchObject({
      ok: false, latencyMs: null,
      error: { code: "missing_credential", message: expect.stringContaining("UNSET_KEY is not set"), fix: expect.stringContaining("export UNSET_KEY=<key>") },
    });
    expect(byId.get("down")).toMatchObject({ ok: false, error: { code: "network", fix: expect.stringContaining("check that http://127.0.0.1:9/v1 is right") } });
    expect(byId.get("silent")).toMatchObject({ ok: false, error: { code: "timeout", message: expect.stringContaining("no response within 300 ms") } });
    expect(fake.requests.length - before).toBe(1); // only `wrong` reached the fake
  });

  it("reuses a result for 30 s unless forced, and probes again after a config change", async () => {
    let t = 1_000_000;
    let cfg = config({ fake: { type: "openai-compatible", base_url: fake.baseURL, api_key: "test-key" } }, { default: { primary: "fake/gpt-4o-mini" } });
    const probe = createReachabilityProbe({ config: () => cfg, stateDir, env: {}, now: () => t });
    const start = modelRequests();
    await probe.probe();
    await Promise.all([probe.probe(), probe.probe()]);
    t += 29_000;
    await probe.probe();
    expect(modelRequests() - start).toBe(1);
    await probe.probe({ force: true });
    expect(modelRequests() - start).toBe(2);
    t += 31_000;
    await probe.probe();
    expect(modelRequests() - start).toBe(3);
    cfg = { ...cfg };
    await probe.probe();
    expect(modelRequests() - start).toBe(4);
  });

  it("reports a tier that names an unknown provider as a config problem, and lists providers no tier uses", async () => {
    const cfg = config({ spare: { type: "openai-compatible", base_url: fake.baseURL, api_key: "test-key" } }, { default: { primary: "nowhere/model-x" } });
    const results = await probeFor(cfg).probe();
    expect(results.map((r) => [r.provider, r.ok, r.error?.code ?? null])).toEqual([["nowhere", false, "config"], ["spare", true, null]]);
    expect(results[0]!.error!.message).toContain('unknown provider "nowhere"');
  });
});

describe("listRequest", () => {
  it("asks each provider type's list endpoint with its own credential header", () => {
    const key = { value: "k-123", oauth: false };
    expect(listRequest({ type: "openai" }, key)).toEqual({ url: "https://api.openai.com/v1/models", headers: { accept: "application/json", authorization: "Bearer k-123" } });
    expect(listRequest({ type: "anthropic" }, key)).toEqual({ url: "https://api.anthropic.com/v1/models", headers: { accept: "application/json", "anthropic-version": "2023-06-01", "x-api-key": "k-123" } });
    expect(listRequest({ type: "anthropic" }, { value: "oat", oauth: true }).headers).toMatchObject({ authorization: "Bearer oat", "anthropic-beta": "oauth-2025-04-20" });
    expect(listRequest({ type: "google" }, key)).toEqual({ url: "https://generativelanguage.googleapis.com/v1beta/models", headers: { accept: "application/json", "x-goog-api-key": "k-123" } });
    expect(listRequest({ type: "gateway" }, key).url).toBe("https://ai-gateway.vercel.sh/v3/ai/config");
    expect(listRequest({ type: "openai-compatible", preset: "ollama" }, undefined)).toEqual({ url: "http://127.0.0.1:11434/v1/models", headers: { accept: "application/json" } });
    expect(listRequest({ type: "openai", base_url: "https://proxy.example/v1/", headers: { "x-org": "a" } }, key).url).toBe("https://proxy.example/v1/models");
  });
});
