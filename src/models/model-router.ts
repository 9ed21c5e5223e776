// The model router: streams one model turn for a tier or `provider/model`, failing over across API keys
// and candidate models, and reporting everything as events. It does not execute tools or keep history.
import type { PincerConfig } from "../core/config-schema.ts";
import { ProviderError } from "../core/errors.ts";
import type { ProviderErrorCode } from "../core/errors.ts";
import { createAuthStoreReader } from "./auth-store.ts";
import type { AuthStore } from "./auth-store.ts";
import { resolveCredential } from "./credentials.ts";
import { createKeyPool } from "./key-pool.ts";
import { resolveCandidates } from "./model-candidates.ts";
import type { Candidate } from "./model-candidates.ts";
import { runAttempt } from "./model-attempt.ts";
import type { AttemptSettings } from "./model-attempt.ts";
import type { ModelEvent, ModelRequest } from "./model-events.ts";
import { mergePrices } from "./prices.ts";
import { createModelCache, loadLanguageModel } from "./provider-registry.ts";

export interface ModelRouter {
  /** Candidates for a tier or `provider/model`, in failover order. Throws ConfigError for unknown ones. */
  resolveCandidates(ref: string): Candidate[];
  /**
   * Streams one model turn. Tools are declared only; the caller executes them.
   * Contract: ends with exactly one `done` or `failed` event and never throws. Fails over (emitting
   * `attempt_failed`) on rate limits, 5xx, timeouts, network and auth errors — but never after text was
   * streamed, and never on 4xx request errors or cancellation.
   */
  stream(req: ModelRequest): AsyncIterable<ModelEvent>;
  /**
   * Checks before a turn is accepted that the ref resolves and its primary candidate has a credential.
   * Throws ConfigError (unknown tier/provider) or ProviderError `missing_credential` — fallbacks never
   * stand in for a primary that is not set up.
   */
  preflight(ref: string): Promise<void>;
}

export interface ModelRouterOptions {
  config: PincerConfig["models"];
  stateDir: string;
  env: Record<string, string | undefined>;
  now?: () => number;
  fetch?: typeof fetch;
}

interface Failure {
  candidate: Candidate;
  error: ProviderError;
}

/** Lower is more actionable for the user: a missing or rejected credential beats an outage. */
const ACTIONABLE: Partial<Record<ProviderErrorCode, number>> = { missing_credential: 0, auth_failed: 1, unknown_provider: 1 };

export function createModelRouter(opts: ModelRouterOptions): ModelRouter {
  const now = opts.now ?? Date.now;
  const keys = createKeyPool();
  const loadAuthStore = createAuthStoreReader(opts.stateDir); // read on every call, parsed only when it changed
  const cache = createModelCache();
  const settings: AttemptSettings = {
    loadModel: (o) => loadLanguageModel(cache, o),
    prices: mergePrices(opts.config.prices),
    timeoutMs: opts.config.timeout_ms,
    fetch: opts.fetch,
    now,
  };

  async function* stream(req: ModelRequest): AsyncGenerator<ModelEvent> {
    let candidates: Candidate[];
    let authStore: AuthStore;
    let code: ProviderErrorCode = "unknown_provider"; // what a setup failure means at each step
    try {
      candidates = resolveCandidates(opts.config, req.ref);
      code = "missing_credential";
      authStore = await loadAuthStore();
    } catch (err) {
      yield { type: "failed", code, message: err instanceof Error ? err.message : String(err) };
      return;
    }
    const failures: Failure[] = [];
    for (const candidate of candidates) {
      if (req.signal.aborted) break;
      let credential;
      try {
        credential = resolveCredential({ ...candidate, env: opts.env, authStore, where: candidate.origin });
      } catch (err) {
        const error = err instanceof ProviderError ? err : new ProviderError({ code: "missing_credential", message: String(err) });
        failures.push({ candidate, error });
        yield attemptFailed(candidate, error);
        continue;
      }
      const pool = credential.keys.length > 0 ? keys.orderKeys(candidate.providerId, credential.keys, now()) : [undefined];
      for (const key of pool) {
        const auth = key === undefined ? {} : credential.type === "oauth" ? { authToken: key } : { apiKey: key };
        const outcome = yield* runAttempt(settings, candidate, auth, req);
        if (outcome.ok) {
          if (key !== undefined) keys.markGood(candidate.providerId, key);
          return;
        }
        const { error } = outcome;
        if (error.code === "aborted" || outcome.streamed || !error.retryable) {
          yield { type: "failed", code: error.code, message: error.message };
          return;
        }
        failures.push({ candidate, error });
        yield attemptFailed(candidate, error);
        if (key === undefined || (error.code !== "auth_failed" && error.code !== "rate_limited")) break;
        const cooldown = Math.max(opts.config.auth_profile_cooldown_ms, error.retryAfterMs ?? 0);
        keys.markCoolingDown(candidate.providerId, key, now() + cooldown);
      }
    }
    yield summarizeFailures(req, failures);
  }

  async function preflight(ref: string): Promise<void> {
    const [primary] = resolveCandidates(opts.config, ref);
    if (!primary) return;
    resolveCredential({ ...primary, env: opts.env, authStore: await loadAuthStore(), where: primary.origin });
  }

  return { resolveCandidates: (ref) => resolveCandidates(opts.config, ref), stream, preflight };
}

function attemptFailed(candidate: Candidate, error: ProviderError): ModelEvent {
  return { type: "attempt_failed", provider: candidate.providerId, model: candidate.modelId, code: error.code, message: error.message };
}

/** The final `failed`: the most actionable failure's message, plus a short list of the others. */
function summarizeFailures(req: ModelRequest, failures: Failure[]): ModelEvent {
  if (req.signal.aborted) return { type: "failed", code: "aborted", message: `${req.ref}: cancelled` };
  const rank = (f: Failure): number => ACTIONABLE[f.error.code] ?? 9;
  const chief = failures.reduce<Failure | undefined>((best, f) => (best === undefined || rank(f) < rank(best) ? f : best), undefined);
  if (!chief) return { type: "failed", code: "unknown_provider", message: `${req.ref}: no model candidates to try` };
  const others = failures.filter((f) => f !== chief).map((f) => `${f.candidate.ref}: ${f.error.code}`);
  const also = others.length > 0 ? ` (also failed: ${[...new Set(others)].join(", ")})` : "";
  return { type: "failed", code: chief.error.code, message: `${chief.error.message}${also}` };
}
