// Speech to text for voice messages over an OpenAI-compatible `/audio/transcriptions` endpoint (OpenAI, Groq,
// a local whisper server…), using a provider configured under models.providers and its usual credentials.
import type { PincerConfig } from "../core/config-schema.ts";
import { ProviderError } from "../core/errors.ts";
import { loadAuthStore } from "./auth-store.ts";
import { resolveCredential } from "./credentials.ts";
import { baseURLOf, findProviderConfig } from "./presets.ts";

export interface AudioFile {
  bytes: Uint8Array;
  mimeType: string;
  fileName: string;
}

export type Transcriber = (file: AudioFile, signal?: AbortSignal) => Promise<string>;

export interface TranscriberOptions {
  config: () => PincerConfig;
  stateDir: string;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

/** Undefined when `media.transcription` is not configured. Contract: throws ProviderError on failure, never a secret. */
export function createTranscriber(opts: TranscriberOptions): Transcriber | undefined {
  if (!opts.config().media.transcription) return undefined;
  const doFetch = opts.fetch ?? fetch;
  return async (file, signal) => {
    const settings = opts.config().media.transcription;
    if (!settings) throw new ProviderError({ code: "bad_request", message: "media.transcription is no longer configured" });
    const { provider, model, language } = settings;
    const providerConfig = findProviderConfig(opts.config().models.providers, provider, `${provider}/${model}`);
    const base = (baseURLOf(providerConfig) ?? "https://api.openai.com/v1").replace(/\/+$/, "");
    const credential = resolveCredential({
      providerId: provider, providerConfig, authMode: "auto", env: opts.env, authStore: await loadAuthStore(opts.stateDir), where: "media.transcription",
    });
    const form = new FormData();
    form.set("model", model);
    if (language) form.set("language", language);
    form.set("file", new Blob([new Uint8Array(file.bytes)], { type: file.mimeType }), file.fileName);
    const headers: Record<string, string> = { ...providerConfig.headers };
    if (credential.keys[0]) headers.authorization = `Bearer ${credential.keys[0]}`;
    let res: Response;
    try {
      res = await doFetch(`${base}/audio/transcriptions`, { method: "POST", body: form, headers, ...(signal ? { signal } : {}) });
    } catch (err) {
      throw new ProviderError({ code: "network", message: `transcription: ${provider} is unreachable`, provider, cause: err });
    }
    if (!res.ok) {
      const code = res.status === 401 || res.status === 403 ? "auth_failed" : res.status === 429 ? "rate_limited" : res.status >= 500 ? "server_error" : "bad_request";
      throw new ProviderError({ code, message: `transcription: ${provider} answered ${res.status}`, provider, status: res.status });
    }
    const body = (await res.json().catch(() => ({}))) as { text?: unknown };
    if (typeof body.text !== "string") throw new ProviderError({ code: "bad_request", message: `transcription: ${provider} returned no text`, provider });
    return body.text.trim();
  };
}
