// Cross-reference checks zod cannot do alone: model refs name a known provider, tiers exist and do not
// loop, openai-compatible providers have a base URL, a custom gateway bind names its host. Runs on the
// parsed config; returns issues, never throws.
import { COMPAT_PRESETS, TIER_NAMES } from "../core/config-schema.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { isPlainObject } from "./config-env.ts";
import type { RawIssue } from "./config-source.ts";
import { closestMatch } from "./schema-walk.ts";
import type { KeyPath } from "./schema-walk.ts";

/** Provider ids usable in `provider/model` without a `models.providers` entry. */
export const IMPLICIT_PROVIDERS: readonly string[] = ["openai", "anthropic", "google", "gateway", ...COMPAT_PRESETS];

interface ModelRef {
  path: KeyPath;
  ref: string;
  /** The tier that holds this ref, for loop detection. */
  fromTier?: string;
}

/**
 * Checks every agent `model` and tier `primary`/`fallbacks`. `input` is the data before defaults were
 * applied: an agent model that was never written (the schema's default tier) is not required to exist,
 * since the model layer supplies a built-in default tier.
 */
export function checkModelReferences(config: PincerConfig, input: unknown): RawIssue[] {
  const refs: ModelRef[] = [];
  for (const [agentId, agent] of Object.entries(config.agents)) {
    if (isWritten(input, ["agents", agentId, "model"])) refs.push({ path: ["agents", agentId, "model"], ref: agent.model });
  }
  for (const [tierName, tier] of Object.entries(config.models.tiers)) {
    if (!tier) continue;
    refs.push({ path: ["models", "tiers", tierName, "primary"], ref: tier.primary, fromTier: tierName });
    tier.fallbacks.forEach((ref, i) => refs.push({ path: ["models", "tiers", tierName, "fallbacks", i], ref, fromTier: tierName }));
  }
  const providers = [...IMPLICIT_PROVIDERS, ...Object.keys(config.models.providers).filter((id) => !IMPLICIT_PROVIDERS.includes(id))];
  const tiers = Object.keys(config.models.tiers);
  const issues = refs.flatMap((ref) => checkRef(ref, providers, tiers));
  return [...checkCompatProviders(config), ...issues, ...findTierLoops(refs)];
}

/** `gateway.bind: custom` listens on `gateway.host`, so the host must be set. */
export function checkGatewayHost(config: PincerConfig): RawIssue[] {
  if (config.gateway.bind !== "custom" || config.gateway.host?.trim()) return [];
  return [
    {
      path: ["gateway", "host"],
      problem: "gateway.bind is custom but no host is set",
      fix: "set gateway.host to the address to listen on (e.g. 192.168.1.10), or use bind: loopback | lan",
    },
  ];
}

/** An openai-compatible provider needs a base_url, given directly or through a preset (or a preset id). */
function checkCompatProviders(config: PincerConfig): RawIssue[] {
  return Object.entries(config.models.providers)
    .filter(([id, p]) => p.type === "openai-compatible" && !p.base_url && !p.preset && !(COMPAT_PRESETS as readonly string[]).includes(id))
    .map(([id]) => ({
      path: ["models", "providers", id],
      problem: `openai-compatible provider "${id}" has no base_url`,
      fix: `set models.providers.${id}.base_url, or a preset (${COMPAT_PRESETS.join(", ")})`,
    }));
}

function checkRef({ path, ref }: ModelRef, providers: readonly string[], tiers: readonly string[]): RawIssue[] {
  const slash = ref.indexOf("/");
  if (slash < 0) {
    if (tiers.includes(ref)) return [];
    return [{ path, problem: `tier "${ref}" is not defined`, fix: `define models.tiers.${ref} or use provider/model` }];
  }
  const provider = ref.slice(0, slash);
  if (providers.includes(provider)) return [];
  const guess = closestMatch(provider, providers);
  const hint = guess ? `did you mean "${guess}/${ref.slice(slash + 1)}"? ` : "";
  return [
    {
      path,
      problem: `unknown provider "${provider}" in "${ref}"`,
      fix: `${hint}define models.providers.${provider} or use a known provider: ${providers.join(", ")}`,
    },
  ];
}

/** Reports each tier that reaches itself through tier-name refs (fast → complex → fast). */
function findTierLoops(refs: readonly ModelRef[]): RawIssue[] {
  const edges = new Map<string, string[]>();
  for (const { ref, fromTier } of refs) {
    if (fromTier && (TIER_NAMES as readonly string[]).includes(ref)) edges.set(fromTier, [...(edges.get(fromTier) ?? []), ref]);
  }
  const issues: RawIssue[] = [];
  for (const start of edges.keys()) {
    const seen = new Set<string>();
    const queue = [...(edges.get(start) ?? [])];
    while (queue.length > 0) {
      const tier = queue.shift() ?? "";
      if (tier === start) {
        issues.push({
          path: ["models", "tiers", start],
          problem: `tier "${start}" refers back to itself through tier names`,
          fix: "make the tier's primary and fallbacks provider/model refs",
        });
        break;
      }
      if (seen.has(tier)) continue;
      seen.add(tier);
      queue.push(...(edges.get(tier) ?? []));
    }
  }
  return issues;
}

function isWritten(input: unknown, path: readonly string[]): boolean {
  let node = input;
  for (const key of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return false;
    node = node[key];
  }
  return true;
}
