import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, startFakeOpenAI } from "../../test/fakes/index.ts";
import type { FakeModelServer } from "../../test/fakes/index.ts";
import { modelsSchema } from "../core/config-schema.ts";
import type { ModelEvent, ModelRequest } from "./model-events.ts";
import { createModelRouter } from "./model-router.ts";
import type { ModelRouter } from "./model-router.ts";

const servers: FakeModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fakeOpenAI(apiKeys?: string[]): Promise<FakeModelServer> {
  const server = await startFakeOpenAI(apiKeys ? { apiKeys } : {});
  servers.push(server);
  return server;
}

async function makeRouter(models: unknown, opts: { now?: () => number } = {}): Promise<ModelRouter> {
  const stateDir = await mkdtemp(join(tmpdir(), "pincer-router-"));
  return createModelRouter({ config: modelsSchema.parse(models), stateDir, env: {}, ...opts });
}

async function collect(router: ModelRouter, req: Partial<ModelRequest> & { ref: string }): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  const full: ModelRequest = { system: "You are terse.", messages: [{ role: "user", content: "hi" }], tools: [], signal: new AbortController().signal, ...req };
  for await (const event of router.stream(full)) events.push(event);
  return events;
}

function last(events: ModelEvent[]): ModelEvent | undefined {
  return events[events.length - 1];
}

const terminal = (events: ModelEvent[]): ModelEvent[] => events.filter((e) => e.type === "done" || e.type === "failed");

/** Two OpenAI-shaped providers: `openai` (primary) and `backup` (fallback). */
async function twoProviders(extra: Record<string, unknown> = {}) {
  const primary = await fakeOpenAI();
  const backup = await fakeOpenAI();
  const router = await makeRouter({
    providers: {
      openai: { type: "openai", base_url: primary.baseURL, api_key: "sk-primary-key-0001" },
      backup: { type: "openai", base_url: backup.baseURL, api_key: "sk-backup-key-0002" },
    },
    tiers: { default: { primary: "openai/gpt-4o", fallbacks: ["backup/gpt-4o-mini"] } },
    ...extra,
  });
  return { primary, backup, router };
}

describe("model router: streaming", () => {
  it("streams text and reports usage with cost", async () => {
    const { primary, router } = await twoProviders();
    primary.enqueue({ text: "hello brave world", usage: { input: 1000, output: 200, cached: 400 } });
    const events = await collect(router, { ref: "default" });
    const deltas = events.filter((e) => e.type === "text_delta").map((e) => e.text);
    expect(deltas.join("")).toBe("hello brave world");
    expect(deltas.length).toBeGreaterThan(1);
    expect(last(events)).toMatchObject({
      type: "done",
      provider: "openai",
      model: "gpt-4o",
      finishReason: "stop",
      text: "hello brave world",
      usage: { inputTokens: 1000, outputTokens: 200, cachedTokens: 400 },
    });
    const done = last(events) as Extract<ModelEvent, { type: "done" }>;
    expect(done.usage.costUsd).toBeCloseTo((600 * 2.5 + 400 * 1.25 + 200 * 10) / 1e6, 12);
    expect(primary.requests[0]?.body.messages[0]).toEqual({ role: "system", content: "You are terse." });
  });

  it("returns tool calls with parsed args and the assistant message, without executing them", async () => {
    const { primary, router } = await twoProviders();
    primary.enqueue({ toolCalls: [{ name: "read_file", args: { path: "notes/a.md" }, id: "call_1" }] });
    const tools = [{ name: "read_file", description: "Read a file", parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] } }];
    const done = last(await collect(router, { ref: "openai/gpt-4o", tools }));
    expect(done).toMatchObject({
      type: "done",
      finishReason: "tool-calls",
      toolCalls: [{ id: "call_1", name: "read_file", args: { path: "notes/a.md" } }],
      responseMessages: [{ role: "assistant", content: [{ type: "tool-call", toolCallId: "call_1", toolName: "read_file", input: { path: "notes/a.md" } }] }],
    });
    expect(primary.requests[0]?.body.tools[0].function.name).toBe("read_file");
    expect(primary.requests).toHaveLength(1);
  });

  it("streams from Anthropic with cached-token usage", async () => {
    const fake = await startFakeAnthropic({ apiKeys: ["sk-ant-test-key-0003"] });
    servers.push(fake);
    const router = await makeRouter({ providers: { anthropic: { type: "anthropic", base_url: fake.baseURL, api_key: "sk-ant-test-key-0003" } } });
    fake.enqueue({ text: "bonjour tout le monde", usage: { input: 1000, output: 100, cached: 800 } });
    const events = await collect(router, { ref: "anthropic/claude-sonnet-4-5" });
    expect(events.filter((e) => e.type === "text_delta").map((e) => e.text).join("")).toBe("bonjour tout le monde");
    const done = last(events) as Extract<ModelEvent, { type: "done" }>;
    expect(done).toMatchObject({ type: "done", provider: "anthropic", finishReason: "stop", usage: { inputTokens: 1000, outputTokens: 100, cachedTokens: 800 } });
    expect(done.usage.costUsd).toBeCloseTo((200 * 3 + 800 * 0.3 + 100 * 15) / 1e6, 12);
    expect(fake.requests[0]?.body.system).toEqual([{ type: "text", text: "You are terse." }]);
  });

  it("sends an Anthropic OAuth token as a bearer token with auth_mode oauth", async () => {
    const fake = await startFakeAnthropic();
    servers.push(fake);
    const router = await makeRouter({
      providers: { anthropic: { type: "anthropic", base_url: fake.baseURL, api_key: "sk-ant-unused-key-0004", auth_token: "oauth-access-token-0005" } },
      tiers: { default: { primary: "anthropic/claude-haiku-4-5", auth_mode: "oauth" } },
    });
    expect(last(await collect(router, { ref: "default" }))).toMatchObject({ type: "done", text: "ok" });
    expect(fake.requests[0]?.headers.authorization).toBe("Bearer oauth-access-token-0005");
    expect(fake.requests[0]?.headers["x-api-key"]).toBeUndefined();
  });
});

