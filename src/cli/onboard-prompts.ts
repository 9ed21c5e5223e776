// The interactive side of `pincer onboard` (@clack/prompts): provider, base URL (the preset's as a default, never
// prefilled text), API key (saying which env var is used otherwise), model (from the provider's /models list when it
// has one), then the test call with a spinner. A failed test keeps every answer: try again, change them, save anyway
// or quit; nothing is written before saving.
import { join } from "node:path";
import * as p from "@clack/prompts";
import { COMPAT_PRESETS, type CompatPreset, type ProviderConfig } from "../core/config-schema.ts";
import { apiKeyEnvVar, COMPAT_PRESET_INFO } from "../models/index.ts";
import { listProviderModels } from "../models/provider-models.ts";
import { CliFailure, EXIT_USAGE } from "./output.ts";
import { DEFAULT_MODELS, DIRECT, doneText, draftConfig, PROVIDERS, saveChoice, testCall, type Choice, type OnboardOptions } from "./onboard-command.ts";

const CUSTOM_BASE_URL = "http://127.0.0.1:8080/v1";
const OPENAI_BASE_URL = "https://api.openai.com/v1";
/** How long the provider's model list may take before the model is asked as plain text. */
const LIST_TIMEOUT_MS = 10_000;

export async function onboardInteractively(ctx: { file: string; stateDir: string; opts: OnboardOptions; timeoutS: number }): Promise<void> {
  if (!process.stdin.isTTY) throw new CliFailure("onboard needs a terminal; for scripts use: pincer onboard --non-interactive --provider <id> --model <name>", EXIT_USAGE);
  p.intro("pincer onboard");
  let answers: Partial<Choice> = { ...(ctx.opts.provider ? { provider: ctx.opts.provider } : {}), ...(ctx.opts.baseUrl ? { baseUrl: ctx.opts.baseUrl } : {}), ...(ctx.opts.model ? { model: ctx.opts.model } : {}) };
  for (;;) {
    const choice = await ask(answers, ctx.stateDir);
    answers = choice;
    const draft = await draftConfig(ctx.file, choice);
    let tested = ctx.opts.skipTest ? "not tested" : "";
    while (!tested) {
      const spin = p.spinner();
      spin.start(`Test call to ${draft.ref} (up to ${ctx.timeoutS} s)`);
      const result = await testCall(draft, { timeoutS: ctx.timeoutS, stateDir: ctx.stateDir });
      if (result.ok) {
        spin.stop(`${draft.ref} answered: ${result.text.slice(0, 60) || "(empty)"}`);
        tested = "test call ok";
        break;
      }
      spin.error(`${result.message} (${result.code})`);
      const next = unwrap(
        await p.select({
          message: "The test call failed. What now?",
          options: [
            { value: "retry", label: "Try again" },
            { value: "edit", label: "Change the answers", hint: "what you typed is kept" },
            { value: "save", label: "Save anyway", hint: "not tested" },
            { value: "quit", label: "Quit", hint: "nothing is written" },
          ],
        }),
      );
      if (next === "save") tested = "not tested";
      if (next === "edit") break;
      if (next === "quit") {
        p.cancel("onboarding stopped; nothing was written");
        throw new CliFailure(`test call to ${draft.ref} failed (${result.code}); nothing was written`);
      }
    }
    if (!tested) continue; // edit: ask again, with these answers as defaults
    await saveChoice(draft, choice, ctx.stateDir);
    const key = choice.apiKey ? "the key is in auth.json (0600)" : describeKeySource(choice.provider, choice.apiKeyEnv);
    p.outro(`${doneText(ctx.file, draft.ref, tested)}\n${key}`);
    return;
  }
}

/** Asks every question, each defaulting to the previous answer (an edit round) when the provider is the same. */
async function ask(previous: Partial<Choice>, stateDir: string): Promise<Choice> {
  const provider = unwrap(
    await p.select({
      message: "Model provider",
      initialValue: previous.provider ?? "openai",
      options: PROVIDERS.map((id) => ({ value: id as string, label: id, hint: hintFor(id) })),
    }),
  );
  const same = provider === previous.provider ? previous : {};
  const preset = presetOf(provider);
  let baseUrl: string | undefined;
  if (provider === "openai-compatible" || preset) {
    const fallback = same.baseUrl ?? preset?.baseURL ?? CUSTOM_BASE_URL;
    // A placeholder and a default, not prefilled text: what the user types replaces it, and Enter keeps it.
    const answer = unwrap(
      await p.text({
        message: "Base URL",
        placeholder: fallback,
        defaultValue: fallback,
        validate: (v) => (!v || URL.canParse(v.trim()) ? undefined : "enter a URL like http://127.0.0.1:11434/v1"),
      }),
    ).trim();
    if (answer !== preset?.baseURL) baseUrl = answer;
  }
  const apiKey = await askKey(provider, { previous: same.apiKey, stateDir });
  const listURL = baseUrl ?? preset?.baseURL ?? (provider === "openai" ? OPENAI_BASE_URL : undefined);
  const envKey = keyEnvOf(provider);
  const model = await askModel({ provider, listURL, apiKey: apiKey ?? (envKey ? process.env[envKey] : undefined), previous: same.model });
  return { provider, model, ...(baseUrl ? { baseUrl } : {}), ...(apiKey ? { apiKey } : {}) };
}

