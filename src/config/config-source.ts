// Parsed pincer.yaml with line tracking, and the mapping from "problem at key path" to a located ConfigError.
// Knows where a key is written (file:line, or the env variable that set it); does not know what is valid.
import { Document, LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import type { Node } from "yaml";
import { ConfigError } from "../core/errors.ts";
import { redactSecrets } from "./redact.ts";
import type { KeyPath } from "./schema-walk.ts";

/** A parsed config file plus what is needed to point at its lines. */
export interface ConfigSource {
  file: string;
  doc: Document;
  lineCounter: LineCounter;
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

/** Parses YAML text keeping line positions; a syntax error becomes a ConfigError at its line. */
export function parseConfigSource(text: string, file: string): ConfigSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  const errors = doc.errors.map(
    (err) =>
      new ConfigError({
        file,
        line: lineCounter.linePos(err.pos[0]).line,
        problem: `invalid YAML: ${err.message}`,
        fix: "correct the YAML syntax at that line (indent with spaces, quote values containing ': ' or '#')",
        cause: err,
      }),
  );
  if (errors.length > 0) throw new ConfigIssuesError(errors);
  return { file, doc, lineCounter, envOverrides: new Map() };
}

/** The document as plain data; an empty file is `{}`. Alias errors become a ConfigError. */
export function readSourceData(source: ConfigSource): unknown {
  if (source.doc.contents === null) return {};
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

/** Line of the deepest node on `path` that exists: the key's own line, else its nearest written parent. */
export function lineOf(source: ConfigSource, path: KeyPath): number | undefined {
  let node: unknown = source.doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(source.doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : source.lineCounter.linePos(offset).line;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return key === null || key === undefined ? undefined : String(key);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
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
  return new ConfigError({ file: source.file, line: lineOf(source, issue.path), keyPath, problem: issue.problem, fix: issue.fix });
}

/** Throws a ConfigIssuesError listing every issue; returns when there are none. */
export function throwIfIssues(source: ConfigSource, issues: readonly RawIssue[]): void {
  if (issues.length > 0) throw new ConfigIssuesError(issues.map((issue) => toConfigError(source, issue)));
}
