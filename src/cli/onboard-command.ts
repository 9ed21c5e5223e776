// `pincer onboard`: choose a model provider, give a key or base URL, make a test call, then write the config.
// The config is only written after the test passes (or with --skip-test); keys go to the auth store, never the YAML.
import { copyFile, rename, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import * as p from "@clack/prompts";
import { COMPAT_PRESETS, type CompatPreset } from "../core/config-schema.ts";
import { defaultConfigPath, loadConfig, resolveStateDir, setConfigValue } from "../config/index.ts";
import { COMPAT_PRESET_INFO, createModelRouter, setCredential } from "../models/index.ts";
import { CliFailure, EXIT_USAGE } from "./output.ts";
import type { GlobalOptions } from "./cli-app.ts";

export interface OnboardOptions {
  nonInteractive?: boolean;
  provider?: string;
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  skipTest?: boolean;
}

const DIRECT = ["openai", "anthropic", "google", "gateway"] as const;
const PROVIDERS = [...DIRECT, ...COMPAT_PRESETS, "openai-compatible"] as const;
const DEFAULT_MODELS: Record<string, string | undefined> = {
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

interface Choice {
  provider: string;
  model: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  apiKey?: string;
}

export async function onboardCommand(g: GlobalOptions, opts: OnboardOptions): Promise<void> {
  const choice = opts.nonInteractive ? fromFlags(opts) : await ask(opts);
  const file = g.config ?? defaultConfigPath(resolveStateDir(process.env));
  const stateDir = resolveStateDir(process.env);
  if (choice.apiKey) await setCredential(stateDir, providerId(choice.provider), { type: "api_key", value: choice.apiKey });
  const draft = await writeDraft(file, choice);
  try {
    if (!opts.skipTest) await testCall(draft, choice);
    await rename(draft, file);
  } finally {
    await rm(draft, { force: true });
  }
  const ref = `${providerId(choice.provider)}/${choice.model}`;
  const done = `wrote ${file}: default tier → ${ref}${opts.skipTest ? " (not tested)" : " (test call ok)"}\nnext: pincer chat   or   pincer run "hello"\n`;
  if (opts.nonInteractive) process.stdout.write(done);
  else p.outro(done.trimEnd());
}

function providerId(provider: string): string {
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

async function ask(opts: OnboardOptions): Promise<Choice> {
  if (!process.stdin.isTTY) throw new CliFailure("onboard needs a terminal; for scripts use: pincer onboard --non-interactive --provider <id> --model <name>", EXIT_USAGE);
  p.intro("pincer onboard");
  const provider = unwrap(
    await p.select({
      message: "Model provider",
      initialValue: opts.provider ?? "openai",
      options: PROVIDERS.map((id) => ({ value: id as string, label: id, hint: hintFor(id) })),
    }),
  );
  const preset = (COMPAT_PRESETS as readonly string[]).includes(provider) ? COMPAT_PRESET_INFO[provider as CompatPreset] : undefined;
  let baseUrl: string | undefined;
  if (provider === "openai-compatible" || preset) {
    const answer = unwrap(
      await p.text({
        message: "Base URL",
        initialValue: opts.baseUrl ?? preset?.baseURL ?? "http://127.0.0.1:8080/v1",
        validate: (v) => (v && URL.canParse(v) ? undefined : "enter a URL like http://127.0.0.1:11434/v1"),
      }),
    );
    if (answer !== preset?.baseURL) baseUrl = answer;
  }
  const model = unwrap(
    await p.text({ message: "Model", initialValue: opts.model ?? DEFAULT_MODELS[provider] ?? "", validate: (v) => (v?.trim() ? undefined : "a model name is required") }),
  ).trim();
  const needsKey = preset ? preset.keyRequired : true;
  const apiKey = unwrap(
    await p.password({ message: needsKey ? "API key (stored in auth.json, mode 0600; leave empty to use the env var)" : "API key (optional for local servers)" }),
  ).trim();
  return { provider, model, ...(baseUrl ? { baseUrl } : {}), ...(apiKey ? { apiKey } : {}) };
}

function hintFor(id: string): string {
  if (id === "openai-compatible") return "any OpenAI-compatible server (base URL)";
  const preset = COMPAT_PRESET_INFO[id as CompatPreset] as { baseURL: string } | undefined;
  return preset ? preset.baseURL : "";
}

function unwrap<T>(value: T): Exclude<T, symbol> {
  if (p.isCancel(value)) {
    p.cancel("onboarding cancelled; nothing was written");
    throw new CliFailure("cancelled", 130);
  }
  return value as Exclude<T, symbol>;
}

/** Copies the current config (if any) to a draft and applies the choice; validation happens on each set. */
async function writeDraft(file: string, choice: Choice): Promise<string> {
  const draft = `${file}.onboard-${process.pid}.tmp`;
  if (existsSync(file)) await copyFile(file, draft);
  const id = providerId(choice.provider);
  const type = (DIRECT as readonly string[]).includes(choice.provider) ? choice.provider : "openai-compatible";
  const fields = [`type: ${type}`];
  if ((COMPAT_PRESETS as readonly string[]).includes(choice.provider)) fields.push(`preset: ${choice.provider}`);
  if (choice.baseUrl) fields.push(`base_url: "${choice.baseUrl}"`);
  if (choice.apiKeyEnv) fields.push(`api_key_env: ${choice.apiKeyEnv}`);
  try {
    await setConfigValue(draft, `models.providers.${id}`, `{ ${fields.join(", ")} }`, { env: process.env });
    await setConfigValue(draft, "models.tiers.default", `{ primary: "${id}/${choice.model}" }`, { env: process.env });
  } catch (err) {
    await rm(draft, { force: true });
    throw err;
  }
  return draft;
}

/** One tiny model call through the same router the agent uses. */
async function testCall(draft: string, choice: Choice): Promise<void> {
  const { config, stateDir } = await loadConfig({ file: draft, env: process.env });
  const router = createModelRouter({ config: config.models, stateDir, env: process.env });
  const ref = `${providerId(choice.provider)}/${choice.model}`;
  await router.preflight(ref);
  const signal = AbortSignal.timeout(60_000);
  let text = "";
  for await (const event of router.stream({ ref, system: "Reply with the single word OK.", messages: [{ role: "user", content: "ping" }], tools: [], signal })) {
    if (event.type === "done") text = event.text;
    if (event.type === "failed") throw new CliFailure(`test call to ${ref} failed (${event.code}): ${event.message}. Nothing was written; fix it or use --skip-test`);
  }
  if (!process.stdin.isTTY) return;
  p.log.success(`${ref} answered: ${text.slice(0, 60) || "(empty)"}`);
}
