// `pincer hooks list | test`: the configured webhook triggers, and a signed test delivery sent to the running gateway
// the way a real sender would (GitHub's headers for github hooks). Reads config and env only; it opens no store.
import { randomUUID } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { signHookRequest } from "../automation/hook-auth.ts";
import type { HookConfig } from "../core/automation-config.ts";
import { ownEntry } from "../core/own-entry.ts";
import { loadCliConfig, type GlobalOptions } from "./cli-app.ts";
import { findGateway } from "./gateway-client.ts";
import { CliFailure, EXIT_CONFIG, EXIT_USAGE, printJson, renderTable } from "./output.ts";

/** How long the gateway may take to accept a delivery (it answers once the delivery is journaled), ms. */
const SEND_TIMEOUT_MS = 15_000;

export async function hooksListCommand(g: GlobalOptions, opts: { json?: boolean }): Promise<void> {
  const { config, file } = await loadCliConfig(g);
  const rows = Object.entries(config.hooks).map(([name, hook]) => ({
    name, auth: hook.auth, path: `/hooks/${name}`, secretEnv: hook.secret_env, secretSet: Boolean(ownEntry(process.env, hook.secret_env)),
    agent: hook.agent, session: hook.session, deliver: hook.deliver,
  }));
  if (opts.json) return printJson({ hooks: rows });
  if (rows.length === 0) return void process.stdout.write(`no hooks configured in ${file}; add one under hooks: (see docs/automation.md, "Webhook triggers")\n`);
  const table = rows.map((r) => [r.name, r.auth, r.path, `${r.secretEnv} ${r.secretSet ? "(set)" : "(unset here)"}`, r.agent, r.deliver]);
  process.stdout.write(`${renderTable(["NAME", "AUTH", "PATH", "SECRET ENV", "AGENT", "DELIVER"], table)}\n`);
  process.stdout.write("\nSECRET ENV tells whether this shell has the variable; the gateway reads its own environment ('pincer doctor' checks).\n");
}

export async function hooksTestCommand(g: GlobalOptions, name: string, opts: { body?: string; event?: string; json?: boolean }): Promise<void> {
  const loaded = await loadCliConfig(g);
  const hook = ownEntry(loaded.config.hooks, name);
  if (!hook) {
    const known = Object.keys(loaded.config.hooks);
    throw new CliFailure(`no hook "${name}" in ${loaded.file}; ${known.length ? `configured: ${known.join(", ")}` : "none is configured (add one under hooks:)"}`, EXIT_USAGE);
  }
  const secret = ownEntry(process.env, hook.secret_env);
  if (!secret) throw new CliFailure(`hooks.${name}.secret_env: ${hook.secret_env} is not set in this shell. Fix: export ${hook.secret_env}=<the secret the gateway has>, then run this again`, EXIT_CONFIG);
  const body = await readBody(opts.body, hook);
  const found = await findGateway({ stateDir: loaded.stateDir, config: loaded.config, configFile: loaded.file });
  if (!found.running) throw new CliFailure(`the gateway is not running (${found.reason}). Fix: start it with 'pincer gateway'`);

  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "pincer-hooks-test", ...signHookRequest({ hook, secret, body, now: Date.now() }) };
  const deliveryId = randomUUID();
  if (hook.auth === "github") Object.assign(headers, { "x-github-event": opts.event ?? "ping", "x-github-delivery": deliveryId });
  else Object.assign(headers, { "idempotency-key": `test-${deliveryId}`, ...(opts.event ? { "x-github-event": opts.event } : {}) });
  const url = `${found.url}/hooks/${name}`;
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  } catch (err) {
    throw new CliFailure(`could not send to ${url}: ${err instanceof Error ? err.message : String(err)}. Fix: check that the gateway is running ('pincer gateway status')`);
  }
  const answer = (await res.json().catch(() => ({}))) as { runId?: string; deliveryId?: string; duplicate?: boolean; error?: { message?: string } };
  if (opts.json) printJson({ hook: name, url, status: res.status, ...answer });
  else if (res.status === 202) process.stdout.write(`202 accepted by ${url}: run ${answer.runId ?? "(queued; see 'pincer sessions list')"}, delivery ${answer.deliveryId ?? deliveryId}\n`);
  else process.stdout.write(`${res.status} refused by ${url}: ${answer.error?.message ?? res.statusText}\n`);
  if (res.status !== 202) process.exitCode = 1;
}

async function readBody(file: string | undefined, hook: HookConfig): Promise<Uint8Array> {
  if (file === undefined) return new TextEncoder().encode("{}");
  const size = await stat(file).then((s) => s.size, () => undefined);
  if (size === undefined) throw new CliFailure(`--body: cannot read ${file}`, EXIT_USAGE);
  if (size > hook.max_body_bytes) throw new CliFailure(`--body: ${file} is ${size} bytes; the hook accepts at most ${hook.max_body_bytes} (max_body_bytes)`, EXIT_USAGE);
  const bytes = await readFile(file);
  try {
    JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new CliFailure(`--body: ${file} is not valid JSON (UTF-8). Fix: send a JSON document`, EXIT_USAGE);
  }
  return bytes;
}
