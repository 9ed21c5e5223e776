// Budget status: which budgets apply to a payer, what each has spent in its current period (one usage query per
// budget), and how that reads. Shared by the guard, `/usage`, `pincer usage` and the budgets API; decides nothing.
import type { BudgetConfig } from "../core/automation-config.ts";
import type { Spend } from "../core/domain.ts";
import type { Store } from "../store/store.ts";
import { budgetWindow, formatResetTime } from "./budget-period.ts";
import type { BudgetPayer } from "./model-events.ts";

/** The share of a limit at which `warn` budgets send their first notice. */
export const WARN_AT = 0.8;

/** One budget as it applies to one subject (the instance, an agent, a session or a sender). */
export interface BudgetMatch {
  /** Position in `budgets` (config order). */
  index: number;
  budget: BudgetConfig;
  /** What it is measured for: the scope, with the session key for `session` (each session has its own cap). */
  subject: string;
  /** The usage filter of that subject. */
  filter: { agentId?: string; sessionKey?: string; sender?: string };
}

export interface BudgetStatus extends BudgetMatch {
  /** The current period, epoch ms: spend counts from `periodStart`; the budget resets at `resetsAt`. */
  periodStart: number;
  resetsAt: number;
  spend: Spend;
  /** The larger of tokens / max_tokens and USD / max_usd (1 = the limit is reached). */
  used: number;
  /** A limit is reached: the next call is over it. */
  over: boolean;
}

/** The budgets that apply to a payer: `instance` always, the others when the payer has the field they name. */
export function matchBudgets(budgets: readonly BudgetConfig[], payer: BudgetPayer): BudgetMatch[] {
  const out: BudgetMatch[] = [];
  budgets.forEach((budget, index) => {
    const match = matchOne(budget, payer);
    if (match) out.push({ index, budget, ...match });
  });
  return out;
}

function matchOne(budget: BudgetConfig, payer: BudgetPayer): Pick<BudgetMatch, "subject" | "filter"> | undefined {
  const { scope } = budget;
  if (scope === "instance") return { subject: "instance", filter: {} };
  if (scope === "session") return payer.sessionKey ? { subject: `session ${payer.sessionKey}`, filter: { sessionKey: payer.sessionKey } } : undefined;
  if (scope.startsWith("agent:")) {
    const agentId = scope.slice("agent:".length);
    return payer.agentId === agentId ? { subject: scope, filter: { agentId } } : undefined;
  }
  const sender = scope.slice("sender:".length);
  return payer.sender === sender ? { subject: scope, filter: { sender } } : undefined;
}

/** Each match's spend in its current period: one `usage.spend` query per distinct (filter, period start). */
export async function measureBudgets(store: Store, matches: readonly BudgetMatch[], now: number): Promise<BudgetStatus[]> {
  const queries = new Map<string, Promise<Spend>>();
  return Promise.all(matches.map(async (match) => {
    const window = budgetWindow(now, match.budget);
    const key = JSON.stringify([match.filter, window.start]);
    let spend = queries.get(key);
    if (!spend) {
      spend = store.usage.spend({ since: window.start, ...match.filter });
      queries.set(key, spend);
    }
    return toStatus(match, await spend, window.start, window.end);
  }));
}

function toStatus(match: BudgetMatch, spend: Spend, periodStart: number, resetsAt: number): BudgetStatus {
  const { max_tokens: maxTokens, max_usd: maxUsd } = match.budget;
  const shares = [maxTokens !== undefined ? spend.tokens / maxTokens : 0, maxUsd !== undefined ? spend.costUsd / maxUsd : 0];
  const used = Math.max(...shares);
  return { ...match, periodStart, resetsAt, spend, used, over: used >= 1 };
}

const PERIOD_WORD = { day: "daily", month: "monthly" } as const;
const tokens = (n: number): string => Math.round(n).toLocaleString("en-US");
const usd = (n: number): string => `$${n.toFixed(n >= 100 ? 0 : 2)}`;
const percent = (share: number): string => `${Math.floor(share * 100)}%`;

/** `the daily budget of agent:main`, `the monthly budget of this conversation`. */
export function budgetTitle(s: Pick<BudgetMatch, "budget">): string {
  const { scope, period } = s.budget;
  const whose = scope === "session" ? "this conversation (session)" : scope === "instance" ? "this assistant (instance)" : scope;
  return `the ${PERIOD_WORD[period]} budget of ${whose}`;
}

