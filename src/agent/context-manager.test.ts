import type { ModelMessage } from "ai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../core/config-schema.ts";
import type { Run } from "../core/domain.ts";
import { openSqliteStore } from "../store/index.ts";
import type { Store } from "../store/store.ts";
import type { ModelStreamEvent, ModelStreamer, ToolRunner } from "./agent-loop.ts";
import { fitContext, loadHistory, MEMORY_FLUSH_PROMPT, shrinkToWindow, type FitInput } from "./context-manager.ts";

const DM = "agent:main:telegram:dm:42";
const GROUP = "agent:main:telegram:group:-100";
const config = configSchema.parse({ models: { context_windows: { "p/m": 4_000 } } });
const usage = { inputTokens: 10, outputTokens: 5, cachedTokens: 0, costUsd: 0.001 };

/** A model that answers summaries with `summary` (or fails) and anything else with NO_REPLY, recording what it got. */
function fakeModel(summary: string | undefined): ModelStreamer & { calls: Array<{ system: string; last: string; budget?: unknown }> } {
  const calls: Array<{ system: string; last: string; budget?: unknown }> = [];
  return {
    calls,
    async *stream(req): AsyncIterable<ModelStreamEvent> {
      const last = req.messages.at(-1)!;
      calls.push({ system: req.system, last: typeof last.content === "string" ? last.content : JSON.stringify(last.content), ...(req.budget ? { budget: req.budget } : {}) });
      const isSummary = req.system.startsWith("You summarise");
      if (isSummary && summary === undefined) {
        yield { type: "failed", code: "server", message: "down" };
        return;
      }
      const text = isSummary ? summary! : "NO_REPLY";
      yield { type: "done", provider: "p", model: "m", finishReason: "stop", toolCalls: [], text, responseMessages: [{ role: "assistant", content: text }], usage };
    },
  };
}

const tools = (names: string[]): ToolRunner => ({
  specs: () => names.map((name) => ({ name, description: name, parameters: {} })),
  execute: async () => ({ text: "", isError: false, decision: "allow" }),
});

let store: Store;
beforeEach(async () => {
  store = await openSqliteStore({ path: ":memory:" });
});
afterEach(() => store.close());

async function seed(sessionKey: string, turns: number): Promise<FitInput> {
  await store.sessions.ensure({ key: sessionKey, agentId: "main", channel: "telegram" });
  for (let i = 0; i < turns; i++) {
    await store.transcript.append(sessionKey, `r${i}`, [
      { role: "user", content: { role: "user", content: `question ${i} ${"words ".repeat(40)}` } },
      { role: "assistant", content: { role: "assistant", content: `answer ${i} ${"words ".repeat(40)}` } },
    ]);
  }
  const loaded = await loadHistory(store, sessionKey);
  const run = { id: "now", sessionKey, attempt: 1 } as Run;
  return {
    run, agentId: "main", modelRef: "p/m", system: "You are helpful.", tools: tools(["read", "write"]), input: "next",
    history: loaded.rows.map((r) => ({ id: r.id, message: r.content as ModelMessage })), compaction: loaded.compaction, signal: new AbortController().signal,
  };
}

describe("fitContext", () => {
  it("sends a short history as it is, with no model call", async () => {
    const model = fakeModel("s");
    const fitted = await fitContext({ store, models: model, now: () => 1, config }, await seed(DM, 3));
    expect(fitted.messages).toHaveLength(6);
    expect(fitted.compacted).toBeUndefined();
    expect(model.calls).toEqual([]);
  });

  it("flushes memory, then summarises, saves the summary on the session and records the usage", async () => {
    const model = fakeModel("the summary");
    const fitted = await fitContext({ store, models: model, now: () => 1_000, config }, await seed(DM, 40));
    expect(model.calls[0]!.last).toBe(MEMORY_FLUSH_PROMPT);
    expect(model.calls.slice(1).every((c) => c.system.startsWith("You summarise"))).toBe(true);
    expect(fitted.compacted?.messages).toBeGreaterThan(0);
    expect(fitted.messages[0]).toEqual({ role: "user", content: "[Summary of the earlier conversation, written when it was compacted]\nthe summary" });
    expect(fitted.tokens).toBeLessThan(2_100);
    const session = await store.sessions.get(DM);
    expect(session?.compaction).toMatchObject({ summary: "the summary", at: 1_000 });
    expect((await store.usage.sessionTotal(DM)).inputTokens).toBe(10 * model.calls.length);
    expect(fitted.usage.inputTokens).toBe(10 * model.calls.length);
    // The next turn reads only what follows the compaction point.
    expect((await loadHistory(store, DM)).rows).toHaveLength(fitted.messages.length - 1);
  });

  it("names the payer on the flush and summary calls (budgets check them) and records its sender on their usage", async () => {
    const model = fakeModel("the summary");
    const payer = { runId: "now", sessionKey: DM, agentId: "main", sender: "telegram:42" };
    await fitContext({ store, models: model, now: () => 1_000, config }, { ...(await seed(DM, 40)), payer });
    expect(model.calls.length).toBeGreaterThan(1);
    expect(model.calls.every((c) => c.budget === payer)).toBe(true);
    expect((await store.usage.spend({ since: 0, sender: "telegram:42" })).calls).toBe(model.calls.length);
  });

  it("skips the memory flush in a group session and without a write tool", async () => {
    const group = fakeModel("s");
    await fitContext({ store, models: group, now: () => 1, config }, await seed(GROUP, 40));
    expect(group.calls.some((c) => c.last === MEMORY_FLUSH_PROMPT)).toBe(false);
    const readOnly = fakeModel("s");
    await fitContext({ store, models: readOnly, now: () => 1, config }, { ...(await seed(DM, 40)), tools: tools(["read"]) });
    expect(readOnly.calls.some((c) => c.last === MEMORY_FLUSH_PROMPT)).toBe(false);
  });

  it("leaves the stored compaction as it was when the summary fails, and still fits the turn", async () => {
    const model = fakeModel(undefined);
    const fitted = await fitContext({ store, models: model, now: () => 1, config }, await seed(DM, 40));
    expect((await store.sessions.get(DM))?.compaction).toBeUndefined();
    expect(fitted.compacted).toBeUndefined();
    expect(fitted.tokens).toBeLessThan(2_100);
    expect((await store.audit.list({ kind: "context.compaction" }))[0]).toMatchObject({ decision: "info" });
  });
});

describe("shrinkToWindow", () => {
  const big = (id: string): ModelMessage => ({
    role: "tool", content: [{ type: "tool-result", toolCallId: id, toolName: "read", output: { type: "text", value: `head ${id}\n${"y".repeat(6_000)}` } }],
  });
  const opts = { system: "s", tools: [], window: 4_000, config };

  it("shortens the oldest tool results of a run until the request fits, keeping the newest message whole", () => {
    const messages: ModelMessage[] = [{ role: "user", content: "go" }, big("a"), big("b"), big("c")];
    const out = shrinkToWindow(messages, opts);
    expect(JSON.stringify(out[1])).toContain("[older read result, 6007 chars, shortened");
    expect(JSON.stringify(out[2])).toContain("[older read result");
    expect(out[3]).toBe(messages[3]);
    expect(shrinkToWindow(messages.slice(0, 2), opts)).toEqual(messages.slice(0, 2));
  });
});
