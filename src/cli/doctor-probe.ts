// `pincer doctor --probe`: one tiny live request to each model provider the config uses, reported as doctor checks
// with the latency, or the router's error and what to do about it. It costs a few tokens per provider.
import type { PincerConfig } from "../core/config-schema.ts";
import type { ProviderErrorCode } from "../core/errors.ts";
import { createModelRouter } from "../models/model-router.ts";
import { resolveCandidates } from "../models/model-candidates.ts";
import { probeModel } from "../models/model-probe.ts";
import type { Check } from "./doctor-command.ts";

/** The longest a probe waits for its first token (ms); models.timeout_ms applies when shorter. */
const PROBE_TIMEOUT_MS = 20_000;

/** One probe per provider, on the first model the config would try with it. */
export async function probeProviders(config: PincerConfig, stateDir: string, env: Record<string, string | undefined>): Promise<Check[]> {
  const refs = new Map<string, string>(); // provider id → provider/model
  const wanted = [...Object.keys(config.models.tiers), ...Object.values(config.agents).map((a) => a.model)];
  for (const ref of wanted) {
    try {
      for (const c of resolveCandidates(config.models, ref)) if (!refs.has(c.providerId)) refs.set(c.providerId, c.ref);
    } catch {
      // An unresolvable ref is reported by the model checks already.
    }
  }
  if (refs.size === 0) return [{ name: "probe", status: "warn", detail: "no model provider to probe", fix: "run 'pincer onboard'" }];
  const router = createModelRouter({ config: { ...config.models, timeout_ms: Math.min(config.models.timeout_ms, PROBE_TIMEOUT_MS) }, stateDir, env });
  const probes = await Promise.all([...refs.entries()].map(async ([provider, ref]) => ({ provider, result: await probeModel(router, ref) })));
  return probes.map(({ provider, result }): Check =>
    result.ok
      ? { name: "probe", status: "ok", detail: `${result.ref}: answered in ${result.latencyMs} ms` }
      : { name: "probe", status: "fail", detail: `${result.ref}: ${result.message} [${result.code}]`, ...fixFor(result.code, provider, result.message) },
  );
}

/** A fix for each failure the message itself does not already explain. */
function fixFor(code: ProviderErrorCode, provider: string, message: string): { fix?: string } {
  if (/\bFix:/.test(message)) return {};
  const fixes: Partial<Record<ProviderErrorCode, string>> = {
    network: `check models.providers.${provider}.base_url, that the server runs, and that this machine can reach it`,
    timeout: `no first token within the time limit: check the network (or proxy), or raise models.timeout_ms for a slow server`,
    rate_limited: `wait and retry, add keys to models.providers.${provider}.api_keys, or add a fallback model to the tier`,
    server_error: "the provider is failing right now: retry later, or add a fallback model from another provider to the tier",
    bad_request: `the provider refused the request: check the model name ('pincer models list' shows what ${provider} offers)`,
    auth_failed: `replace the credential: 'pincer auth set ${provider}'`,
    missing_credential: `'pincer auth set ${provider}', or set the provider's API key env var`,
    unknown_provider: "check models.providers in pincer.yaml ('pincer config validate')",
  };
  const fix = fixes[code];
  return fix ? { fix } : {};
}