describe("model router: failover", () => {
  it.each([
    [500, "server_error"],
    [429, "rate_limited"],
    [529, "server_error"],
  ] as const)("moves to the fallback after a %i", async (status, code) => {
    const { primary, backup, router } = await twoProviders();
    primary.enqueue({ error: { status, retryAfterSec: 2 } });
    backup.enqueue({ text: "from backup" });
    const events = await collect(router, { ref: "default" });
    expect(events[0]).toMatchObject({ type: "attempt_failed", provider: "openai", model: "gpt-4o", code });
    expect(last(events)).toMatchObject({ type: "done", provider: "backup", model: "gpt-4o-mini", text: "from backup" });
    expect(terminal(events)).toHaveLength(1);
  });

  it("fails over when no response starts within timeout_ms", async () => {
    const { primary, backup, router } = await twoProviders({ timeout_ms: 1_000 });
    primary.enqueue({ hang: true });
    backup.enqueue({ text: "late but fine" });
    const events = await collect(router, { ref: "default" });
    expect(events[0]).toMatchObject({ type: "attempt_failed", code: "timeout", message: "openai/gpt-4o: no response within 1000 ms (models.timeout_ms)" });
    expect(last(events)).toMatchObject({ type: "done", provider: "backup" });
  });

  it("fails over on a network error", async () => {
    const backup = await fakeOpenAI();
    const router = await makeRouter({
      providers: { down: { type: "openai", base_url: "http://127.0.0.1:9/v1", api_key: "k" }, backup: { type: "openai", base_url: backup.baseURL, api_key: "k" } },
      tiers: { fast: { primary: "down/m", fallbacks: ["backup/m"] } },
    });
    const events = await collect(router, { ref: "fast" });
    expect(events[0]).toMatchObject({ type: "attempt_failed", code: "network" });
    expect(last(events)).toMatchObject({ type: "done", provider: "backup" });
  });

  it("does not fail over a bad request", async () => {
    const { primary, backup, router } = await twoProviders();
    primary.enqueue({ error: { status: 400, message: "messages: bad shape" } });
    const events = await collect(router, { ref: "default" });
    expect(events).toEqual([{ type: "failed", code: "bad_request", message: "openai/gpt-4o: the provider refused the request (400): messages: bad shape" }]);
    expect(backup.requests).toHaveLength(0);
  });

  it("does not fail over once text reached the caller", async () => {
    const { primary, backup, router } = await twoProviders({ timeout_ms: 100 });
    primary.enqueue({ text: "one two three", chunkDelayMs: 1_000 });
    const events = await collect(router, { ref: "default" });
    expect(events.map((e) => e.type)).toEqual(["text_delta", "failed"]);
    expect(last(events)).toMatchObject({ code: "timeout" });
    expect(backup.requests).toHaveLength(0);
  });

  it("ends with a single failed carrying the most actionable message when all candidates fail", async () => {
    const backup = await fakeOpenAI();
    backup.enqueue({ error: { status: 503 } });
    const router = await makeRouter({
      providers: { backup: { type: "openai", base_url: backup.baseURL, api_key: "k" } },
      tiers: { default: { primary: "openai/gpt-4o", fallbacks: ["backup/gpt-4o-mini"], auth_mode: "api_key" } },
    });
    const events = await collect(router, { ref: "default" });
    expect(events.map((e) => e.type)).toEqual(["attempt_failed", "attempt_failed", "failed"]);
    expect(last(events)).toEqual({
      type: "failed",
      code: "missing_credential",
      message:
        `tier "default" (openai/gpt-4o): no API key for provider "openai" (auth_mode api_key). ` +
        `Fix: set OPENAI_API_KEY, or run 'pincer auth set openai', or add models.providers.openai.api_key (also failed: backup/gpt-4o-mini: server_error)`,
    });
  });

  it("fails before any request when a provider's api_key_env is unset, even against a server that ignores keys", async () => {
    const local = await fakeOpenAI(); // accepts any key, or none
    local.enqueue({ text: "should never be asked" });
    const router = await makeRouter({
      providers: { local: { type: "openai-compatible", base_url: local.baseURL, api_key_env: "OPENAI_KEY" } },
      tiers: { default: { primary: "local/gpt-4o-mini" } },
    });
    const events = await collect(router, { ref: "default" });
    expect(last(events)).toEqual({
      type: "failed",
      code: "missing_credential",
      message:
        `models.providers.local.api_key_env: OPENAI_KEY is not set (provider "local", tier "default" (local/gpt-4o-mini)). ` +
        `Fix: export OPENAI_KEY=<key>, or run 'pincer auth set local', or remove api_key_env for a keyless local server`,
    });
    await expect(router.preflight("default")).rejects.toMatchObject({ code: "missing_credential" });
    expect(local.requests).toHaveLength(0);
  });

  it("reports an unknown tier as failed instead of throwing", async () => {
    const router = await makeRouter({});
    const events = await collect(router, { ref: "complex" });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "failed", code: "unknown_provider" });
    expect(() => router.resolveCandidates("complex")).toThrow(/models.tiers.complex/);
  });

  it("ends with failed aborted when the caller cancels", async () => {
    const { primary, backup, router } = await twoProviders();
    primary.enqueue({ hang: true });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    const events = await collect(router, { ref: "default", signal: ctl.signal });
    expect(events).toEqual([{ type: "failed", code: "aborted", message: "openai/gpt-4o: cancelled" }]);
    expect(backup.requests).toHaveLength(0);
  });
});

