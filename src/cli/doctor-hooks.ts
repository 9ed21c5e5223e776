// `pincer doctor` check of webhook triggers: each hook's agent configured and secret env var set (fail), the secret long
// enough (warn), and a note when the gateway only listens on loopback (senders on the internet need a reverse proxy).
// Loaded only when hooks are configured.
import { ownEntry } from "../core/own-entry.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { resolveListenAddress } from "../gateway/listen-address.ts";
import type { Check } from "./doctor-command.ts";

/** Shorter secrets are guessable or typed by hand; GitHub suggests a long random value. */
const MIN_SECRET_CHARS = 16;

/** Never throws. No hooks → no lines. */
export function checkHooks(config: PincerConfig, env: Record<string, string | undefined>, configFile: string): Check[] {
  const hooks = Object.entries(config.hooks);
  if (hooks.length === 0) return [];
  const checks: Check[] = [];
  for (const [name, hook] of hooks) {
    if (!Object.hasOwn(config.agents, hook.agent)) {
      checks.push({
        name: "hooks", status: "fail",
        detail: `hook "${name}": hooks.${name}.agent is "${hook.agent}", which is not configured, so POST /hooks/${name} answers 503`,
        fix: `set hooks.${name}.agent to one of: ${Object.keys(config.agents).join(", ")}, or add agents.${hook.agent}`,
      });
    }
    const secret = ownEntry(env, hook.secret_env);
    if (!secret) {
      checks.push({
        name: "hooks", status: "fail",
        detail: `hook "${name}": ${hook.secret_env} (hooks.${name}.secret_env) is not set, so POST /hooks/${name} answers 503`,
        fix: `set ${hook.secret_env} in the gateway's environment (e.g. openssl rand -hex 32) and give the same value to the sender; then restart the gateway`,
      });
    } else if (secret.length < MIN_SECRET_CHARS) {
      checks.push({
        name: "hooks", status: "warn",
        detail: `hook "${name}": the secret in ${hook.secret_env} is ${secret.length} characters; use at least ${MIN_SECRET_CHARS}`,
        fix: "generate a long random secret (openssl rand -hex 32) and set it on the gateway and the sender",
      });
    }
  }
  if (!checks.some((c) => c.status === "fail")) checks.push({ name: "hooks", status: "ok", detail: `${hooks.length} hook(s): ${hooks.map(([n, h]) => `${n} (${h.auth})`).join(", ")}` });
  try {
    if (resolveListenAddress(config.gateway, { file: configFile }).loopback) {
      checks.push({ name: "hooks", status: "ok", detail: "the gateway listens on loopback only: senders on the internet (GitHub…) reach /hooks/<name> only through a reverse proxy or tunnel (docs/deploy.md)" });
    }
  } catch {
    // An unusable address is the gateway check's to report.
  }
  return checks;
}
