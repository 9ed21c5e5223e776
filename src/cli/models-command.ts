// `pincer models list | set`: the configured tiers and what each agent uses, each provider's own model list (its
// `/models` endpoint, with a timeout), and changing a tier's primary model in pincer.yaml (validated before writing).
import { loadConfig, setConfigValue } from "../config/index.ts";
import { modelRefSchema, TIER_NAMES, type PincerConfig } from "../core/config-schema.ts";
import { ConfigError, ProviderError } from "../core/errors.ts";
import { hasOwnEntry } from "../core/own-entry.ts";
import { loadAuthStore, type AuthStore } from "../models/auth-store.ts";
import { resolveCredential } from "../models/credentials.ts";
import { resolveCandidates } from "../models/model-candidates.ts";
import { baseURLOf, findProviderConfig, splitModelRef } from "../models/presets.ts";
import { listProviderModels } from "../models/provider-models.ts";
import type { GlobalOptions } from "./cli-app.ts";
import { CliFailure, EXIT_USAGE, printJson, renderTable } from "./output.ts";

/** How long one provider's model list may take (ms). */
const LIST_TIMEOUT_MS = 8_000;
/** Model ids shown per provider in text; --json lists all. */
const SHOWN = 25;

interface ProviderRow {
  id: string;
  type?: string;
  baseUrl?: string;
  /** Where its credential comes from: config, env, auth_store, none (keyless), or missing. */
  credential: string;
  models?: string[];
  error?: string;
}

export async function modelsListCommand(g: GlobalOptions, opts: { remote: boolean; json?: boolean }): Promise<void> {
  const { config, stateDir } = await loadConfig({ file: g.config, env: process.env });
  const tiers = TIER_NAMES.flatMap((name) => {
    const t = config.models.tiers[name];
    return t ? [{ tier: name, primary: t.primary, fallbacks: t.fallbacks, authMode: t.auth_mode }] : [];
  });
  const agents = Object.entries(config.agents).map(([id, a]) => ({ agent: id, model: a.model, candidates: candidateRefs(config, a.model) }));
  const authStore = await loadAuthStore(stateDir).catch((): AuthStore => ({}));
  const providers = await Promise.all([...providerIds(config)].map((id) => describeProvider(config, id, authStore, opts.remote)));

  if (opts.json) return printJson({ tiers, agents, providers });
  if (tiers.length === 0) process.stdout.write("no tiers configured: 'pincer onboard' sets up models.tiers.default\n");
  else process.stdout.write(`${renderTable(["TIER", "PRIMARY", "FALLBACKS", "AUTH"], tiers.map((t) => [t.tier, t.primary, t.fallbacks.join(", ") || "-", t.authMode]))}\n`);
  process.stdout.write(`\n${renderTable(["AGENT", "MODEL", "TRIES"], agents.map((a) => [a.agent, a.model, a.candidates.join(" → ") || "-"]))}\n`);
  for (const p of providers) {
    const facts = [p.type, p.baseUrl, p.credential === "missing" ? "NO CREDENTIAL" : `credential: ${p.credential.replace("_", " ")}`].filter(Boolean).join(", ");
    process.stdout.write(`\nprovider ${p.id} (${facts})`);
    if (p.error) process.stdout.write(`\n  model list unavailable: ${p.error}\n`);
    else if (!p.models) process.stdout.write("\n");
    else {
      process.stdout.write(`: ${p.models.length} model${p.models.length === 1 ? "" : "s"}\n`);
      for (const m of p.models.slice(0, SHOWN)) process.stdout.write(`  ${p.id}/${m}\n`);
      if (p.models.length > SHOWN) process.stdout.write(`  … and ${p.models.length - SHOWN} more (--json lists all)\n`);
    }
  }
  if (tiers.length > 0) process.stdout.write("\nchange a tier with 'pincer models set <tier> <provider/model>'\n");
}

