// Parses pincer.yaml text with the YAML parser, keeping line positions for error messages. Imported on demand:
// only when a config file exists, an env value needs typing, or the file is edited.
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parse, parseDocument } from "yaml";
import type { Document, Node } from "yaml";
import { ConfigError } from "../core/errors.ts";
import { ConfigIssuesError, type ConfigSource } from "./config-source.ts";
import type { KeyPath } from "./schema-walk.ts";

/** Parses YAML text keeping line positions; a syntax error becomes a ConfigError at its line. */
export function parseConfigSource(text: string, file: string): ConfigSource & { doc: Document } {
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
  return { file, doc, lineOf: (path) => lineOf(doc, lineCounter, path), parseYaml: (value) => parse(value) as unknown, envOverrides: new Map() };
}

function lineOf(doc: Document, lineCounter: LineCounter, path: KeyPath): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
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
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return key === null || key === undefined ? undefined : String(key);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
