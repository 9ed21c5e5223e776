// Turns a model ref (tier name or `provider/model`) into the ordered candidates to try.
// A tier yields only its own primary + fallbacks (tiers named inside it expand in place); never another tier.
import { TIER_NAMES } from "../core/config-schema.ts";
import type { AuthMode, PincerConfig, ProviderConfig, TierName } from "../core/config-schema.ts";
import { ConfigError } from "../core/errors.ts";
import { findProviderConfig, splitModelRef } from "./presets.ts";
import { ownEntry } from "../core/own-entry.ts";

export interface Candidate {
  /** `provider/model` */
  ref: string;
  providerId: string;
  modelId: string;
  /** Configured or implicit, with `type` and `preset` filled in. */
  providerConfig: ProviderConfig;
  authMode: AuthMode;
  /** For messages: `tier "default" (openai/gpt-4o)` or `model "openai/gpt-4o"`. */
  origin: string;
}

type ModelsConfig = PincerConfig["models"];

function isTierName(ref: string): ref is TierName {
  return (TIER_NAMES as readonly string[]).includes(ref);
}

/**
 * Candidates for a ref, in failover order, without duplicates. Contract: throws ConfigError (naming the
 * key path and the fix) for an unconfigured tier, an unknown provider, or a malformed ref.
 */
export function resolveCandidates(config: ModelsConfig, ref: string): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = (candidate: Candidate): void => {
    if (seen.has(candidate.ref)) return;
    seen.add(candidate.ref);
    out.push(candidate);
  };
  if (isTierName(ref)) expandTier(config, ref, [], add);
  else add(toCandidate(config, ref, "auto", `model "${ref}"`, "model"));
  return out;
}

function expandTier(config: ModelsConfig, tierName: TierName, path: TierName[], add: (c: Candidate) => void): void {
  const tier = ownEntry(config.tiers, tierName);
  if (!tier) {
    const configured = Object.keys(config.tiers);
    throw new ConfigError({
      keyPath: `models.tiers.${tierName}`,
      problem: `tier "${tierName}" is not configured${path.length > 0 ? ` (referenced from tier "${path.at(-1)}")` : ""}`,
      fix: `${configured.length === 0 ? "run 'pincer onboard' to set up a model, or " : ""}add models.tiers.${tierName}.primary: <provider/model>${configured.length > 0 ? `, or use one of the configured tiers (${configured.join(", ")})` : ""}`,
    });
  }
  if (path.includes(tierName)) {
    throw new ConfigError({
      keyPath: `models.tiers.${tierName}`,
      problem: `tiers reference each other in a loop (${[...path, tierName].join(" → ")})`,
      fix: "list provider/model refs in tier fallbacks",
    });
  }
  const refs = [tier.primary, ...tier.fallbacks];
  refs.forEach((ref, i) => {
    if (isTierName(ref)) return expandTier(config, ref, [...path, tierName], add);
    const keyPath = i === 0 ? `models.tiers.${tierName}.primary` : `models.tiers.${tierName}.fallbacks.${i - 1}`;
    add(toCandidate(config, ref, tier.auth_mode, `tier "${tierName}" (${ref})`, keyPath));
  });
}

function toCandidate(config: ModelsConfig, ref: string, authMode: AuthMode, origin: string, keyPath: string): Candidate {
  const parts = splitModelRef(ref);
  if (!parts) {
    throw new ConfigError({
      keyPath,
      problem: `"${ref}" is neither a tier (${TIER_NAMES.join(", ")}) nor "provider/model"`,
      fix: 'write it as "provider/model", e.g. "openai/gpt-4o"',
    });
  }
  const providerConfig = findProviderConfig(config.providers, parts.providerId, ref);
  return { ref, ...parts, providerConfig, authMode, origin };
}
