// How a cost reads in CLI tables: `$0.0123`, or `unknown price` when the model has no price (built in or under
// models.prices), so an unpriced model's $0 is never mistaken for a free call.
import type { PincerConfig, ProviderType } from "../core/config-schema.ts";
import type { UsageTotals } from "../core/domain.ts";
import { findPrice, mergePrices } from "../models/prices.ts";
import { findProviderConfig } from "../models/presets.ts";

/** Whether a ledger row's cost is known: it was priced when recorded, or its model has a price now. */
export function createPriceCheck(config: PincerConfig): (row: Pick<UsageTotals, "provider" | "model" | "costUsd">) => boolean {
  const prices = mergePrices(config.models.prices);
  return (row) => {
    if (row.costUsd > 0) return true;
    // A provider no longer configured is looked up by its id alone ("openai-compatible/…" names no price).
    let providerType: ProviderType = "openai-compatible";
    try {
      providerType = findProviderConfig(config.models.providers, row.provider, `${row.provider}/${row.model}`).type;
    } catch {
      // unknown provider: keep the neutral type
    }
    return findPrice(prices, { providerId: row.provider, providerType, modelId: row.model }) !== undefined;
  };
}

/** The cost of one row, or of a sum of which `unpriced` rows had no price. */
export function formatCost(costUsd: number, unpriced: { some: boolean; all: boolean }): string {
  if (unpriced.all) return "unknown price";
  return `$${costUsd.toFixed(4)}${unpriced.some ? " + unknown" : ""}`;
}
