// Provider model lists: the OpenAI fake over HTTP, each vendor's request shape through an injected fetch, and the
// failures (refused credential, no answer in time, nothing listening) as messages without the key.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import type { ProviderConfig } from "../core/config-schema.ts";
import { listProviderModels } from "./provider-models.ts";

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
});
afterAll(() => fake.close());

const compat = (baseURL: string): ProviderConfig => ({ type: "openai-compatible", base_url: baseURL });

describe("listProviderModels", () => {
  it("reads an OpenAI-compatible server's GET /models with the key", async () => {
    expect(await listProviderModels({ providerId: "fake", providerConfig: compat(fake.baseURL), credential: "test-key", timeoutMs: 5_000 })).toEqual({ ok: true, models: ["gpt-4.1", "gpt-4o-mini"] });
  });

  it("sends each vendor's headers and reads its answer shape", async () => {
    const seen: Array<{ url: string; headers: Record<string, string> }> = [];
    const answer = (body: unknown): typeof fetch => (async (url: string | URL | Request, init?: RequestInit) => {
      seen.push({ url: String(url), headers: init?.headers as Record<string, string> });
      return Response.json(body);
    }) as typeof fetch;
    const anthropic = await listProviderModels({ providerId: "anthropic", providerConfig: { type: "anthropic" }, credential: "sk-ant-1", timeoutMs: 1_000, fetch: answer({ data: [{ id: "claude-b" }, { id: "claude-a" }] }) });
    const google = await listProviderModels({ providerId: "google", providerConfig: { type: "google" }, credential: "g-1", timeoutMs: 1_000, fetch: answer({ models: [{ name: "models/gemini-2.5-flash" }] }) });
    const gateway = await listProviderModels({ providerId: "gateway", providerConfig: { type: "gateway" }, credential: "vck-1", timeoutMs: 1_000, fetch: answer({ models: [{ id: "openai/gpt-5" }] }) });
    expect([anthropic, google, gateway]).toEqual([{ ok: true, models: ["claude-a", "claude-b"] }, { ok: true, models: ["gemini-2.5-flash"] }, { ok: true, models: ["openai/gpt-5"] }]);
    expect(seen).toEqual([
      { url: "https://api.anthropic.com/v1/models?limit=1000", headers: { "anthropic-version": "2023-06-01", "x-api-key": "sk-ant-1" } },
      { url: "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000", headers: { "x-goog-api-key": "g-1" } },
      { url: "https://ai-gateway.vercel.sh/v3/ai/config", headers: { authorization: "Bearer vck-1" } },
    ]);
  });

  it("says what failed and where, never with the key", async () => {
    const refused = await listProviderModels({ providerId: "fake", providerConfig: compat(fake.baseURL), credential: "wrong-key-123456", timeoutMs: 5_000 });
    expect(refused).toEqual({ ok: false, error: `${fake.baseURL}/models refused the credential (401). Fix: 'pincer auth set fake'` });

    const silent = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
    try {
      expect(await listProviderModels({ providerId: "slow", providerConfig: compat(url), credential: undefined, timeoutMs: 200 })).toEqual({ ok: false, error: `cannot reach ${url}/models: no answer within 200 ms` });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
    const closed = await listProviderModels({ providerId: "gone", providerConfig: compat("http://127.0.0.1:9/v1"), credential: "sk-secret-abcdefghijkl", timeoutMs: 2_000 });
    expect(closed.ok).toBe(false);
    expect(JSON.stringify(closed)).not.toContain("sk-secret");
  });
});
