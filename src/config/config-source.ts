// A config source (parsed pincer.yaml, or none), and the mapping from "problem at key path" to a located ConfigError.
// Knows where a key is written (file:line, or the env variable that set it); does not know what is valid. Parsing
// YAML is config-yaml.ts's job, so a start without a config file never loads the YAML parser.
import type { Document } from "yaml";
import { ConfigError } from "../core/errors.ts";
import { redactSecrets } from "./redact.ts";
import type { KeyPath } from "./schema-walk.ts";

/** A parsed config file (or the absent default file) plus what is needed to point at its lines. */
export interface ConfigSource {
  file: string;
  /** The parsed file; absent when there is no file (every key comes from defaults or env). */
  doc?: Document;
  /** Line of the deepest node on `path` written in the file: the key's own line, else its nearest written parent. */
  lineOf(path: KeyPath): number | undefined;
  /** Reads a raw env value as YAML (`8080` → number, `[a, b]` → list), for coerceRawValue. */
  parseYaml(text: string): unknown;
  /** Dotted key path → env variable that overrode it (PORT, PINCER__GATEWAY__PORT, ...). */
  envOverrides: Map<string, string>;
}

/** A problem found at a key path, before it is located in the file. */
export interface RawIssue {
  path: KeyPath;
  problem: string;
  fix: string;
}

/** A ConfigError carrying every problem found in one pass; its own fields describe the first. */
export class ConfigIssuesError extends ConfigError {
  readonly issues: readonly ConfigError[];

  constructor(issues: readonly ConfigError[]) {
    const first = issues[0];
    if (!first) throw new Error("ConfigIssuesError needs at least one issue");
    super({ file: first.file, line: first.line, keyPath: first.keyPath, problem: first.problem, fix: first.fix });
    this.issues = issues;
    // One line per problem, the first exactly as a lone ConfigError would read.
    this.message = issues.map((issue) => issue.message).join("\n");
  }
}

/**
 * A config file's bytes as text. Refuses what is not YAML text — NUL bytes or invalid UTF-8 — instead of
 * letting the parser read a binary file as an empty or odd document. A UTF-8 BOM is dropped.
 */
export function decodeConfigText(bytes: Uint8Array, file: string): string {
  const fix = "point --config (or PINCER_HOME) at your pincer.yaml, or replace this file with a YAML text file";
  if (bytes.includes(0)) throw new ConfigError({ file, problem: "the file is not YAML text (it contains NUL bytes; is it a binary file?)", fix });
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (err) {
    throw new ConfigError({ file, problem: "the file is not YAML text (it is not valid UTF-8)", fix: `${fix}; save it as UTF-8`, cause: err });
  }
}

/**
 * The source of an absent default config file, for loading without the YAML parser.
 * Contract: `parseYaml` throws (a bug): only build this when no env override needs typing (see envOverridesNeedYaml).
 */
export function emptyConfigSource(file: string): ConfigSource {
  return {
    file,
    lineOf: () => undefined,
    parseYaml: () => {
      throw new Error("emptyConfigSource: an env value needs the YAML parser; load the config through config-yaml.ts");
    },
    envOverrides: new Map(),
  };
}

/** The document as plain data; an empty file is `{}`. Alias errors become a ConfigError. */
export function readSourceData(source: ConfigSource): unknown {
  if (!source.doc || source.doc.contents === null) return {};
  try {
    return source.doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new ConfigError({
      file: source.file,
      problem: `invalid YAML: ${err instanceof Error ? err.message : String(err)}`,
      fix: "define each &anchor before its *alias and avoid alias chains that expand without bound",
      cause: err,
    });
  }
}

/** Renders a key path as users write it: `agents.default.model`, `models.tiers.fast.fallbacks[0]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** The env variable that set `path` or one of its parents, if any. */
function envSourceOf(source: ConfigSource, path: KeyPath): string | undefined {
  for (let i = path.length; i > 0; i--) {
    const name = source.envOverrides.get(path.slice(0, i).join("."));
    if (name) return name;
  }
  return undefined;
}

/** Locates a raw issue: `file:line keyPath`, or `(from env NAME) keyPath` when an env override set it. */
export function toConfigError(source: ConfigSource, raw: RawIssue): ConfigError {
  const issue = { ...raw, problem: redactSecrets(raw.problem) };
  const keyPath = formatKeyPath(issue.path) || undefined;
  const envName = envSourceOf(source, issue.path);
  if (envName) {
    const err = new ConfigError({ keyPath, problem: issue.problem, fix: issue.fix });
    err.message = `(from env ${envName}) ${keyPath}: ${issue.problem}. Fix: ${issue.fix}`;
    return err;
  }
  return new ConfigError({ file: source.file, line: source.lineOf(issue.path), keyPath, problem: issue.problem, fix: issue.fix });
}

/** Throws a ConfigIssuesError listing every issue; returns when there are none. */
export function throwIfIssues(source: ConfigSource, issues: readonly RawIssue[]): void {
  if (issues.length > 0) throw new ConfigIssuesError(issues.map((issue) => toConfigError(source, issue)));
}
