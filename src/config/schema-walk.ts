// Reads the zod config schema by key path: which keys a map accepts, what kind of leaf a path expects, and
// how a raw string from the CLI or env becomes a typed value. Validation itself stays with zod.
import type { z } from "zod";
import { configSchema } from "../core/config-schema.ts";

export type KeyPath = readonly (string | number)[];

// The subset of zod's internal `def` this module reads; zod 4 exposes it as `schema.def`.
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  entries?: Record<string, string | number>;
}

const WRAPPERS = new Set(["default", "prefault", "optional", "nullable", "readonly", "catch", "nonoptional"]);

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { def: SchemaDef }).def;
}

/** Strips default/optional/pipe wrappers down to the schema that does the checking. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(current);
    const next = WRAPPERS.has(def.type) ? def.innerType : def.type === "pipe" ? def.in : undefined;
    if (!next) return current;
    current = next;
  }
  return current;
}

/** The schema that validates the value at `path`, or undefined when the path leaves the schema. */
export function schemaAt(path: KeyPath, root: z.ZodType = configSchema): z.ZodType | undefined {
  let current: z.ZodType | undefined = root;
  for (const segment of path) {
    if (!current) return undefined;
    const def = defOf(unwrap(current));
    if (def.type === "object") current = def.shape?.[String(segment)];
    else if (def.type === "record") current = def.valueType;
    else if (def.type === "array") current = def.element;
    else return undefined;
  }
  return current && unwrap(current);
}

/** Keys a map at `path` accepts, when they form a closed set (an object, or a record keyed by an enum). */
export function validKeysAt(path: KeyPath, root: z.ZodType = configSchema): string[] | undefined {
  const schema = schemaAt(path, root);
  if (!schema) return undefined;
  const def = defOf(schema);
  if (def.type === "object") return Object.keys(def.shape ?? {});
  if (def.type === "record" && def.keyType) {
    const keyDef = defOf(unwrap(def.keyType));
    if (keyDef.type === "enum") return Object.values(keyDef.entries ?? {}).map(String);
  }
  return undefined;
}

/** The leaf kind the schema expects at `path`: "string" covers strings, enums and string formats. */
export function leafKindAt(path: KeyPath, root: z.ZodType = configSchema): string | undefined {
  const schema = schemaAt(path, root);
  if (!schema) return undefined;
  const type = defOf(schema).type;
  if (type === "enum" || type === "literal" || type === "template_literal") return "string";
  return type;
}

/**
 * Turns a raw string (CLI argument, env override, whole-value `${env:X}`) into a value for `path`.
 * Where the schema wants a string the raw text is kept as is, so a key like `0123` never becomes 123;
 * elsewhere it is parsed as YAML (`8080` → number, `true` → boolean, `[a, b]` → list).
 */
export function coerceRawValue(path: KeyPath, raw: string, opts: { parseYaml: (text: string) => unknown; root?: z.ZodType }): unknown {
  if (leafKindAt(path, opts.root ?? configSchema) === "string") return raw;
  try {
    const parsed = opts.parseYaml(raw);
    return parsed === null && raw.trim() !== "" && raw.trim() !== "null" && raw.trim() !== "~" ? raw : parsed;
  } catch {
    return raw;
  }
}

/** Closest candidate by edit distance, for "did you mean" hints; undefined when nothing is close. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
