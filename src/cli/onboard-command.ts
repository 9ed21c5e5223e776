// `pincer onboard`: choose a model provider, give a key or base URL, make a test call, then write the config.
// Nothing is written before the user saves: the config edit and the key are held in memory while the test runs (the
// key reaches the test call through the in-memory config), so a failed or cancelled onboarding leaves no trace.
// The questions themselves are in onboard-prompts.ts; keys go to the auth store, never the YAML.
import { loadConfigText, planConfigEdits, prepareStateDir, resolveStateDir, defaultConfigPath, writeConfigPlan, type ConfigPlan } from "../config/index.ts";
import { COMPAT_PRESETS, type PincerConfig } from "../core/config-schema.ts";
import { createModelRouter, setCredential } from "../models/index.ts";
import { CliFailure, EXIT_USAGE } from "./output.ts";
import type { GlobalOptions } from "./cli-app.ts";

export interface OnboardOptions {
  nonInteractive?: boolean;
  provider?: string;
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  skipTest?: boolean;
  /** Seconds the test call may take. */
  testTimeout?: string;
}

export const DIRECT = ["openai", "anthropic", "google", "gateway"] as const;
export const PROVIDERS = [...DIRECT, ...COMPAT_PRESETS, "openai-compatible"] as const;
export const DEFAULT_MODELS: Record<string, string | undefined> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-sonnet-4-5",
  google: "gemini-2.5-flash",
  gateway: "openai/gpt-4o-mini",
  ollama: "llama3.2",
  openrouter: "openai/gpt-4o-mini",
  minimax: "MiniMax-M1",
  moonshot: "kimi-k2-0905-preview",
};
/** Provider id used in the config for a custom OpenAI-compatible server. */
const CUSTOM_ID = "custom";
const DEFAULT_TEST_TIMEOUT_S = 30;

/** What the user chose; `apiKey` is held in memory until the config is saved. */
export interface Choice {
  provider: string;
  model: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  apiKey?: string;
}

/** The config edit for a choice, planned and validated but not written, and the models config to test it with. */
export interface Draft {
  plan: ConfigPlan;
  /** The models section as it would be loaded, with the typed key in place (in memory only). */
  models: PincerConfig["models"];
  ref: string;
}

export type TestResult = { ok: true; text: string } | { ok: false; code: string; message: string };

export async function onboardCommand(g: GlobalOptions, opts: OnboardOptions): Promise<void> {
  const stateDir = resolveStateDir(process.env);
  const file = g.config ?? defaultConfigPath(stateDir);
  const timeoutS = toSeconds(opts.testTimeout);
  // Before the first question: a state dir that cannot be written would throw every answer away at the end.
  await prepareStateDir(stateDir);
  if (!opts.nonInteractive) {
    const { onboardInteractively } = await import("./onboard-prompts.ts");
    return onboardInteractively({ file, stateDir, opts, timeoutS });
  }
  const choice = fromFlags(opts);
  const draft = await draftConfig(file, choice);
  if (!opts.skipTest) {
    const result = await testCall(draft, { timeoutS });
    if (!result.ok) throw new CliFailure(`test call to ${draft.ref} failed (${result.code}): ${result.message}. Nothing was written; fix it or use --skip-test`);
  }
  await saveChoice(draft, choice, stateDir);
  process.stdout.write(`${doneText(file, draft.ref, opts.skipTest ? "not tested" : "test call ok")}\n`);
}

export function providerId(provider: string): string {
  return provider === "openai-compatible" ? CUSTOM_ID : provider;
}

