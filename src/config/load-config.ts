// Loads pincer.yaml: read → parse with lines → `${env:X}` substitution → env overrides → schema + references
// → workspaces kept apart from the state dir.
// Returns a validated config or throws a ConfigError naming file:line, key path and fix; never exits.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { PincerConfig } from "../core/config-schema.ts";
import { ConfigError } from "../core/errors.ts";
import { checkWorkspaces } from "./check-workspaces.ts";
import { applyEnvOverrides, envOverridesNeedYaml, substituteEnvRefs } from "./config-env.ts";
import { decodeConfigText, emptyConfigSource, readSourceData, throwIfIssues } from "./config-source.ts";
import type { ConfigSource } from "./config-source.ts";
import { defaultConfigPath, expandHome, resolveStateDir } from "./paths.ts";
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
  const text = await readConfigText(file, explicit);
  const config = await validateConfigText(text, { file, env: opts.env });
  return { config, file, exists: text !== undefined, stateDir };
}

/**
 * Validates config text as loadConfig would find it in `file` (undefined: no file): env references, env overrides,
 * schema, references, workspaces. For checking an edit before it is written. Throws ConfigError like loadConfig.
 */
export async function validateConfigText(text: string | undefined, opts: { file: string; env: Env }): Promise<PincerConfig> {
  // The YAML parser (72 modules) loads only for a file, or for env overrides that need typing (PORT=8080).
  const source =
    text === undefined && !envOverridesNeedYaml(opts.env) ? emptyConfigSource(opts.file) : (await import("./config-yaml.ts")).parseConfigSource(text ?? "", opts.file);
  return validateConfigSource(source, { env: opts.env, applyOverrides: true });
}

export interface ValidateSourceOptions {
  env: Env;
  /** Apply PORT / PINCER_* overrides (loading) or validate the file alone (editing). */
  applyOverrides: boolean;
  /** Leave unset `${env:X}` references in place instead of failing (editing on a machine without them). */
  allowMissingEnv?: boolean;
}

/** Runs substitution, overrides and validation over a parsed source. Throws ConfigError on any problem. */
export function validateConfigSource(source: ConfigSource, opts: ValidateSourceOptions): PincerConfig {
  const raw = readSourceData(source);
  const substituted = substituteEnvRefs(raw, { env: opts.env, allowMissing: opts.allowMissingEnv, parseYaml: source.parseYaml });
  throwIfIssues(source, substituted.issues);
  let data = substituted.value;
  if (opts.applyOverrides) {
    const overridden = applyEnvOverrides(data, { env: opts.env, parseYaml: source.parseYaml });
    data = overridden.value;
    for (const [path, name] of overridden.overrides) source.envOverrides.set(path, name);
  }
  const config = validateConfigData(data, source);
  throwIfIssues(source, checkWorkspaces(config, { stateDir: resolveStateDir(opts.env), env: opts.env }));
  return config;
}

/** The file's text; undefined when the default file is absent. */
async function readConfigText(file: string, explicit: boolean): Promise<string | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) return undefined;
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
