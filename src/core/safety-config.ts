// The safety parts of the config schema: approvals, elevated mode, the taint-aware gate and MCP servers.
// Plain zod; behaviour lives in src/tools (the gate), src/routing (approvals, elevation) and src/mcp.
import { z } from "zod";

/** Tools guarded once a run holds untrusted content (names, `group:<g>`, `mcp__<server>__*` patterns). `write` and
 * `edit` are guarded outside `inbox/` only, `web_fetch` only to hosts that did not appear in trusted input. */
export const DEFAULT_TAINT_GUARDED: readonly string[] = ["exec", "write", "edit", "web_fetch", "send_agent_message", "spawn_agent", "schedule", "group:mcp"];

export const taintPolicySchema = z.strictObject({
  /** What a guarded call of a tainted run gets: an approval request (`ask`; denied when nobody can approve), or `deny`. */
  action: z.enum(["ask", "deny"]).default("ask"),
  guarded: z.array(z.string().min(1)).default(() => [...DEFAULT_TAINT_GUARDED]),
});
export type TaintPolicy = z.infer<typeof taintPolicySchema>;

export const elevatedPolicySchema = z.strictObject({
  /** Elevated mode (break glass) can be turned on per session by an owner; off = `/elevate` is refused. */
  enabled: z.boolean().default(false),
  /** Length of an elevation when `/elevate on` names none, minutes. */
  default_minutes: z.number().int().min(1).max(1440).default(15),
  /** Longest elevation, minutes. */
  max_minutes: z.number().int().min(1).max(1440).default(120),
  /** Tools allowed while elevated in addition to the policy's (names, groups, patterns); `deny` still wins. */
  allow: z.array(z.string().min(1)).default([]),
}).refine((e) => e.default_minutes <= e.max_minutes, { error: "elevated.default_minutes must not exceed elevated.max_minutes" });
export type ElevatedPolicy = z.infer<typeof elevatedPolicySchema>;

export const approvalsSchema = z.strictObject({
  /** An approval request nobody answered within this time is denied (the model gets a tool error and carries on). */
  timeout_ms: z.number().int().min(1_000).max(7 * 86_400_000).default(600_000),
});

/** MCP server names: `mcp__<server>__<tool>` in tool names and policy patterns. */
export const MCP_SERVER_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/i;

const mcpCommon = {
  /** Results of a trusted server do not taint a run. */
  trusted: z.boolean().default(false),
  /** Tools this server offers to the model; absent = all it lists. */
  tools: z.array(z.string().min(1)).optional(),
  /** Tools whose calls are not guarded by taint (read-only ones you vouch for). */
  safe_tools: z.array(z.string().min(1)).default([]),
  /** Per call. */
  timeout_ms: z.number().int().min(100).max(3_600_000).default(60_000),
};

export const mcpStdioServerSchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Environment of the server process (values may use ${env:X}); nothing else of the gateway's environment is passed but PATH and HOME. */
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  ...mcpCommon,
});

export const mcpHttpServerSchema = z.strictObject({
  /** Streamable HTTP endpoint; the older SSE transport is tried when it is refused. */
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).default({}),
  /** Env var holding a bearer token sent as Authorization. */
  bearer_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name").optional(),
  ...mcpCommon,
});

export const mcpServerSchema = z.union([mcpStdioServerSchema, mcpHttpServerSchema], {
  error: () => "expected a stdio server ({ command, args?, env?, cwd? }) or an HTTP server ({ url, headers?, bearer_env? })",
});
export type McpServerConfig = z.infer<typeof mcpServerSchema>;

export const mcpSchema = z.strictObject({
  servers: z.record(z.string().regex(MCP_SERVER_NAME, "MCP server names are 1-32 letters, digits, - and _"), mcpServerSchema).default({}),
  /** A server with no call for this long is stopped (started again on the next call). */
  idle_stop_ms: z.number().int().min(1_000).default(600_000),
  /** Longest description of an MCP tool shown to the model, characters. */
  max_description_chars: z.number().int().min(20).max(4_000).default(300),
  /** Largest text of an MCP tool result given to the model, characters. */
  max_result_chars: z.number().int().min(1_000).max(1_000_000).default(40_000),
});
export type McpConfig = z.infer<typeof mcpSchema>;