async function askKey(provider: string, opts: { previous: string | undefined; stateDir: string }): Promise<string | undefined> {
  const { previous } = opts;
  const envVar = keyEnvOf(provider);
  const required = presetOf(provider)?.keyRequired ?? provider !== "openai-compatible";
  const envState = envVar ? `$${envVar}${process.env[envVar] ? " (set in this shell)" : " (not set in this shell)"}` : undefined;
  const empty = previous ? "the key typed before" : envState ? `read ${envState} at run time` : required ? "none (calls will fail)" : "none";
  p.log.info(`API key for ${provider}: kept in ${join(opts.stateDir, "auth.json")} (0600) once you save, never in pincer.yaml. Empty: ${empty}.`);
  const typed = unwrap(await p.password({ message: required ? "API key" : "API key (optional for a local server)" })).trim();
  return typed || previous || undefined;
}

/** The provider's models to pick from (typing filters them, or names one not listed), else a plain text field. */
async function askModel(q: { provider: string; listURL: string | undefined; apiKey: string | undefined; previous: string | undefined }): Promise<string> {
  const fallback = q.previous ?? DEFAULT_MODELS[q.provider];
  let listed: string[] | undefined;
  if (q.listURL) {
    const spin = p.spinner();
    spin.start(`Asking ${q.listURL}/models for its models`);
    const list = await listProviderModels({
      providerId: "onboarding",
      providerConfig: { type: "openai-compatible", base_url: q.listURL },
      credential: q.apiKey,
      timeoutMs: LIST_TIMEOUT_MS,
    });
    listed = list.ok ? list.models : undefined;
    spin.stop(listed ? `${listed.length} model(s) available` : "no model list from this provider; type the model name");
  }
  if (listed) {
    const models = listed;
    return unwrap(
      await p.autocomplete<string>({
        message: "Model (type to filter, or a name that is not listed)",
        maxItems: 8,
        ...(fallback && models.includes(fallback) ? { initialValue: fallback } : {}),
        options() {
          const typed = this.userInput.trim();
          const extra = typed && !models.includes(typed) ? [{ value: typed, label: typed, hint: "not in the list" }] : [];
          return [...extra, ...models.map((id) => ({ value: id, label: id }))];
        },
      }),
    );
  }
  return unwrap(
    await p.text({
      message: "Model",
      ...(fallback ? { placeholder: fallback, defaultValue: fallback } : {}),
      validate: (v) => (v?.trim() || fallback ? undefined : "a model name is required"),
    }),
  ).trim();
}

function presetOf(provider: string): (typeof COMPAT_PRESET_INFO)[CompatPreset] | undefined {
  return (COMPAT_PRESETS as readonly string[]).includes(provider) ? COMPAT_PRESET_INFO[provider as CompatPreset] : undefined;
}

/** The env var a provider's key is read from when none is stored. */
function keyEnvOf(provider: string, apiKeyEnv?: string): string | undefined {
  const preset = presetOf(provider);
  const type = (DIRECT as readonly string[]).includes(provider) ? (provider as ProviderConfig["type"]) : "openai-compatible";
  const config: ProviderConfig = { type, ...(preset ? { preset: provider as CompatPreset } : {}), ...(apiKeyEnv ? { api_key_env: apiKeyEnv } : {}) };
  return apiKeyEnvVar(config);
}

function describeKeySource(provider: string, apiKeyEnv: string | undefined): string {
  const envVar = keyEnvOf(provider, apiKeyEnv);
  return envVar ? `the key is read from $${envVar} at run time` : "no key is used";
}

function hintFor(id: string): string {
  if (id === "openai-compatible") return "any OpenAI-compatible server (base URL)";
  return presetOf(id)?.baseURL ?? "";
}

function unwrap<T>(value: T): Exclude<T, symbol> {
  if (p.isCancel(value)) {
    p.cancel("onboarding cancelled; nothing was written");
    throw new CliFailure("cancelled", 130);
  }
  return value as Exclude<T, symbol>;
}
