// `pincer usage`: tokens and cost by provider/model from the usage ledger.
import { parseDuration, printJson, renderTable } from "./output.ts";
import { withApp, type GlobalOptions } from "./cli-app.ts";

export async function usageCommand(g: GlobalOptions, opts: { since?: string; session?: string; json?: boolean }): Promise<void> {
  const since = opts.since ? Date.now() - parseDuration(opts.since, "--since") : undefined;
  await withApp(g, async (app) => {
    const rows = await app.store.usage.totals({ ...(since ? { since } : {}), ...(opts.session ? { sessionKey: opts.session } : {}) });
    const total = rows.reduce(
      (t, r) => ({ calls: t.calls + r.calls, inputTokens: t.inputTokens + r.inputTokens, outputTokens: t.outputTokens + r.outputTokens, cachedTokens: t.cachedTokens + r.cachedTokens, costUsd: t.costUsd + r.costUsd }),
      { calls: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 },
    );
    if (opts.json) return printJson({ since: since ?? null, models: rows, total });
    if (rows.length === 0) {
      process.stdout.write("no model calls recorded yet\n");
      return;
    }
    const fmt = (r: typeof total): string[] => [String(r.calls), String(r.inputTokens), String(r.cachedTokens), String(r.outputTokens), `$${r.costUsd.toFixed(4)}`];
    const table = renderTable(
      ["MODEL", "CALLS", "INPUT", "CACHED", "OUTPUT", "COST"],
      [...rows.map((r) => [`${r.provider}/${r.model}`, ...fmt(r)]), ["total", ...fmt(total)]],
    );
    process.stdout.write(`${table}\n`);
  });
}
