// Tests for listing a provider's models over the loopback OpenAI fake.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { listProviderModels } from "./provider-models.ts";

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["k"] });
});
afterAll(() => fake.close());

describe("listProviderModels", () => {
  it("lists the sorted model ids with the key, and nothing when the key is refused or the endpoint is missing", async () => {
    const signal = AbortSignal.timeout(5_000);
    expect(await listProviderModels({ baseURL: `${fake.baseURL}/`, apiKey: "k", signal })).toEqual(["gpt-4.1", "gpt-4o-mini"]);
    expect(await listProviderModels({ baseURL: fake.baseURL, apiKey: "wrong", signal })).toBeUndefined();
    expect(await listProviderModels({ baseURL: `${fake.url}/nothing`, apiKey: "k", signal })).toBeUndefined();
  });

  it("ignores entries without an id and answers that are not a list", async () => {
    const answer = (body: unknown): typeof fetch => async () => new Response(JSON.stringify(body), { status: 200 });
    const signal = AbortSignal.timeout(5_000);
    expect(await listProviderModels({ baseURL: "http://x/v1", signal, fetch: answer({ data: [{ id: "b" }, { name: "no id" }, { id: "a" }, { id: "b" }] }) })).toEqual(["a", "b"]);
    expect(await listProviderModels({ baseURL: "http://x/v1", signal, fetch: answer({ models: [] }) })).toBeUndefined();
  });
});
