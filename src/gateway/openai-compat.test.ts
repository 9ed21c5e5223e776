// Pure OpenAI wire mapping: request validation messages, model ids, last user text, outcome → response and error status.
import { describe, expect, it } from "vitest";
import type { RunOutcome } from "../agent/run-agent.ts";
import { agentIdOfModel, lastUserText, parseChatRequest, toChatCompletion, toRunError } from "./openai-compat.ts";

const outcome = (patch: Partial<RunOutcome> = {}): RunOutcome => ({
  runId: "run_1",
  status: "succeeded",
  reply: "hi",
  usage: { inputTokens: 10, outputTokens: 5, cachedTokens: 2, costUsd: 0 },
  model: "fake/m",
  errorCode: undefined,
  error: undefined,
  ...patch,
});

describe("parseChatRequest", () => {
  it("names the first bad field with its path", () => {
    expect(parseChatRequest({ messages: [{ role: "user", content: "x" }] })).toMatchObject({ ok: false, field: "model", message: "model: is required" });
    expect(parseChatRequest({ model: "pincer", messages: [] })).toMatchObject({ ok: false, field: "messages" });
    expect(parseChatRequest({ model: "pincer", messages: [{ role: "user", content: 3 }] })).toMatchObject({ ok: false, field: "messages[0].content" });
    expect(parseChatRequest({ model: "pincer", messages: [{ role: "user", content: "x" }], stream: "yes" })).toMatchObject({ ok: false, field: "stream" });
  });

  it("accepts text parts and unknown extra fields", () => {
    const r = parseChatRequest({ model: "pincer", temperature: 0.2, messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }] });
    expect(r.ok && lastUserText(r.request)).toBe("a\nb");
  });
});

describe("agentIdOfModel", () => {
  it("maps pincer and pincer/<id>; anything else is not ours", () => {
    expect(agentIdOfModel("pincer", "default")).toBe("default");
    expect(agentIdOfModel("pincer/ops", "default")).toBe("ops");
    expect(agentIdOfModel("gpt-4o", "default")).toBeUndefined();
    expect(agentIdOfModel("pincer/", "default")).toBeUndefined();
  });
});

describe("outcome mapping", () => {
  it("builds a chat.completion with usage including cached tokens", () => {
    const body = toChatCompletion(outcome(), { model: "pincer", created: 1 });
    expect(body.id).toBe("chatcmpl-run_1");
    expect(body.choices[0]?.message).toEqual({ role: "assistant", content: "hi" });
    expect(body.usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 2 } });
  });

  it("maps failures to 503 / 502 / 500 / 409", () => {
    const status = (p: Partial<RunOutcome>) => toRunError(outcome({ status: "failed", error: "x", ...p })).status;
    expect(status({ errorCode: "missing_credential" })).toBe(503);
    expect(status({ errorCode: "rate_limited" })).toBe(502);
    expect(status({ errorCode: "internal" })).toBe(500);
    expect(status({ status: "cancelled", errorCode: undefined })).toBe(409);
  });
});
