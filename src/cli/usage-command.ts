// `pincer usage`: tokens and cost by provider/model from the usage ledger, and each configured budget's use this period.
import type { App } from "../app.ts";
import { parseDuration, printJson, renderTable } from "./output.ts";
import { withApp, type GlobalOptions } from "./cli-app.ts";
import { createPriceCheck, formatCost } from "./cost-text.ts";

export async function usageCommand(g: GlobalOptions, opts: { since?: string; session?: string; json?: boolean }): Promise<void> {
  const since = opts.since ? Date.now() - parseDuration(opts.since, "--since") : undefined;
  await withApp(g, async (app) => {
    const rows = await app.store.usage.totals({ ...(since ? { since } : {}), ...(opts.session ? { sessionKey: opts.session } : {}) });
    const total = rows.reduce(
      (t, r) => ({ calls: t.calls + r.calls, inputTokens: t.inputTokens + r.inputTokens, outputTokens: t.outputTokens + r.outputTokens, cachedTokens: t.cachedTokens + r.cachedTokens, costUsd: t.costUsd + r.costUsd }),
      { calls: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 },
    );
    // A model without a price costs "unknown", not $0 (its calls are counted, not billed here).
    const isPriced = createPriceCheck(app.config);
    const priced = rows.map((r) => ({ ...r, priced: isPriced(r) }));
    const unpriced = { some: priced.some((r) => !r.priced), all: priced.length > 0 && priced.every((r) => !r.priced) };
    const budgets = await loadBudgets(app, opts.session);
    if (opts.json) return printJson({ since: since ?? null, models: priced, total: { ...total, priced: !unpriced.some }, budgets: budgets?.json ?? [] });
    if (rows.length === 0) {
      process.stdout.write("no model calls recorded yet\n");
      if (budgets) process.stdout.write(`\n${budgets.text}\n`);
      return;
    }
    const fmt = (r: typeof total, cost: string): string[] => [String(r.calls), String(r.inputTokens), String(r.cachedTokens), String(r.outputTokens), cost];
    const table = renderTable(
      ["MODEL", "CALLS", "INPUT", "CACHED", "OUTPUT", "COST"],
      [...priced.map((r) => [`${r.provider}/${r.model}`, ...fmt(r, formatCost(r.costUsd, { some: !r.priced, all: !r.priced }))]), ["total", ...fmt(total, formatCost(total.costUsd, unpriced))]],
    );
    process.stdout.write(`${table}\n`);
    for (const r of priced.filter((row) => !row.priced)) {
      process.stdout.write(`unknown price for ${r.provider}/${r.model}: set models.prices["${r.provider}/${r.model}"] to { input: …, output: … } (USD per 1M tokens) to count it\n`);
    }
    if (budgets) process.stdout.write(`\n${budgets.text}\n`);
  });
}

/** The budgets table and JSON (session budgets for `session`, else their top spenders); undefined without budgets. */
async function loadBudgets(app: App, session: string | undefined): Promise<{ text: string; json: unknown[] } | undefined> {
  if (app.config.budgets.length === 0) return undefined;
  const { budgetStatusJson, describeReset, describeUse, listBudgets } = await import("../models/budget-status.ts");
  const listings = await listBudgets(app.store, app.config.budgets, { now: Date.now(), ...(session ? { session } : {}) });
  const rows: string[][] = [];
  for (const l of listings) {
    const head = [l.budget.scope, l.budget.period, l.budget.action === "downgrade" ? `downgrade to ${l.budget.downgrade_to}` : l.budget.action];
    if (l.statuses.length === 0) rows.push([...head, l.topConsumers ? "no session spent anything this period" : "-", ""]);
    for (const s of l.statuses) rows.push([...head, `${l.budget.scope === "session" ? `${s.filter.sessionKey}: ` : ""}${describeUse(s)}`, describeReset(s)]);
  }
  const note = listings.some((l) => l.topConsumers) ? "\nsession budgets: the sessions that spent most this period (--session <key> for one)" : "";
  return {
    text: `${renderTable(["BUDGET", "PERIOD", "ACTION", "USED", "RESETS"], rows)}${note}`,
    json: listings.map((l) => ({ index: l.index, ...l.budget, topConsumers: l.topConsumers, statuses: l.statuses.map(budgetStatusJson) })),
  };
}
