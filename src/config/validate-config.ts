// Validates config data against the zod schema and the cross-reference rules, turning every problem into
// a located ConfigError with a fix hint. Reading files and env is load-config's job.
import type { z } from "zod";
import { configSchema } from "../core/config-schema.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { checkGatewayHost, checkModelReferences } from "./check-references.ts";
import { isPlainObject } from "./config-env.ts";
import { throwIfIssues } from "./config-source.ts";
import type { ConfigSource, RawIssue } from "./config-source.ts";
import { closestMatch, validKeysAt, type KeyPath } from "./schema-walk.ts";

const SCHEMA_FIX = "see 'pincer config schema' for the expected shape";

/**
 * Parses `data` with the config schema and checks model references.
 * Contract: returns the config with defaults applied, or throws a ConfigIssuesError listing every problem.
 */
export function validateConfigData(data: unknown, source: ConfigSource): PincerConfig {
  throwIfIssues(source, findProtoKeys(data));
  const result = configSchema.safeParse(data, { error: describeIssue, reportInput: true });
  if (!result.success) throwIfIssues(source, result.error.issues.flatMap(toRawIssues));
  const config = result.data as PincerConfig;
  throwIfIssues(source, [...checkModelReferences(config, data), ...checkGatewayHost(config)]);
  return config;
}

/**
 * `__proto__` keys at any depth. The YAML parser keeps them as own data, but zod's records drop them silently
 * (an agent, provider or account named so would vanish), so they are refused by name, where they are written.
 */
function findProtoKeys(data: unknown, path: KeyPath = []): RawIssue[] {
  if (Array.isArray(data)) return data.flatMap((item: unknown, i) => findProtoKeys(item, [...path, i]));
  if (!isPlainObject(data)) return [];
  return Object.entries(data).flatMap(([key, value]) =>
    key === "__proto__"
      ? [{ path: [...path, key], problem: `"__proto__" cannot be used as a name`, fix: "rename the key; ids and names start with a letter or digit" }]
      : findProtoKeys(value, [...path, key]),
  );
}

/** Our wording for zod's generic messages; schema-level messages (model refs, provider types) win over it. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  const input = issue.input;
  switch (issue.code) {
    case "invalid_type":
      return `expected ${article(issue.expected)}, got ${describeValue(input)}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${describeValue(input)}`;
    case "invalid_format":
      return `expected ${issue.format === "regex" ? "text matching " + String(issue["pattern"]) : article(issue.format)}, got ${describeValue(input)}`;
    case "too_small":
    case "too_big":
      return describeBound(issue.code, issue.origin, issue.code === "too_small" ? issue.minimum : issue.maximum, issue.inclusive, input);
    default:
      return undefined;
  }
}

function describeBound(code: "too_small" | "too_big", origin: string, limit: unknown, inclusive: boolean | undefined, input: unknown): string {
  const n = Number(limit);
  if (origin === "string" || origin === "array") {
    const count = code === "too_small" ? (inclusive === false ? n + 1 : n) : inclusive === false ? n - 1 : n;
    const unit = origin === "string" ? "character" : "item";
    return `expected ${code === "too_small" ? "at least" : "at most"} ${count} ${unit}${count === 1 ? "" : "s"}`;
  }
  const op = code === "too_small" ? (inclusive === false ? ">" : ">=") : inclusive === false ? "<" : "<=";
  return `expected a number ${op} ${String(limit)}, got ${describeValue(input)}`;
}

/** One zod issue → one raw issue per offending key (an unrecognized_keys issue may name several). */
function toRawIssues(issue: z.core.$ZodIssue): RawIssue[] {
  const path = issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment));
  switch (issue.code) {
    case "unrecognized_keys": {
      const valid = validKeysAt(path) ?? [];
      return issue.keys.map((key) => {
        const guess = closestMatch(key, valid);
        const listing = valid.length > 0 ? `; valid keys: ${valid.join(", ")}` : "";
        return {
          path: [...path, key],
          problem: `unknown key "${key}"`,
          fix: `${guess ? `did you mean "${guess}"? ` : ""}remove it or check spelling${listing}`,
        };
      });
    }
    case "invalid_value":
      return [{ path, problem: issue.message, fix: `use one of ${issue.values.map(String).join(", ")}` }];
    case "invalid_key": {
      const reasons = issue.issues.map((sub) => sub.message).join("; ");
      return [{ path, problem: `invalid key "${String(path.at(-1))}": ${reasons}`, fix: "rename the key" }];
    }
    case "invalid_type":
      return [{ path, problem: issue.message, fix: issue.input === undefined ? `add it; ${SCHEMA_FIX}` : SCHEMA_FIX }];
    default:
      return [{ path, problem: issue.message, fix: SCHEMA_FIX }];
  }
}

function article(kind: string): string {
  const names: Record<string, string> = { object: "a map", array: "a list", int: "a whole number", url: "a URL", record: "a map" };
  return names[kind] ?? (/^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`);
}

/** A value as a user wrote it: strings quoted, maps and lists named, missing as "nothing". */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  return String(value);
}
