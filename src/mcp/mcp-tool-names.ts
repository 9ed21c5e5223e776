// Pure: the names MCP tools get in front of the model and in policy (`mcp__<server>__<tool>`), and their compact schemas.
// No SDK, no I/O: cheap to load and to test.
import { createHash } from "node:crypto";
import type { ToolParameters } from "../tools/tool.ts";

/** Longest tool name the providers accept. */
export const MAX_TOOL_NAME = 64;
const PREFIX = "mcp__";
/** Longest description inside a schema (per property), characters. */
const MAX_PROPERTY_DESCRIPTION = 120;
const MAX_SCHEMA_DEPTH = 6;

const shortHash = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 6);

/** `mcp__<server>__<tool>` with the tool's name cut to `[a-zA-Z0-9_-]`; server names are already safe (config schema). */
export function mcpToolName(server: string, tool: string): string {
  const clean = tool.replace(/[^a-zA-Z0-9_-]/g, "_");
  const name = `${PREFIX}${server}__${clean}`;
  if (name.length <= MAX_TOOL_NAME) return name;
  const suffix = `_${shortHash(tool)}`;
  return `${PREFIX}${server}__${clean.slice(0, MAX_TOOL_NAME - PREFIX.length - server.length - 2 - suffix.length)}${suffix}`;
}

/**
 * The model's names for one server's tools, original name → model name. Contract: deterministic for a given set of
 * names (order does not matter), unique, within 64 chars; when two names clean to the same one, the name that sorts
 * first keeps it and the others get a `_<hash>` suffix of their original name.
 */
export function mcpToolNames(server: string, tools: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const tool of [...new Set(tools)].sort()) {
    let name = mcpToolName(server, tool);
    if (taken.has(name)) {
      const suffix = `_${shortHash(tool)}`;
      name = `${name.slice(0, MAX_TOOL_NAME - suffix.length)}${suffix}`;
      for (let i = 2; taken.has(name); i++) name = `${name.slice(0, MAX_TOOL_NAME - String(i).length)}${i}`;
    }
    taken.add(name);
    out.set(tool, name);
  }
  return out;
}

/** Splits a model name back into server and (cleaned) tool part, or undefined when it is not an MCP name. */
export function parseMcpToolName(name: string): { server: string; tool: string } | undefined {
  const m = /^mcp__([a-zA-Z0-9_-]+?)__(.+)$/.exec(name);
  return m ? { server: m[1]!, tool: m[2]! } : undefined;
}

/** Cuts `text` to `max` characters on a word boundary when one is near, with an ellipsis. */
export function cutDescription(text: string | undefined, max: number): string {
  const flat = (text ?? "").replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}

const KEEP = new Set(["type", "properties", "required", "items", "enum", "const", "description", "default", "anyOf", "oneOf", "allOf",
  "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "format", "additionalProperties", "nullable"]);

function compactNode(node: unknown, depth: number): unknown {
  if (Array.isArray(node)) return node.map((n) => compactNode(n, depth));
  if (typeof node !== "object" || node === null) return node;
  if (depth > MAX_SCHEMA_DEPTH) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (!KEEP.has(key)) continue;
    if (key === "description") {
      if (typeof value === "string" && value.trim()) out[key] = cutDescription(value, MAX_PROPERTY_DESCRIPTION);
    } else if (key === "properties" && typeof value === "object" && value !== null && !Array.isArray(value)) {
      const props: Record<string, unknown> = {};
      for (const [prop, schema] of Object.entries(value)) props[prop] = compactNode(schema, depth + 1);
      out[key] = props;
    } else if (key === "additionalProperties") {
      // `false` is worth saying; a schema for extra keys is rarely used by models.
      if (value === false) out[key] = false;
    } else out[key] = compactNode(value, depth + 1);
  }
  return out;
}

/**
 * An MCP tool's inputSchema as the model sees it: `$schema`, `$id`, titles, examples and other annotations dropped,
 * types, required, enums, defaults and short descriptions kept; always a `type: object` schema. `$ref`/`$defs` are
 * dropped (the referenced shape becomes an untyped value).
 */
export function compactSchema(schema: unknown): ToolParameters {
  const compacted = compactNode(schema, 0);
  const node = typeof compacted === "object" && compacted !== null && !Array.isArray(compacted) ? (compacted as Record<string, unknown>) : {};
  const props = node["properties"];
  const properties = typeof props === "object" && props !== null && !Array.isArray(props) ? (props as Record<string, unknown>) : {};
  const out: ToolParameters = { type: "object", properties };
  const required = node["required"];
  if (Array.isArray(required)) {
    const names = required.filter((r): r is string => typeof r === "string" && Object.hasOwn(properties, r));
    if (names.length > 0) out.required = names;
  }
  if (node["additionalProperties"] === false) out.additionalProperties = false;
  return out;
}