export async function modelsSetCommand(g: GlobalOptions, tier: string, ref: string): Promise<void> {
  if (!(TIER_NAMES as readonly string[]).includes(tier)) throw new CliFailure(`<tier>: expected one of ${TIER_NAMES.join(", ")}, got ${JSON.stringify(tier)}`, EXIT_USAGE);
  const parsed = modelRefSchema.safeParse(ref);
  const split = splitModelRef(ref);
  if (!parsed.success || !split) throw new CliFailure(`<provider/model>: expected provider/model such as openai/gpt-4o-mini, got ${JSON.stringify(ref)}`, EXIT_USAGE);
  const loaded = await loadConfig({ file: g.config, env: process.env });
  try {
    findProviderConfig(loaded.config.models.providers, split.providerId, ref);
  } catch (err) {
    // A wrong name on the command line is the caller's to fix; the file is untouched.
    if (err instanceof ConfigError) throw new CliFailure(`<provider/model>: ${err.problem}${err.fix ? `. Fix: ${err.fix}` : ""}`, EXIT_USAGE);
    throw err;
  }
  const file = loaded.file;
  const previous = loaded.config.models.tiers[tier as (typeof TIER_NAMES)[number]]?.primary;
  await setConfigValue(file, `models.tiers.${tier}.primary`, ref, { env: process.env });
  process.stdout.write(`models.tiers.${tier}.primary: ${previous ?? "(unset)"} → ${ref} in ${file}; a running gateway applies it at once\n`);
  const missing = credentialProblem(loaded.config, split.providerId, await loadAuthStore(loaded.stateDir).catch((): AuthStore => ({})));
  if (missing) process.stderr.write(`warning: ${missing}\n`);
}

/** Providers the config uses: those configured, and those named by tiers and agents (implicit ones included). */
function providerIds(config: PincerConfig): Set<string> {
  const ids = new Set(Object.keys(config.models.providers));
  const refs = [...Object.values(config.models.tiers).flatMap((t) => (t ? [t.primary, ...t.fallbacks] : [])), ...Object.values(config.agents).map((a) => a.model)];
  for (const ref of refs) {
    const split = splitModelRef(ref);
    if (split) ids.add(split.providerId);
  }
  return ids;
}

function candidateRefs(config: PincerConfig, ref: string): string[] {
  try {
    return resolveCandidates(config.models, ref).map((c) => c.ref);
  } catch {
    return [];
  }
}

async function describeProvider(config: PincerConfig, id: string, authStore: AuthStore, remote: boolean): Promise<ProviderRow> {
  let providerConfig;
  try {
    providerConfig = findProviderConfig(config.models.providers, id, `${id}/…`);
  } catch (err) {
    return { id, credential: "missing", error: err instanceof ConfigError ? err.problem : String(err) };
  }
  const baseUrl = baseURLOf(providerConfig);
  const row: ProviderRow = { id, type: providerConfig.type, ...(baseUrl ? { baseUrl } : {}), credential: "missing" };
  let key: string | undefined;
  try {
    const cred = resolveCredential({ providerId: id, providerConfig, authMode: "auto", env: process.env, authStore });
    row.credential = cred.source;
    key = cred.keys[0];
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return { ...row, error: err.message };
  }
  if (!remote) return row;
  const listed = await listProviderModels({ providerId: id, providerConfig, credential: key, timeoutMs: LIST_TIMEOUT_MS });
  return listed.ok ? { ...row, models: listed.models } : { ...row, error: listed.error };
}

function credentialProblem(config: PincerConfig, providerId: string, authStore: AuthStore): string | undefined {
  try {
    const providerConfig = findProviderConfig(config.models.providers, providerId, providerId);
    resolveCredential({ providerId, providerConfig, authMode: "auto", env: process.env, authStore, where: hasOwnEntry(config.models.providers, providerId) ? undefined : `provider "${providerId}"` });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
