// The embeddings client against the loopback fake OpenAI server: vectors in order, usage recorded with the price,
// errors as ProviderError codes whose messages name the setting and never the key.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { configSchema } from "../core/config-schema.ts";
import type { UsageRecord } from "../core/domain.ts";
import { createEmbedder } from "./embeddings.ts";

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["sk-good-123456"] });
});
afterAll(() => fake.close());

const configWith = (key: string, model = "text-embedding-3-small") => configSchema.parse({
  models: { providers: { oa: { type: "openai", base_url: fake.baseURL, api_key: key } } },
  memory: { embeddings: { provider: "oa", model } },
});

describe("createEmbedder", () => {
  it("is undefined without memory.embeddings", () => {
    expect(createEmbedder({ config: () => configSchema.parse({}), stateDir: "/nonexistent", env: {} })).toBeUndefined();
  });

  it("embeds a batch in order and records usage with the model's price", async () => {
    const usage: UsageRecord[] = [];
    const embedder = createEmbedder({ config: () => configWith("sk-good-123456"), stateDir: "/nonexistent", env: {}, agentId: "main", recordUsage: async (r) => void usage.push(r), now: () => 7 })!;
    expect(embedder.id).toBe("oa/text-embedding-3-small");
    const [a, b] = await embedder.embed(["car service", "tomato soup"]);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a!.length).toBeGreaterThan(0);
    expect(a).not.toEqual(b);
    expect(fake.requests.at(-1)?.body).toEqual({ model: "text-embedding-3-small", input: ["car service", "tomato soup"] });
    expect(usage).toEqual([{
      runId: undefined, sessionKey: undefined, agentId: "main", provider: "oa", model: "text-embedding-3-small",
      inputTokens: 4, outputTokens: 0, cachedTokens: 0, costUsd: (4 * 0.02) / 1_000_000, at: 7,
    }]);
  });

  it("turns a rejected key into auth_failed without the key in the message", async () => {
    const embedder = createEmbedder({ config: () => configWith("sk-wrong-999999"), stateDir: "/nonexistent", env: {} })!;
    const err = (await embedder.embed(["x"]).then(() => undefined, (e: unknown) => e)) as Error & { code: string };
    expect(err).toMatchObject({ code: "auth_failed", message: "memory.embeddings: oa answered 401 for model text-embedding-3-small" });
    expect(String(err.message)).not.toContain("sk-wrong");
  });

  it("turns an unreachable server into network, naming the URL", async () => {
    const config = configSchema.parse({
      models: { providers: { local: { type: "openai-compatible", base_url: "http://127.0.0.1:9/v1" } } },
      memory: { embeddings: { provider: "local", model: "nomic-embed-text" } },
    });
    const embedder = createEmbedder({ config: () => config, stateDir: "/nonexistent", env: {} })!;
    await expect(embedder.embed(["x"])).rejects.toMatchObject({ code: "network", message: "memory.embeddings: local is unreachable at http://127.0.0.1:9/v1" });
  });
});