function fromFlags(opts: OnboardOptions): Choice {
  if (!opts.provider) throw new CliFailure(`--provider is required with --non-interactive (one of: ${PROVIDERS.join(", ")})`, EXIT_USAGE);
  if (!(PROVIDERS as readonly string[]).includes(opts.provider)) {
    throw new CliFailure(`--provider: unknown provider "${opts.provider}". Fix: use one of ${PROVIDERS.join(", ")}`, EXIT_USAGE);
  }
  const model = opts.model ?? DEFAULT_MODELS[opts.provider];
  if (!model) throw new CliFailure(`--model is required for provider ${opts.provider} (the model name your server serves)`, EXIT_USAGE);
  if (opts.provider === "openai-compatible" && !opts.baseUrl) {
    throw new CliFailure("--base-url is required for provider openai-compatible, e.g. http://127.0.0.1:8080/v1", EXIT_USAGE);
  }
  if (opts.baseUrl && !URL.canParse(opts.baseUrl)) throw new CliFailure(`--base-url: not a URL: ${opts.baseUrl}`, EXIT_USAGE);
  if (opts.apiKeyEnv && !/^[A-Z_][A-Z0-9_]*$/i.test(opts.apiKeyEnv)) throw new CliFailure(`--api-key-env: not an env var name: ${opts.apiKeyEnv}`, EXIT_USAGE);
  return { provider: opts.provider, model, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}), ...(opts.apiKeyEnv ? { apiKeyEnv: opts.apiKeyEnv } : {}) };
}

function toSeconds(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TEST_TIMEOUT_S;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new CliFailure(`--test-timeout: expected seconds (1-3600), got ${JSON.stringify(text)}`, EXIT_USAGE);
  return n;
}

/** The current config (if any) with the choice applied, validated in memory; nothing is written. */
export async function draftConfig(file: string, choice: Choice): Promise<Draft> {
  const id = providerId(choice.provider);
  const type = (DIRECT as readonly string[]).includes(choice.provider) ? choice.provider : "openai-compatible";
  const fields = [`type: ${type}`];
  if ((COMPAT_PRESETS as readonly string[]).includes(choice.provider)) fields.push(`preset: ${choice.provider}`);
  if (choice.baseUrl) fields.push(`base_url: ${JSON.stringify(choice.baseUrl)}`);
  if (choice.apiKeyEnv) fields.push(`api_key_env: ${choice.apiKeyEnv}`);
  const ref = `${id}/${choice.model}`;
  const plan = await planConfigEdits(file, [
    { keyPath: `models.providers.${id}`, value: `{ ${fields.join(", ")} }` },
    { keyPath: "models.tiers.default", value: `{ primary: ${JSON.stringify(ref)} }` },
  ], { env: process.env });
  const { config } = await loadConfigText(plan.text, { file: plan.file, env: process.env });
  const provider = config.models.providers[id];
  const providers = choice.apiKey && provider ? { ...config.models.providers, [id]: { ...provider, api_key: choice.apiKey } } : config.models.providers;
  return { plan, models: { ...config.models, providers }, ref };
}

/**
 * One tiny model call through the same router the agent uses, given at most `timeoutS` seconds.
 * Contract: never throws; a hung server ends as `{ ok: false, code: "timeout", message: "… timed out after N s" }`.
 */
export async function testCall(draft: Draft, opts: { timeoutS: number; stateDir?: string }): Promise<TestResult> {
  const router = createModelRouter({ config: draft.models, stateDir: opts.stateDir ?? resolveStateDir(process.env), env: process.env });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutS * 1000);
  try {
    await router.preflight(draft.ref);
    let text = "";
    for await (const event of router.stream({ ref: draft.ref, system: "Reply with the single word OK.", messages: [{ role: "user", content: "ping" }], tools: [], signal: controller.signal })) {
      if (event.type === "done") text = event.text;
      if (event.type === "failed") {
        if (controller.signal.aborted) return { ok: false, code: "timeout", message: `no answer from ${draft.ref}: timed out after ${opts.timeoutS} s` };
        return { ok: false, code: event.code, message: event.message };
      }
    }
    return { ok: true, text };
  } catch (err) {
    const code = typeof (err as { code?: unknown }).code === "string" ? (err as { code: string }).code : "error";
    return { ok: false, code, message: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Writes the config edit, then the key (auth.json, 0600). */
export async function saveChoice(draft: Draft, choice: Choice, stateDir: string): Promise<void> {
  await writeConfigPlan(draft.plan);
  if (choice.apiKey) await setCredential(stateDir, providerId(choice.provider), { type: "api_key", value: choice.apiKey });
}

export function doneText(file: string, ref: string, tested: string): string {
  return `wrote ${file}: default tier → ${ref} (${tested})\nnext: pincer chat   or   pincer run "hello"`;
}
