// `pincer auth set|list|remove`: stored model credentials in $PINCER_HOME/auth.json; secrets are never echoed.
import { password, isCancel } from "@clack/prompts";
import { resolveStateDir } from "../config/index.ts";
import { listCredentials, removeCredential, setCredential, authStorePath } from "../models/index.ts";
import { CliFailure, EXIT_USAGE, printJson, renderTable } from "./output.ts";
import type { GlobalOptions } from "./cli-app.ts";

const PROVIDER_ID = /^[a-z0-9][a-z0-9_.-]*$/i;

export async function setAuth(_g: GlobalOptions, provider: string, opts: { oauth?: boolean; fromEnv?: string }): Promise<void> {
  checkProvider(provider);
  const secret = await readSecret(provider, opts);
  const stateDir = resolveStateDir(process.env);
  await setCredential(stateDir, provider, opts.oauth ? { type: "oauth", value: secret } : { type: "api_key", value: secret });
  process.stdout.write(`stored ${opts.oauth ? "OAuth token" : "API key"} for ${provider} in ${authStorePath(stateDir)}\n`);
}

export async function listAuth(_g: GlobalOptions, opts: { json?: boolean }): Promise<void> {
  const rows = await listCredentials(resolveStateDir(process.env));
  if (opts.json) return printJson(rows);
  if (rows.length === 0) {
    process.stdout.write("no stored credentials — add one with: pincer auth set <provider>\n");
    return;
  }
  process.stdout.write(`${renderTable(["PROVIDER", "TYPES", "KEY"], rows.map((r) => [r.provider, r.types.join(", "), r.fingerprint]))}\n`);
}

export async function removeAuth(_g: GlobalOptions, provider: string, opts: { oauth?: boolean; apiKey?: boolean }): Promise<void> {
  checkProvider(provider);
  const type = opts.oauth ? "oauth" : opts.apiKey ? "api_key" : undefined;
  const removed = await removeCredential(resolveStateDir(process.env), provider, type);
  if (!removed) throw new CliFailure(`no stored ${type ?? "credentials"} for ${provider} (see 'pincer auth list')`);
  process.stdout.write(`removed ${type ?? "all credentials"} for ${provider}\n`);
}

function checkProvider(provider: string): void {
  if (!PROVIDER_ID.test(provider)) throw new CliFailure(`provider: expected an id like openai or openrouter, got ${JSON.stringify(provider)}`, EXIT_USAGE);
}

/** From --from-env, piped stdin, or a hidden prompt — in that order. */
async function readSecret(provider: string, opts: { oauth?: boolean; fromEnv?: string }): Promise<string> {
  const what = opts.oauth ? "OAuth token" : "API key";
  let secret: string | undefined;
  if (opts.fromEnv) {
    secret = process.env[opts.fromEnv];
    if (!secret) throw new CliFailure(`--from-env ${opts.fromEnv}: the variable is not set or empty`, EXIT_USAGE);
  } else if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    secret = Buffer.concat(chunks).toString("utf8");
  } else {
    const answer = await password({ message: `${what} for ${provider}` });
    if (isCancel(answer)) throw new CliFailure("cancelled", 130);
    secret = answer;
  }
  secret = secret.trim();
  if (!secret) throw new CliFailure(`the ${what} is empty: pipe it on stdin, use --from-env VAR, or type it at the prompt`, EXIT_USAGE);
  return secret;
}
