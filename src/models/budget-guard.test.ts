import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { budgetSchema, type BudgetConfig } from "../core/automation-config.ts";
import type { UsageRecord } from "../core/domain.ts";
import { openSqliteStore } from "../store/index.ts";
import type { Store } from "../store/store.ts";
import { createBudgetGuard, type BudgetGuard } from "./budget-guard.ts";
import type { BudgetPayer, ModelEvent, ModelRequest } from "./model-events.ts";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const ROUTE = { channel: "telegram", account: "main", chatKind: "dm" as const, chatId: "42", senderId: "42" };
const ANN: BudgetPayer = { runId: "r1", sessionKey: "agent:main:telegram:dm:42", agentId: "main", sender: "telegram:42", origin: ROUTE };

let store: Store;
let clock: number;
let budgets: BudgetConfig[];
let guard: BudgetGuard;
let calls: string[];
const logged: string[] = [];

beforeEach(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  clock = T0;
  calls = [];
  logged.length = 0;
  budgets = [];
  const log = { warn: (_: object, m: string) => void logged.push(m), info: (_: object, m: string) => void logged.push(m) };
  guard = createBudgetGuard({ store, budgets: () => budgets, now: () => clock, log });
});
afterEach(() => store.close());

const budget = (input: Record<string, unknown>): BudgetConfig => budgetSchema.parse(input);

async function spend(tokens: number, extra: Partial<UsageRecord> = {}): Promise<void> {
  await store.usage.record({
    runId: "r0", sessionKey: ANN.sessionKey, agentId: "main", sender: "telegram:42", provider: "p", model: "m",
    inputTokens: tokens, outputTokens: 0, cachedTokens: 0, costUsd: 0, at: clock - 1, ...extra,
  });
}

/** One call through the guard; the fake provider records the ref it was asked for. */
async function call(payer: BudgetPayer = ANN, ref = "default"): Promise<ModelEvent[]> {
  const next = async function* (req: ModelRequest): AsyncGenerator<ModelEvent> {
    calls.push(req.ref);
    yield { type: "failed", code: "aborted", message: "test" };
  };
  const events: ModelEvent[] = [];
  const req: ModelRequest = { ref, system: "", messages: [], tools: [], signal: new AbortController().signal, budget: payer };
  for await (const e of guard.stream(req, next)) events.push(e);
  return events;
}

describe("budget guard", () => {
  it("blocks a call once a max_tokens budget is used up, naming the budget, its use and the reset", async () => {
    budgets = [budget({ scope: "agent:main", period: "day", max_tokens: 1_000, action: "block" })];
    await spend(999);
    await call();
    expect(calls).toHaveLength(1);
    await spend(1);
    const [event] = await call();
    expect(calls).toHaveLength(1);
    expect(event).toEqual({
      type: "failed", code: "budget_exceeded",
      message: "Budget exceeded: The daily budget of agent:main is used up: 1,000 of 1,000 tokens (100%). No model was called. It resets on 2 Dec 2026, 00:00 (UTC).",
    });
    expect(await store.audit.list({ kind: "budget.block" })).toHaveLength(1);
  });

  it("counts only the current period: the next day (in the budget's zone) starts from zero", async () => {
    budgets = [budget({ scope: "instance", max_tokens: 100, tz: "Asia/Tokyo" })];
    await spend(100);
    expect((await call())[0]).toMatchObject({ code: "budget_exceeded", message: expect.stringContaining("resets on 2 Dec 2026, 00:00 (Asia/Tokyo)") });
    clock = Date.parse("2026-12-01T15:00:00Z"); // 00:00 on 2 Dec in Tokyo
    await call();
    expect(calls).toHaveLength(1);
  });

  it("applies session, agent and sender budgets only to their own payers", async () => {
    budgets = [
      budget({ scope: "session", max_tokens: 50 }),
      budget({ scope: "agent:helper", max_tokens: 1 }),
      budget({ scope: "sender:telegram:7", max_tokens: 1 }),
    ];
    await spend(50);
    expect((await call())[0]).toMatchObject({ code: "budget_exceeded", message: expect.stringContaining("this conversation (session)") });
    // Another session of the same agent and sender has its own cap; the helper and sender 7 budgets do not match it.
    await call({ ...ANN, sessionKey: "agent:main:telegram:dm:other" });
    expect(calls).toHaveLength(1);
    await spend(5, { sessionKey: "x", agentId: "helper", sender: "telegram:7" });
    expect((await call({ agentId: "helper" }))[0]).toMatchObject({ message: expect.stringContaining("agent:helper") });
    expect((await call({ sender: "telegram:7" }))[0]).toMatchObject({ message: expect.stringContaining("sender:telegram:7") });
    expect(calls).toHaveLength(1);
  });

  it("with max_usd, counts unpriced calls at $0 and says so", async () => {
    budgets = [budget({ scope: "instance", max_usd: 1 })];
    await spend(10_000);
    await spend(10, { costUsd: 1 });
    expect((await call())[0]).toMatchObject({ message: expect.stringContaining("$1.00 of $1.00 (100%; 1 call(s) at unknown price not counted)") });
  });

  it("warns at 80 % and at 100 %, once each per period, in the payer's chat, and lets the calls through", async () => {
    budgets = [budget({ scope: "sender:telegram:42", max_tokens: 100, action: "warn" })];
    await spend(79);
    await call();
    await spend(1);
    await call();
    await call();
    await spend(20);
    await call();
    await call();
    expect(calls).toHaveLength(5);
    const notices = await store.notices.pending("telegram", "main");
    expect(notices.map((n) => n.text)).toEqual([
      "⚠️ Budget notice: 80% of the daily budget of sender:telegram:42 is used: 80 of 100 tokens (80%). It resets on 2 Dec 2026, 00:00 (UTC).",
      "⚠️ Budget notice: the daily budget of sender:telegram:42 is used up: 100 of 100 tokens (100%). Replies go on (action: warn). It resets on 2 Dec 2026, 00:00 (UTC).",
    ]);
    expect(notices[0]!.chatId).toBe("42");
    expect((await store.audit.list({ kind: "budget.warn" })).map((a) => a.reason)).toEqual([
      "100% of the daily budget of sender:telegram:42", "80% of the daily budget of sender:telegram:42",
    ]);
    expect(logged.filter((m) => m === "budget warning")).toHaveLength(2);
    clock += 86_400_000;
    await spend(80);
    await call();
    expect(await store.notices.pending("telegram", "main")).toHaveLength(3);
  });

  it("downgrades over the limit to downgrade_to, audited once per period", async () => {
    budgets = [budget({ scope: "instance", max_tokens: 10, action: "downgrade", downgrade_to: "fast" })];
    await call(ANN, "complex");
    await spend(10);
    await call(ANN, "complex");
    await call(ANN, "complex");
    expect(calls).toEqual(["complex", "fast", "fast"]);
    expect(await store.audit.list({ kind: "budget.downgrade" })).toHaveLength(1);
  });

  it("checks instance budgets for a call without a payer, and fails closed when the store cannot answer", async () => {
    budgets = [budget({ scope: "instance", max_tokens: 10 })];
    await spend(10);
    expect((await call({}))[0]).toMatchObject({ code: "budget_exceeded" });
    await store.close();
    expect((await call())[0]).toMatchObject({ code: "budget_exceeded", message: expect.stringMatching(/^The spend budgets could not be checked/) });
    expect(calls).toHaveLength(0);
    store = await openSqliteStore({ path: ":memory:" });
  });
});
