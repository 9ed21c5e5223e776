// The budget guard: before a model call, the budgets matching its payer are measured against the usage ledger and
// the call is refused (`block`), sent on with a notice (`warn`) or sent to another model (`downgrade`). It does not
// record usage (the agent does, after the call) and cannot stop calls already in flight.
import { randomUUID } from "node:crypto";
import type { BudgetConfig } from "../core/automation-config.ts";
import type { Store } from "../store/store.ts";
import { blockedMessage, budgetTitle, describeReset, describeUse, matchBudgets, measureBudgets, WARN_AT, type BudgetStatus } from "./budget-status.ts";
import type { BudgetPayer, ModelEvent, ModelRequest } from "./model-events.ts";

/** What the guard logs (a child of the app's logger). */
export interface BudgetLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export interface BudgetGuardOptions {
  store: Store;
  /** The live `budgets` (read on every call: the config may reload). */
  budgets: () => readonly BudgetConfig[];
  now: () => number;
  log: BudgetLog;
}

/** The outcome of a check: the ref to call (the requested one, or a `downgrade_to`), or the refusal. */
export type BudgetDecision = { ref: string } | { blocked: BudgetStatus; message: string };

export interface BudgetGuard {
  /** Measures the budgets matching `payer` and decides; sends warn notices and writes audits on the way. Throws only
   * when the store does. */
  check(payer: BudgetPayer, ref: string): Promise<BudgetDecision>;
  /**
   * Streams `req` through `next` once the check passes (with the downgraded ref when a `downgrade` budget is over).
   * Contract: never throws; a refused call ends with one `failed` event (`budget_exceeded`) and `next` is not called;
   * a check the store cannot answer refuses the call too (it fails closed).
   */
  stream(req: ModelRequest, next: (req: ModelRequest) => AsyncIterable<ModelEvent>): AsyncIterable<ModelEvent>;
}

export function createBudgetGuard(opts: BudgetGuardOptions): BudgetGuard {
  const { store, log } = opts;

  // Keys this process has claimed or seen claimed: later calls of the period skip the store.
  const seen = new Set<string>();
  /** Claims a once-per-period key across processes: true for exactly one claimant. */
  const claimOnce = async (key: string): Promise<boolean> => {
    if (seen.has(key)) return false;
    if (seen.size >= 10_000) seen.clear();
    seen.add(key);
    try {
      const { claimed } = await store.deliveries.claim(key, `budget:${randomUUID()}`);
      if (claimed) await store.deliveries.complete(key, {});
      return claimed;
    } catch (err) {
      seen.delete(key); // the next call tries again
      throw err;
    }
  };
  const onceKey = (s: BudgetStatus, what: string): string => `budget:${s.index}:${s.subject}:${s.periodStart}:${what}`;

  const audit = (s: BudgetStatus, payer: BudgetPayer, what: { kind: string; decision: "deny" | "info"; reason: string; detail?: object }) =>
    store.audit.write({
      at: opts.now(), kind: what.kind, decision: what.decision, runId: payer.runId, sessionKey: payer.sessionKey, tool: undefined, reason: what.reason,
      detail: { budget: s.index, scope: s.budget.scope, subject: s.subject, period: s.budget.period, periodStart: s.periodStart, resetsAt: s.resetsAt, tokens: s.spend.tokens, costUsd: s.spend.costUsd, ...what.detail },
    });

  /** A `warn` budget at 80 % or 100 %: one notice per threshold and period, in the payer's chat when it has one. */
  const warn = async (s: BudgetStatus, payer: BudgetPayer): Promise<void> => {
    const threshold = s.over ? 100 : 80;
    if (!(await claimOnce(onceKey(s, String(threshold))))) return;
    const title = budgetTitle(s);
    const text = s.over
      ? `⚠️ Budget notice: ${title} is used up: ${describeUse(s)}. Replies go on (action: warn). It resets on ${describeReset(s)}.`
      : `⚠️ Budget notice: ${threshold}% of ${title} is used: ${describeUse(s)}. It resets on ${describeReset(s)}.`;
    log.warn({ budget: s.index, scope: s.budget.scope, subject: s.subject, threshold, tokens: s.spend.tokens, costUsd: s.spend.costUsd }, "budget warning");
    await audit(s, payer, { kind: "budget.warn", decision: "info", reason: `${threshold}% of ${title}`, detail: { threshold } });
    const route = payer.origin;
    if (route) await store.notices.enqueue({ channel: route.channel, account: route.account, chatId: route.chatId, text });
  };

  const check = async (payer: BudgetPayer, ref: string): Promise<BudgetDecision> => {
    const matches = matchBudgets(opts.budgets(), payer);
    if (matches.length === 0) return { ref };
    const statuses = await measureBudgets(store, matches, opts.now());
    const blocked = statuses.find((s) => s.budget.action === "block" && s.over);
    if (blocked) {
      const message = blockedMessage(blocked);
      await audit(blocked, payer, { kind: "budget.block", decision: "deny", reason: `${budgetTitle(blocked)} is used up; no model was called` });
      return { blocked, message };
    }
    let chosen = ref;
    for (const s of statuses) {
      if (s.budget.action === "warn" && s.used >= WARN_AT) {
        // A notice that cannot be sent never stops the call.
        await warn(s, payer).catch((err: unknown) => log.warn({ err, budget: s.index }, "budget notice failed"));
      } else if (s.budget.action === "downgrade" && s.over && chosen === ref) {
        chosen = s.budget.downgrade_to;
        if (await claimOnce(onceKey(s, "downgrade"))) {
          log.info({ budget: s.index, scope: s.budget.scope, subject: s.subject, from: ref, to: chosen }, "budget over: calls downgraded");
          await audit(s, payer, { kind: "budget.downgrade", decision: "info", reason: `${budgetTitle(s)} is used up; calls use ${chosen} until it resets`, detail: { from: ref, to: chosen } });
        }
      }
    }
    return { ref: chosen };
  };

  async function* stream(req: ModelRequest, next: (req: ModelRequest) => AsyncIterable<ModelEvent>): AsyncGenerator<ModelEvent> {
    let decision: BudgetDecision;
    try {
      decision = await check(req.budget ?? {}, req.ref);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      yield { type: "failed", code: "budget_exceeded", message: `The spend budgets could not be checked (${detail}), so no model was called. Fix: check the store with 'pincer doctor'.` };
      return;
    }
    if ("blocked" in decision) {
      yield { type: "failed", code: "budget_exceeded", message: decision.message };
      return;
    }
    yield* next(decision.ref === req.ref ? req : { ...req, ref: decision.ref });
  }

  return { check, stream };
}
