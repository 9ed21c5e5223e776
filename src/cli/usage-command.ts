// `pincer usage`: tokens and cost by provider/model from the usage ledger.
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
    if (opts.json) return printJson({ since: since ?? null, models: priced, total: { ...total, priced: !unpriced.some } });
    if (rows.length === 0) {
      process.stdout.write("no model calls recorded yet\n");
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
  });
}
