// What changed between two validated configs, and which of those changes a running process can apply live.
// Pure; the composition root (app.ts) applies the live ones and the gateway reports the rest.
import type { PincerConfig } from "../core/config-schema.ts";

/** Key paths whose new value only takes effect after a restart: sockets, storage, per-agent dirs, the sandbox. */
const RESTART_PATTERNS: readonly RegExp[] = [
  /^gateway\.(port|bind|host|webchat)$/,
  /^store(\.|$)/,
  /^agents\.[^.]+\.workspace$/,
  /^policy\.exec\.sandbox$/,
  // A channel account's connection; its access rules (dm_policy, allow_from, groups, owners…) apply live.
  // A whole channel section or account appearing or disappearing.
  /^channels\.[^.]+(\.accounts(\.[^.]+)?)?$/,
  /^channels\.[^.]+\.accounts\.[^.]+\.(token|bot_token|app_token|signing_secret|mode|api_root|webhook_url|webhook_secret|auth_dir|enabled)$/,
];

const ACCOUNT_PATH = /^channels\.([^.]+)\.accounts\.([^.]+)\./;

/** A channel account that was added or removed: it connects or disconnects at the next start, as a whole. */
function accountAddedOrRemoved(path: string, before: PincerConfig, after: PincerConfig): boolean {
  const m = ACCOUNT_PATH.exec(path);
  if (!m) return false;
  const find = (c: PincerConfig): unknown => (c.channels as Record<string, { accounts?: Record<string, unknown> } | undefined>)[m[1]!]?.accounts?.[m[2]!];
  return find(before) === undefined || find(after) === undefined;
}

export interface ConfigChanges {
  /** Leaf key paths that changed and are applied live, e.g. `models.tiers.default.primary`. */
  live: string[];
  /** Leaf key paths that changed but need a restart, e.g. `gateway.port`. */
  restart: string[];
}

/** Compares two configs leaf by leaf (arrays compare whole). Contract: an empty result means nothing changed. */
export function diffConfig(before: PincerConfig, after: PincerConfig): ConfigChanges {
  const changed: string[] = [];
  walk(before, after, "", changed);
  const restart = changed.filter((path) => RESTART_PATTERNS.some((p) => p.test(path)) || accountAddedOrRemoved(path, before, after));
  return { live: changed.filter((path) => !restart.includes(path)), restart };
}

function walk(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], path ? `${path}.${key}` : key, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `after` with the restart-only changes undone: the config actually in force until the next start.
 * Contract: `after` is not modified. */
export function withRestartKeysFrom(before: PincerConfig, after: PincerConfig, restart: readonly string[]): PincerConfig {
  if (restart.length === 0) return after;
  const out = structuredClone(after);
  for (const path of restart) {
    const keys = path.split(".");
    const last = keys.pop()!;
    const from = keys.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), before);
    const into = keys.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), out);
    if (!isRecord(into)) continue;
    const old = isRecord(from) ? from[last] : undefined;
    if (old === undefined) delete into[last];
    else into[last] = structuredClone(old);
  }
  return out;
}
