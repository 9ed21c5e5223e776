// Loads pincer.yaml: read → parse with lines → `${env:X}` substitution → env overrides → schema + references
// → workspaces kept apart from the state dir.
// Returns a validated config or throws a ConfigError naming file:line, key path and fix; never exits.
import { access, constants, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { PincerConfig } from "../core/config-schema.ts";
import { ConfigError } from "../core/errors.ts";
import { checkWorkspaces } from "./check-workspaces.ts";
import { applyEnvOverrides, ENV_ISOLATED_PARTS, envOverridesNeedYaml, isPlainObject, substituteEnvRefs, type DeferredRef } from "./config-env.ts";
import { ConfigIssuesError, decodeConfigText, emptyConfigSource, formatKeyPath, readSourceData, throwIfIssues, toConfigError } from "./config-source.ts";
import type { ConfigSource } from "./config-source.ts";
import type { KeyPath } from "./schema-walk.ts";
import { defaultConfigPath, expandHome, resolveStateDir } from "./paths.ts";
import { toSetupError } from "./state-dir.ts";
import type { Env } from "./paths.ts";
import { validateConfigData } from "./validate-config.ts";

export interface LoadConfigOptions {
  /** Path from `--config`; when given, the file must exist. Default: `<state dir>/pincer.yaml`. */
  file?: string;
  env: Env;
}

export interface LoadedConfig {
  config: PincerConfig;
  /** Absolute path of the config file (also used in every error message). */
  file: string;
  /** False when the default file is absent and the config is all defaults (plus env overrides). */
  exists: boolean;
  stateDir: string;
  /** Parts left out of `config` because an `${env:X}` in them is unset here (see ENV_ISOLATED_PARTS). */
  withheld: WithheldPart[];
}

/** A part of the config taken out of service (left out of the loaded config) because an `${env:X}` in it is unset. */
export interface WithheldPart {
  /** Its key path, e.g. `["channels", "telegram", "accounts", "default"]`. */
  path: KeyPath;
  /** The unset variables, in the order written. */
  variables: string[];
  /** Which references are unset, located (`pincer.yaml:5 channels.telegram.accounts.default.token: …. Fix: …`). */
  error: ConfigError;
}

/**
 * Loads and validates the config.
 * Contract: a user mistake (missing --config file, bad YAML, unset env var, invalid value) throws a
 * ConfigError — a ConfigIssuesError with `issues` when validation found several problems.
 */
export async function loadConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  const stateDir = resolveStateDir(opts.env);
  const explicit = opts.file !== undefined && opts.file !== "";
  const file = explicit && opts.file ? resolve(expandHome(opts.file, opts.env)) : defaultConfigPath(stateDir);
  const text = await readConfigText(file, { explicit, stateDir });
  // The YAML parser (72 modules) loads only for a file, or for env overrides that need typing (PORT=8080).
  const source =
    text === undefined && !envOverridesNeedYaml(opts.env) ? emptyConfigSource(file) : (await import("./config-yaml.ts")).parseConfigSource(text ?? "", file);
  const { config, withheld } = validateConfigSource(source, { env: opts.env, applyOverrides: true });
  return { config, file, exists: text !== undefined, stateDir, withheld };
}

/** Loads config text as if `file` held it (e.g. a planned edit), with env references and overrides applied. */
export async function loadConfigText(text: string, opts: { file: string; env: Env }): Promise<LoadedConfig> {
  const source = (await import("./config-yaml.ts")).parseConfigSource(text, opts.file);
  const { config, withheld } = validateConfigSource(source, { env: opts.env, applyOverrides: true });
  return { config, file: opts.file, exists: true, stateDir: resolveStateDir(opts.env), withheld };
}

/**
 * Validates config text as loadConfig would find it in `file` (undefined: no file): env references, env overrides,
 * schema, references, workspaces. For checking an edit before it is written. Throws ConfigError like loadConfig.
 */
export async function validateConfigText(text: string | undefined, opts: { file: string; env: Env }): Promise<PincerConfig> {
  const source =
    text === undefined && !envOverridesNeedYaml(opts.env) ? emptyConfigSource(opts.file) : (await import("./config-yaml.ts")).parseConfigSource(text ?? "", opts.file);
  return validateConfigSource(source, { env: opts.env, applyOverrides: true }).config;
}

