// The environment's two ways into config: `${env:NAME}` references inside string values, and overrides
// (PORT, PINCER_LOG_LEVEL, PINCER_STORE_URL, PINCER_BUS_URL, PINCER_INSTANCE, PINCER_SKILLS_REGISTRY, PINCER__A__B=value). Pure functions over an injected env.
import type { Env } from "./paths.ts";
import type { RawIssue } from "./config-source.ts";
import { coerceRawValue, leafKindAt } from "./schema-walk.ts";
import type { KeyPath } from "./schema-walk.ts";

const REFERENCE = /\$(\$?)\{env:([^}]*)\}/g;
const WHOLE_REFERENCE = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Env variables with a fixed target key path; PINCER__A__B covers everything else. */
export const NAMED_ENV_OVERRIDES: Readonly<Record<string, readonly string[]>> = {
  PORT: ["gateway", "port"],
  PINCER_LOG_LEVEL: ["log", "level"],
  PINCER_STORE_URL: ["store", "url"],
  PINCER_BUS_URL: ["bus", "url"],
  PINCER_INSTANCE: ["instance"],
  PINCER_SKILLS_REGISTRY: ["skills", "registry"],
};

/** A key path with `*` standing for any one key. */
export type KeyPathPattern = readonly string[];

/**
 * Parts of the config that an unset `${env:X}` inside them takes out of service alone, instead of failing the whole
 * load: a chat channel account is used only by the gateway's connection to that platform, so a bot token missing from
 * this environment must not stop `pincer run`, `doctor` or the other accounts.
 */
export const ENV_ISOLATED_PARTS: readonly KeyPathPattern[] = [["channels", "*", "accounts", "*"]];

export interface SubstituteOptions {
  env: Env;
  /** Leave references to unset variables as written instead of reporting them (used when editing). */
  allowMissing?: boolean;
  /** Types a value that is exactly one reference where the schema wants no string (see coerceRawValue). */
  parseYaml: (text: string) => unknown;
  /** Parts whose unset references are reported as `deferred` (and left as written) instead of as issues. */
  isolate?: readonly KeyPathPattern[];
}

/** An unset variable inside an isolated part: `part` is the part's key path, `issue` the reference's problem. */
export interface DeferredRef {
  part: KeyPath;
  variable: string;
  issue: RawIssue;
}

/**
 * Replaces `${env:NAME}` in every string value (keys untouched) and turns `$${env:NAME}` into the literal
 * `${env:NAME}`. A value that is exactly one reference is typed by the schema (`port: ${env:PORT}` → number).
 * Contract: never throws; unset variables and malformed references come back as issues, except unset variables
 * inside an isolated part, which come back as `deferred` with the reference left as written.
 */
export function substituteEnvRefs(data: unknown, opts: SubstituteOptions): { value: unknown; issues: RawIssue[]; deferred: DeferredRef[] } {
  const issues: RawIssue[] = [];
  const deferred: DeferredRef[] = [];
  const report = (issue: RawIssue, missing?: string): void => {
    const part = missing ? isolatedPartOf(issue.path, opts.isolate ?? []) : undefined;
    if (part && missing) deferred.push({ part, variable: missing, issue });
    else issues.push(issue);
  };
  const visit = (value: unknown, path: KeyPath): unknown => {
    if (typeof value === "string") return substituteString(value, path, opts, report);
    if (Array.isArray(value)) return value.map((item, i) => visit(item, [...path, i]));
    if (isPlainObject(value)) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item, [...path, key])]));
    }
    return value;
  };
  return { value: visit(data, []), issues, deferred };
}

/** The key path of the isolated part that contains `path`, if any. */
export function isolatedPartOf(path: KeyPath, patterns: readonly KeyPathPattern[]): KeyPath | undefined {
  for (const pattern of patterns) {
    if (path.length > pattern.length && pattern.every((segment, i) => segment === "*" || segment === path[i])) return path.slice(0, pattern.length);
  }
  return undefined;
}

/** `missing`: the unset variable the issue is about. */
function substituteString(text: string, path: KeyPath, opts: SubstituteOptions, report: (issue: RawIssue, missing?: string) => void): unknown {
  if (!text.includes("{env:")) return text;
  const whole = WHOLE_REFERENCE.exec(text);
  if (whole?.[1] && opts.env[whole[1]] !== undefined) return coerceRawValue(path, opts.env[whole[1]] ?? "", opts);
  return text.replace(REFERENCE, (match, escape: string, name: string) => {
    if (escape) return match.slice(1);
    if (!VAR_NAME.test(name)) {
      report({
        path,
        problem: `invalid env reference "${match}"`,
        fix: "write ${env:NAME} with a name of letters, digits and _, or $${env:...} for literal text",
      });
      return match;
    }
    const value = opts.env[name];
    if (value !== undefined) return value;
    if (!opts.allowMissing) {
      report({
        path,
        problem: `environment variable ${name} is not set`,
        fix: `export ${name} in the environment that runs pincer, or write $\${env:${name}} for literal text`,
      }, name);
    }
    return match;
  });
}

/** The env overrides that apply: each set, non-empty variable with the key path it targets, PINCER__A__B in name order. */
export function envOverrideTargets(env: Env): [name: string, path: readonly string[], raw: string][] {
  const targets: [string, readonly string[]][] = Object.entries(NAMED_ENV_OVERRIDES);
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("PINCER__")) continue;
    const segments = name.slice("PINCER__".length).split("__");
    if (segments.every((segment) => segment !== "")) targets.push([name, segments.map((s) => s.toLowerCase())]);
  }
  return targets.flatMap(([name, path]) => {
    const raw = env[name];
    return raw === undefined || raw === "" ? [] : [[name, path, raw] as [string, readonly string[], string]];
  });
}

/** Whether an env override targets a key that is not a string, so its value must be typed by the YAML parser. */
export function envOverridesNeedYaml(env: Env): boolean {
  return envOverrideTargets(env).some(([, path]) => leafKindAt(path) !== "string");
}

/**
 * Applies env overrides on top of the file's data. Empty variables are ignored. Values are typed by the
 * schema at the target path (parsed as YAML by `parseYaml` unless a string is expected).
 * Returns the new data and which variable set which dotted key path (for error messages).
 */
export function applyEnvOverrides(data: unknown, opts: { env: Env; parseYaml: (text: string) => unknown }): { value: unknown; overrides: Map<string, string> } {
  const overrides = new Map<string, string>();
  if (!isPlainObject(data)) return { value: data, overrides };
  const root: Record<string, unknown> = structuredClone(data);
  for (const [name, path, raw] of envOverrideTargets(opts.env)) {
    setPath(root, path, coerceRawValue(path, raw, opts));
    overrides.set(path.join("."), name);
  }
  return { value: root, overrides };
}

function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    node = isPlainObject(next) ? next : (node[key] = {});
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