describe("model router: key pool", () => {
  it("rotates past a rejected key and sticks to the good one", async () => {
    const fake = await fakeOpenAI(["sk-good-key-22222222"]);
    const router = await makeRouter({
      providers: { openai: { type: "openai", base_url: fake.baseURL, api_keys: ["sk-bad-key-11111111", "sk-good-key-22222222"] } },
    });
    const first = await collect(router, { ref: "openai/gpt-4o" });
    expect(first[0]).toMatchObject({ type: "attempt_failed", code: "auth_failed" });
    expect((first[0] as { message: string }).message).not.toContain("sk-bad-key-11111111");
    expect(last(first)).toMatchObject({ type: "done" });
    const second = await collect(router, { ref: "openai/gpt-4o" });
    expect(second.map((e) => e.type)).toEqual(["text_delta", "done"]);
    expect(fake.requests.map((r) => r.apiKey)).toEqual(["sk-bad-key-11111111", "sk-good-key-22222222", "sk-good-key-22222222"]);
  });

  it("skips a key on cooldown until the cooldown ends", async () => {
    const fake = await fakeOpenAI();
    let clock = 1_000_000;
    const router = await makeRouter(
      { providers: { openai: { type: "openai", base_url: fake.baseURL, api_keys: ["sk-key-a-111111111", "sk-key-b-222222222"] } }, auth_profile_cooldown_ms: 60_000 },
      { now: () => clock },
    );
    fake.enqueue({ error: { status: 429 } }, { text: "b" }, { error: { status: 429 } }, { text: "a" });
    expect(last(await collect(router, { ref: "openai/gpt-4o" }))).toMatchObject({ type: "done" }); // a: 429 → cooldown; b ok
    const second = await collect(router, { ref: "openai/gpt-4o" }); // b: 429; a is still cooling and skipped
    expect(second.map((e) => e.type)).toEqual(["attempt_failed", "failed"]);
    expect(last(second)).toMatchObject({ code: "rate_limited" });
    clock += 61_000;
    expect(last(await collect(router, { ref: "openai/gpt-4o" }))).toMatchObject({ type: "done", text: "a" });
    expect(fake.requests.map((r) => r.apiKey?.slice(0, 8))).toEqual(["sk-key-a", "sk-key-b", "sk-key-b", "sk-key-a"]);
  });
});