/** `8,000 of 10,000 tokens (80%), $0.12 of $1.00 (12%; 3 calls at unknown price not counted)`. */
export function describeUse(s: BudgetStatus): string {
  const parts: string[] = [];
  const { max_tokens: maxTokens, max_usd: maxUsd } = s.budget;
  if (maxTokens !== undefined) parts.push(`${tokens(s.spend.tokens)} of ${tokens(maxTokens)} tokens (${percent(s.spend.tokens / maxTokens)})`);
  if (maxUsd !== undefined) {
    const unknown = s.spend.unpricedCalls > 0 ? `; ${s.spend.unpricedCalls} call(s) at unknown price not counted` : "";
    parts.push(`${usd(s.spend.costUsd)} of ${usd(maxUsd)} (${percent(s.spend.costUsd / maxUsd)}${unknown})`);
  }
  return parts.join(", ");
}

/** When the budget starts again, in its own time zone. */
export function describeReset(s: Pick<BudgetStatus, "resetsAt" | "budget">): string {
  return formatResetTime(s.resetsAt, s.budget.tz);
}

/** The message of a call a `block` budget refused: which budget, its limit and use, and when it resets. */
export function blockedMessage(s: BudgetStatus): string {
  const title = budgetTitle(s);
  return `Budget exceeded: ${title[0]!.toUpperCase()}${title.slice(1)} is used up: ${describeUse(s)}. ` +
    `No model was called. It resets on ${describeReset(s)}.`;
}

/** One line of `/usage` and `pincer usage`: `agent:main, daily, block: 8,000 of 10,000 tokens (80%); resets …`. */
export function describeStatus(s: BudgetStatus): string {
  const scope = s.budget.scope === "session" ? "this conversation" : s.budget.scope;
  return `${scope}, ${PERIOD_WORD[s.budget.period]}, ${s.budget.action}: ${describeUse(s)}; resets ${describeReset(s)}`;
}

/** A budget as listed by `pincer usage` and the API: measured once, or per session (the given one, or the top spenders). */
export interface BudgetListing {
  index: number;
  budget: BudgetConfig;
  /** Instance, agent and sender budgets: their one status. Session budgets: one per session shown. */
  statuses: BudgetStatus[];
  /** Session budgets without a session asked for: the statuses are the sessions that spent most this period. */
  topConsumers: boolean;
}

/** Most recently active sessions considered for a session budget's top spenders. */
const RECENT_SESSIONS = 20;

/**
 * Every budget with its use. Session budgets are measured for `opts.session` when given, else for the most recently
 * active sessions (up to 20 usage queries), of which the top `top` spenders are kept.
 */
export async function listBudgets(store: Store, budgets: readonly BudgetConfig[], opts: { now: number; session?: string; top?: number }): Promise<BudgetListing[]> {
  const top = opts.top ?? 5;
  let recent: string[] | undefined;
  const out: BudgetListing[] = [];
  for (const [index, budget] of budgets.entries()) {
    if (budget.scope !== "session") {
      const payer: BudgetPayer = { ...(budget.scope.startsWith("agent:") ? { agentId: budget.scope.slice(6) } : {}), ...(budget.scope.startsWith("sender:") ? { sender: budget.scope.slice(7) } : {}) };
      const [match] = matchBudgets([budget], payer);
      out.push({ index, budget, statuses: await measureBudgets(store, [{ ...match!, index }], opts.now), topConsumers: false });
      continue;
    }
    if (opts.session !== undefined) {
      const matches = matchBudgets([budget], { sessionKey: opts.session }).map((m) => ({ ...m, index }));
      out.push({ index, budget, statuses: await measureBudgets(store, matches, opts.now), topConsumers: false });
      continue;
    }
    recent ??= (await store.sessions.list({ limit: RECENT_SESSIONS })).map((s) => s.key);
    const matches = recent.flatMap((sessionKey) => matchBudgets([budget], { sessionKey }).map((m) => ({ ...m, index })));
    const statuses = (await measureBudgets(store, matches, opts.now)).filter((s) => s.spend.calls > 0).sort((a, b) => b.used - a.used).slice(0, top);
    out.push({ index, budget, statuses, topConsumers: true });
  }
  return out;
}

/** A status as JSON for the API and `pincer usage --json`. */
export function budgetStatusJson(s: BudgetStatus): Record<string, unknown> {
  return {
    subject: s.subject, periodStart: s.periodStart, resetsAt: s.resetsAt, resetsAtText: describeReset(s),
    tokens: s.spend.tokens, costUsd: s.spend.costUsd, calls: s.spend.calls, unpricedCalls: s.spend.unpricedCalls,
    used: s.used, over: s.over,
  };
}