export interface ValidateSourceOptions {
  env: Env;
  /** Apply PORT / PINCER_* overrides (loading) or validate the file alone (editing). */
  applyOverrides: boolean;
  /** Leave unset `${env:X}` references in place instead of failing (editing on a machine without them). */
  allowMissingEnv?: boolean;
}

/**
 * Runs substitution, overrides and validation over a parsed source. Throws ConfigError on any problem, except unset
 * variables inside an isolated part (a channel account): that part is withheld and the rest is returned.
 */
export function validateConfigSource(source: ConfigSource, opts: ValidateSourceOptions): { config: PincerConfig; withheld: WithheldPart[] } {
  const raw = readSourceData(source);
  const substituted = substituteEnvRefs(raw, { env: opts.env, allowMissing: opts.allowMissingEnv, parseYaml: source.parseYaml, isolate: ENV_ISOLATED_PARTS });
  throwIfIssues(source, substituted.issues);
  let data = substituted.value;
  let deferred = substituted.deferred;
  if (opts.applyOverrides) {
    const overridden = applyEnvOverrides(data, { env: opts.env, parseYaml: source.parseYaml });
    data = overridden.value;
    for (const [path, name] of overridden.overrides) source.envOverrides.set(path, name);
    // A reference an env override replaced (PINCER__CHANNELS__…__TOKEN) is not missing any more.
    deferred = deferred.filter(({ issue }) => !overridden.overrides.has(issue.path.join(".")));
  }
  const withheld = withholdParts(data, deferred, source);
  const config = validateConfigData(data, source);
  throwIfIssues(source, checkWorkspaces(config, { stateDir: resolveStateDir(opts.env), env: opts.env }));
  return { config, withheld };
}

/**
 * Removes from `data` (in place) each part with an unset reference, and says why. A part switched off with
 * `enabled: false` stays, its references as written: nothing uses it, so nothing is missing.
 */
function withholdParts(data: unknown, deferred: readonly DeferredRef[], source: ConfigSource): WithheldPart[] {
  const byPart = new Map<string, { path: KeyPath; variables: string[]; issues: DeferredRef["issue"][] }>();
  for (const { part, variable, issue } of deferred) {
    const key = formatKeyPath(part);
    const entry = byPart.get(key) ?? { path: part, variables: [], issues: [] };
    if (!entry.variables.includes(variable)) entry.variables.push(variable);
    entry.issues.push(issue);
    byPart.set(key, entry);
  }
  const withheld: WithheldPart[] = [];
  for (const { path, variables, issues } of byPart.values()) {
    let parent: unknown = data;
    for (const segment of path.slice(0, -1)) parent = isPlainObject(parent) ? parent[String(segment)] : undefined;
    const name = String(path.at(-1));
    if (!isPlainObject(parent) || !Object.hasOwn(parent, name)) continue;
    const part = parent[name];
    if (isPlainObject(part) && part["enabled"] === false) continue;
    delete parent[name];
    const errors = issues.map((issue) => toConfigError(source, issue));
    withheld.push({ path, variables, error: errors.length === 1 ? errors[0]! : new ConfigIssuesError(errors) });
  }
  return withheld;
}

/** The file's text; undefined when the default file is absent. */
async function readConfigText(file: string, opts: { explicit: boolean; stateDir: string }): Promise<string | undefined> {
  const { explicit } = opts;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) return undefined;
    // The default file's folder is the state dir: a file in its place, or a dir this user may not enter, is the state
    // dir's problem (and said so the same way as everywhere else).
    if ((code === "ENOTDIR" || code === "EACCES") && !explicit) {
      const dirProblem = await access(opts.stateDir, constants.R_OK | constants.W_OK | constants.X_OK).then(() => undefined, (dirErr: unknown) => toSetupError(dirErr, { dir: opts.stateDir }));
      if (dirProblem) throw dirProblem;
    }
    if (code === "ENOENT") {
      throw new ConfigError({
        file,
        problem: "config file not found",
        fix: "check the path given to --config, or leave --config out to use the default file",
        cause: err,
      });
    }
    throw new ConfigError({
      file,
      problem: `cannot read the config file (${code ?? "unknown error"})`,
      fix: code === "EISDIR" ? "point --config at a file, not a folder" : "check the file's permissions and owner",
      cause: err,
    });
  }
  return decodeConfigText(bytes, file);
}
