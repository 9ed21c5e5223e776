// pincer.yaml text shown to and taken back from an editor (the Control UI) without its literal secrets: each one is
// replaced by a numbered placeholder, and a placeholder sent back is replaced by the value it stands for in the
// current file. `${env:NAME}` references are not secrets and are shown as written. Comments and layout are kept.
import { isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import type { Document, Node, Scalar } from "yaml";
import { ConfigError } from "../core/errors.ts";
import { formatKeyPath } from "./config-source.ts";
import { isSecretHeader, isSecretKey, redactSecrets } from "./redact.ts";
import type { KeyPath } from "./schema-walk.ts";

/** `<kept secret #3>`: what a literal secret reads as in the editor. */
export const placeholderFor = (n: number): string => `<kept secret #${n}>`;
const PLACEHOLDER = /^<kept secret #(\d{1,6})>$/;
/** Exactly one `${env:NAME}` reference: the value lives in the environment, not in the file. */
const WHOLE_REFERENCE = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;

export interface HiddenSecret {
  keyPath: string;
  line: number | undefined;
  placeholder: string;
}

export interface RedactedConfigText {
  /** The text as written when it holds no literal secret; otherwise re-rendered with placeholders. */
  text: string;
  secrets: HiddenSecret[];
}

/** Replaces every literal secret of the file's text by its placeholder. Text that is not valid YAML is returned
 * with every line that looks like it holds a secret masked by redactSecrets (the editor shows what to fix). */
export function hideConfigSecrets(text: string): RedactedConfigText {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) return { text: redactSecrets(text), secrets: [] };
  const found = findSecrets(doc);
  if (found.length === 0) return { text, secrets: [] };
  const lineOf = lineFinder(text);
  const secrets = found.map((s, i) => {
    const placeholder = placeholderFor(i + 1);
    const line = s.node.range ? lineOf(s.node.range[0]) : undefined;
    s.node.value = placeholder;
    s.node.type = "QUOTE_DOUBLE";
    return { keyPath: formatKeyPath(s.path), line, placeholder };
  });
  return { text: doc.toString({ lineWidth: 0 }), secrets };
}

/**
 * Puts the current file's secrets back where `edited` holds their placeholders (wherever they were moved to).
 * Contract: throws a ConfigError naming the key path of a placeholder the current file has no secret for; text that
 * is not valid YAML is returned unchanged (validation reports it).
 */
export function restoreConfigSecrets(edited: string, current: string | undefined, file: string): string {
  if (!edited.includes("<kept secret #")) return edited;
  const doc = parseDocument(edited, { keepSourceTokens: false });
  if (doc.errors.length > 0) return edited;
  const originals = current === undefined ? [] : secretValues(current);
  let changed = false;
  walk(doc.contents, [], (node, path) => {
    const m = typeof node.value === "string" ? PLACEHOLDER.exec(node.value) : null;
    if (!m) return;
    const original = originals[Number(m[1]) - 1];
    if (original === undefined) {
      throw new ConfigError({
        file,
        keyPath: formatKeyPath(path),
        problem: `"${node.value}" stands for a secret the config file does not hold (any more)`,
        fix: "type the value itself, or a ${env:NAME} reference",
      });
    }
    node.value = original.value;
    node.type = original.type;
    changed = true;
  });
  return changed ? doc.toString({ lineWidth: 0 }) : edited;
}

/** The literal secrets of a file's text, in placeholder order. */
function secretValues(text: string): Array<{ value: string; type: Scalar["type"] }> {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) return [];
  return findSecrets(doc).map((s) => ({ value: String(s.node.value), type: s.node.type }));
}

interface Found {
  node: Scalar;
  path: KeyPath;
}

/** String scalars that are literal secrets: under a secret key or secret header (not a lone ${env:X} reference),
 * or anywhere when they contain a known secret shape (a key, a token, a password in a URL). In document order. */
function findSecrets(doc: Document): Found[] {
  const out: Found[] = [];
  walk(doc.contents, [], (node, path) => {
    if (typeof node.value !== "string" || node.value === "" || WHOLE_REFERENCE.test(node.value)) return;
    const key = [...path].reverse().find((p): p is string => typeof p === "string");
    const parent = path.length >= 2 ? path[path.length - 2] : undefined;
    const secretPlace = key !== undefined && (isSecretKey(key) || (parent === "headers" && typeof path.at(-1) === "string" && isSecretHeader(key)));
    if (secretPlace || redactSecrets(node.value) !== node.value) out.push({ node, path });
  });
  return out;
}

/** Visits every scalar value (not keys) with its key path. */
function walk(node: unknown, path: KeyPath, visit: (node: Scalar, path: KeyPath) => void): void {
  if (isScalar(node)) return visit(node, path);
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      walk(pair.value, [...path, key], visit);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item: unknown, i) => walk(item as Node, [...path, i], visit));
  }
}

function lineFinder(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
