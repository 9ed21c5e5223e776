// The pincer.yaml schema (zod): the single source of truth for config types, validation and JSON Schema.
// Keys are snake_case as users write them; defaults live here, nowhere else.
import { z } from "zod";
import { bindingSchema, channelsSchema, mediaSchema, sessionSchema } from "./channel-config.ts";
import { budgetSchema, heartbeatSchema, hooksSchema } from "./automation-config.ts";
import { approvalsSchema, elevatedPolicySchema, mcpSchema, taintPolicySchema } from "./safety-config.ts";

export const TIER_NAMES = ["default", "fast", "complex", "local"] as const;
export type TierName = (typeof TIER_NAMES)[number];

export const PROVIDER_TYPES = ["openai", "anthropic", "google", "gateway", "openai-compatible"] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export const COMPAT_PRESETS = ["ollama", "vllm", "lmstudio", "openrouter", "minimax", "moonshot"] as const;
export type CompatPreset = (typeof COMPAT_PRESETS)[number];

export const AUTH_MODES = ["auto", "api_key", "oauth"] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const QUEUE_MODES = ["followup", "collect", "steer", "interrupt"] as const;
export type QueueMode = (typeof QUEUE_MODES)[number];

/** `ask`: binaries outside safe_bins need an owner's approval instead of being refused. */
export const EXEC_LEVELS = ["deny", "allowlist", "ask", "full"] as const;
export type ExecLevel = (typeof EXEC_LEVELS)[number];

/** AgentSkills names: 1-64 lowercase letters, digits and single hyphens, not starting or ending with one. */
export const SKILL_NAME = /^(?!-)(?!.*--)[a-z0-9-]{1,64}(?<!-)$/;
const SKILL_NAME_HINT = "expected a skill name: 1-64 lowercase letters, digits and single hyphens";

const MODEL_REF = /^[a-z0-9][a-z0-9_.-]*\/.+$/i;

/** A model reference: a tier name or `provider/model`. */
export const modelRefSchema = z.string({ error: (iss) => `expected "tier" or "provider/model", got ${describe(iss.input)}` }).refine(
  (v) => (TIER_NAMES as readonly string[]).includes(v) || MODEL_REF.test(v),
  { error: (iss) => `expected a tier (${TIER_NAMES.join(", ")}) or "provider/model", got ${describe(iss.input)}` },
);

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  return String(v);
}

const secretSchema = z.string().min(1);

export const providerSchema = z.strictObject({
  type: z.enum(PROVIDER_TYPES, { error: (iss) => `expected one of ${PROVIDER_TYPES.join(", ")}, got ${describe(iss.input)}` }),
  /** For openai-compatible: a named preset that fills base_url and the api key env var. */
  preset: z.enum(COMPAT_PRESETS).optional(),
  base_url: z.url().optional(),
  api_key: secretSchema.optional(),
  /** A pool of keys; the provider sticks to the last key that worked and rotates on auth/rate errors. */
  api_keys: z.array(secretSchema).optional(),
  /** Name of an env var holding the key (overrides the provider's usual variable). */
  api_key_env: z.string().optional(),
  /** Bearer/OAuth token for providers that accept one (auth_mode: oauth). */
  auth_token: secretSchema.optional(),
  headers: z.record(z.string(), z.string()).optional(),
});
export type ProviderConfig = z.infer<typeof providerSchema>;

export const tierSchema = z.strictObject({
  primary: modelRefSchema,
  fallbacks: z.array(modelRefSchema).default([]),
  auth_mode: z.enum(AUTH_MODES).default("auto"),
});
export type TierConfig = z.infer<typeof tierSchema>;

/** USD per million tokens. */
export const priceSchema = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cached_input: z.number().nonnegative().optional(),
});
export type Price = z.infer<typeof priceSchema>;

export const modelsSchema = z.strictObject({
  providers: z.record(z.string(), providerSchema).default({}),
  tiers: z.partialRecord(z.enum(TIER_NAMES), tierSchema).default({}),
  auth_profile_cooldown_ms: z.number().int().nonnegative().default(60_000),
  /** Per model call: give up (and fail over) when no response starts within this time. */
  timeout_ms: z.number().int().positive().default(120_000),
  /** Extends or overrides the built-in price table, keyed `provider/model`. */
  prices: z.record(z.string(), priceSchema).default({}),
  /** Context windows in tokens, keyed `provider/model` or a bare model id; extends the built-in table. */
  context_windows: z.record(z.string(), z.number().int().min(1024)).default({}),
});

/** Tool groups allowed when policy.tools.allow is not set. */
export const DEFAULT_TOOL_ALLOW: readonly string[] = ["group:fs", "group:runtime", "group:web", "group:agents", "group:memory", "group:automation"];

export const toolPolicySchema = z.strictObject({
  allow: z.array(z.string()).default(() => [...DEFAULT_TOOL_ALLOW]),
  deny: z.array(z.string()).default([]),
  /** Allowed tools whose calls wait for an owner's approval (same entries as allow/deny; deny still wins). */
  ask: z.array(z.string()).default([]),
});

/** Per-process resource limits for sandboxed commands (applied with prlimit when the host has it). */
export const execLimitsSchema = z.strictObject({
  /** Private writable memory (heap) per process, MiB (RLIMIT_DATA). */
  memory_mb: z.number().int().positive().default(1024),
  /** Processes and threads of the sandbox's user, counted across the host (RLIMIT_NPROC). */
  processes: z.number().int().positive().default(256),
  /** Largest file a command may write, MiB (RLIMIT_FSIZE). */
  file_size_mb: z.number().int().positive().default(1024),
  /** CPU time per process, seconds (RLIMIT_CPU). */
  cpu_seconds: z.number().int().positive().default(60),
  /** Open files per process (RLIMIT_NOFILE). */
  open_files: z.number().int().positive().default(1024),
});

export const execPolicySchema = z.strictObject({
  level: z.enum(EXEC_LEVELS).default("allowlist"),
  /** Binaries allowed at level `allowlist`. Interpreters and programs that run other programs (python3, node,
   * awk, find, sed, git, xargs…) mean arbitrary code in the sandbox, so the defaults leave them out. */
  safe_bins: z
    .array(z.string())
    .default(["ls", "cat", "head", "tail", "wc", "grep", "echo", "pwd", "date", "sort", "uniq", "diff", "mkdir", "touch", "cp", "jq", "true", "false"]),
  /** Binaries refused at every level. */
  blocked_bins: z.array(z.string()).default(["sudo", "su", "doas", "rm", "dd", "mkfs", "shutdown", "reboot", "curl", "wget", "nc", "ssh", "scp"]),
  sandbox: z.enum(["auto", "bubblewrap", "host"]).default("auto"),
  network: z.boolean().default(false),
  timeout_ms: z.number().int().positive().default(30_000),
  output_cap_bytes: z.number().int().positive().default(64 * 1024),
  limits: execLimitsSchema.prefault({}),
  /** Pass the env vars granted to a skill (`pincer skills grant`) to that skill's commands; false = never. */
  skill_env: z.boolean().default(true),
});

export const webPolicySchema = z.strictObject({
  allow_private: z.boolean().default(false),
  max_bytes: z.number().int().positive().default(2 * 1024 * 1024),
  timeout_ms: z.number().int().positive().default(15_000),
  max_chars: z.number().int().positive().default(40_000),
});

/** Paths in the workspace whose contents host tools execute (git hooks and config, editor and build configs). */
export const fsPolicySchema = z.strictObject({
  /** Workspace-relative paths or glob patterns the file tools may not change and exec sees read-only, in addition
   * to the always-protected `.git`. */
  protected: z.array(z.string().min(1)).default([]),
});

/** Limits on sub-agents (spawn_agent). A child's own limits are the smaller of these and its agent's. */
export const subagentsPolicySchema = z.strictObject({
  /** Nesting: a top-level run is depth 0, its children depth 1, theirs depth 2. */
  max_depth: z.number().int().min(0).max(10).default(2),
  /** Children one run may start. */
  max_children: z.number().int().min(0).max(100).default(5),
  /** Children running (or waiting for a worker) at once in this instance. */
  max_concurrent: z.number().int().min(0).max(1000).default(4),
  /** Model steps of one child. */
  max_steps: z.number().int().positive().max(200).default(16),
  /** Wall time of one child, seconds; spawn_agent's timeout_s may only shorten it. */
  timeout_s: z.number().int().positive().max(86_400).default(300),
  /** Tokens (input + output) one child may use; it is stopped when a model step takes it past this. */
  max_tokens: z.number().int().positive().default(200_000),
});
export type SubagentsPolicy = z.infer<typeof subagentsPolicySchema>;

export const policySchema = z.strictObject({
  tools: toolPolicySchema.default(() => ({ allow: [...DEFAULT_TOOL_ALLOW], deny: [], ask: [] })),
  exec: execPolicySchema.prefault({}),
  web: webPolicySchema.prefault({}),
  fs: fsPolicySchema.prefault({}),
  subagents: subagentsPolicySchema.prefault({}),
  /** Runs holding untrusted content (strangers' messages, fetched pages, webhook bodies, inbound files, untrusted MCP
   * results) need approval for guarded tools. */
  taint: taintPolicySchema.prefault({}),
  /** Break glass: an owner widens one session's tools for a few minutes, audited. */
  elevated: elevatedPolicySchema.prefault({}),
});
export type Policy = z.infer<typeof policySchema>;

export const agentSchema = z.strictObject({
  model: modelRefSchema.default("default"),
  /** Workspace folder; default `<state dir>/workspace` (or `<state dir>/workspace-<id>` for other agents). */
  workspace: z.string().optional(),
  max_steps: z.number().int().positive().max(200).default(16),
  run_timeout_ms: z.number().int().positive().default(600_000),
  queue_mode: z.enum(QUEUE_MODES).default("followup"),
  /** Per-agent policy; merged over the top-level policy (deny and ask lists add up). */
  tools: z.strictObject({ allow: z.array(z.string()).optional(), deny: z.array(z.string()).optional(), ask: z.array(z.string()).optional() }).optional(),
  /** Skills this agent may use, by name; absent = every eligible skill. */
  skills: z.array(z.string().regex(SKILL_NAME, SKILL_NAME_HINT)).optional(),
});
export type AgentConfig = z.infer<typeof agentSchema>;

const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

function isOrigin(value: string): boolean {
  const url = URL.parse(value);
  return url !== null && (url.protocol === "http:" || url.protocol === "https:") && url.pathname === "/" && !/[?#@]|\/\/.*\/./.test(value);
}

export const gatewaySchema = z.strictObject({
  port: z.number().int().min(1).max(65535).default(18790),
  bind: z.enum(["loopback", "lan", "custom"]).default("loopback"),
  host: z.string().optional(),
  /** Requests per minute per client (by token, or by address before auth); over it → 429 + Retry-After. */
  rate_limit_per_minute: z.number().int().positive().default(600),
  /** Serve the WebChat page at `/` (it still needs the gateway token to do anything). */
  webchat: z.boolean().default(true),
  /** Largest request body the HTTP API reads, bytes (POST /v1/chat/completions); over it → 413. Channel webhooks
   * have a fixed 1 MiB cap of their own. */
  max_body_bytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Bound to loopback, the gateway answers only requests whose Host is 127.0.0.1, localhost or [::1] (against DNS
   * rebinding); add the names a reverse proxy passes on (`pincer.example.com`, or `name:port`). */
  allowed_hosts: z.array(z.string().regex(HOST_NAME, "expected a host name, optionally with :port, e.g. pincer.example.com")).default([]),
  /** Browser origins besides the gateway's own that may open /ws, e.g. `https://pincer.example.com` behind a proxy. */
  allowed_origins: z.array(z.string().refine(isOrigin, "expected an origin: http(s)://host[:port], without a path")).default([]),
});

/** A PostgreSQL schema name Pincer accepts: needs no quoting, and PostgreSQL reserves `pg_`. */
export const POSTGRES_SCHEMA_NAME = /^(?!pg_)[a-z_][a-z0-9_]{0,62}$/;

export const storeSchema = z.strictObject({
  /** `sqlite` (default, a file in the state dir) or a `postgres://` / `postgresql://` URL. */
  url: z.string().regex(/^(?:sqlite|postgres(?:ql)?:\/\/\S+)$/i, `expected "sqlite" or a postgres:// (or postgresql://) URL`).optional(),
  /** PostgreSQL only: the schema holding Pincer's tables; default `pincer_<instance>` ('-' becomes '_'). */
  schema: z.string().regex(POSTGRES_SCHEMA_NAME, "expected lowercase letters, digits and '_' (not starting with a digit or 'pg_'), at most 63 characters").optional(),
  /** PostgreSQL only: most connections this process keeps open. */
  pool_max: z.number().int().min(1).max(200).default(10),
  /** PostgreSQL only: the server cancels a statement running longer than this (ms); unset = the server's setting. */
  statement_timeout_ms: z.number().int().positive().optional(),
});

export const busSchema = z.strictObject({
  /** Unset: in-process (embedded runtime). `nats://host:port[,nats://…]`: NATS JetStream (cluster runtime). */
  url: z.string().regex(/^nats:\/\/\S+$/, "expected nats://host:port (comma-separate several servers)").optional(),
  /** User/password authentication (or put them in the URL). */
  user: z.string().optional(),
  password: z.string().optional(),
  /** NKey authentication: the seed (`SU…`), usually `${env:PINCER_BUS_NKEY_SEED}`. */
  nkey_seed: z.string().optional(),
  /** A NATS credentials file (JWT + seed), as issued by an operator. */
  creds_file: z.string().optional(),
  /** How long a worker may hold a run without a progress heartbeat before JetStream redelivers it. */
  ack_wait_ms: z.number().int().min(1000).default(30_000),
  /** Deliveries of one message before it goes to the dead-letter subject. */
  max_deliver: z.number().int().min(1).max(100).default(5),
  /** Redelivery delays after a failure, in order; the last repeats. */
  backoff_ms: z.array(z.number().int().min(0)).min(1).default([1_000, 5_000, 30_000]),
});

/** The gateway's log file, `<state dir>/logs/gateway.log`, rotated by size. */
export const logFileSchema = z.strictObject({
  /** Size at which the file is rotated, MiB. */
  max_mb: z.number().positive().max(1024).default(5),
  /** Files kept, the current one included (`gateway.log`, `gateway.log.1`, …). */
  files: z.number().int().min(1).max(20).default(3),
});

export const logSchema = z.strictObject({
  level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  file: logFileSchema.prefault({}),
});

export const skillsSchema = z.strictObject({
  /** More folders of skills, searched after the managed `<state>/skills` and before the bundled ones. */
  extra_dirs: z.array(z.string().min(1)).default([]),
  /** Most tokens the skills index may take in the system prompt; past it the least recently used skills are left
   * out of the list and found with the skill_search tool. */
  prompt_max_tokens: z.number().int().min(0).max(100_000).default(1_500),
  /** Skills the scanner blocked that load anyway (each load is audited). */
  allow_unsafe: z.array(z.string().regex(SKILL_NAME, SKILL_NAME_HINT)).default([]),
  /** A ClawHub-compatible registry; PINCER_SKILLS_REGISTRY overrides it. */
  registry: z.string().url().default("https://clawhub.ai"),
  /** Load the skills shipped with Pincer. */
  bundled: z.boolean().default(true),
});

/** `<instance>/agent:<id>`: an agent of an instance, as agent-to-agent messages name their sender. */
export const AGENT_ADDRESS = /^([a-z0-9][a-z0-9_-]{0,62})\/agent:([a-z0-9][a-z0-9_-]*)$/i;
const INSTANCE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Agent-to-agent messages (send_agent_message). */
export const a2aSchema = z.strictObject({
  /** Agents of other instances whose messages this instance accepts, as `<instance>/agent:<id>`; default nobody. */
  allow_from: z.array(z.string().regex(AGENT_ADDRESS, "expected <instance>/agent:<id>, e.g. research/agent:default")).default([]),
  /** Instances this instance may send messages to (cluster runtime); its NATS user may publish on their inbound subject. */
  allow_to: z.array(z.string().regex(INSTANCE_NAME, "expected an instance id")).default([]),
  /** Messages one conversation between agents may take, replies included, before a send is refused. */
  max_turns: z.number().int().min(1).max(100).default(5),
});

/** Context management: when the history is summarised, and what the model sees of it afterwards. */
export const compactionSchema = z.strictObject({
  /** Compact when the prompt passes this share of the window left after `reserve_tokens`. */
  threshold: z.number().min(0.2).max(0.95).default(0.7),
  /** Turns (a user message and what answered it) kept word for word after a compaction. */
  keep_turns: z.number().int().min(1).max(100).default(6),
  /** Tool results of the newest N turns are shown in full; older ones as a one-line stub. */
  full_tool_results_turns: z.number().int().min(0).max(100).default(3),
  /** Room left for the answer, at most a quarter of the window. */
  reserve_tokens: z.number().int().positive().default(8192),
  /** Window assumed for a model neither the built-in table nor `models.context_windows` knows. */
  default_window: z.number().int().min(1024).default(32_000),
  /** Before summarising, give the model a silent turn to write durable facts to MEMORY.md and memory/. */
  memory_flush: z.boolean().default(true),
});
export type CompactionConfig = z.infer<typeof compactionSchema>;

export const memorySchema = z.strictObject({
  /** Memory files (MEMORY.md, memory/*.md), their index and the memory tools; false turns all of it off. */
  enabled: z.boolean().default(true),
  /** Most characters of MEMORY.md put into the system prompt of owner sessions; the rest is found with memory_search. */
  prompt_max_chars: z.number().int().min(0).max(100_000).default(4_000),
  /** More folders of Markdown notes to index (recursive; relative to pincer.yaml's folder; symlinks not followed). */
  extra_paths: z.array(z.string().min(1)).default([]),
  /** Files larger than this are left out of the index, KiB. */
  max_file_kb: z.number().int().positive().max(10_240).default(512),
  /** Vectors for hybrid search, from a provider of models.providers; absent = full-text search only. */
  embeddings: z.strictObject({
    /** A key of models.providers (OpenAI, Google, or any OpenAI-compatible server such as Ollama). */
    provider: z.string().min(1),
    /** e.g. text-embedding-3-small, nomic-embed-text. */
    model: z.string().min(1),
    /** Texts per request. */
    batch_size: z.number().int().min(1).max(2048).default(64),
  }).optional(),
  search: z.strictObject({
    /** Weight of the full-text (BM25 / ts_rank) score, normalised to 0..1 per query. */
    text_weight: z.number().min(0).max(1).default(0.4),
    /** Weight of the cosine similarity; ignored without embeddings. */
    vector_weight: z.number().min(0).max(1).default(0.6),
  }).prefault({}),
  /** Re-index changed files while the gateway runs (debounced file watcher). */
  watch: z.boolean().default(true),
});
export type MemoryConfig = z.infer<typeof memorySchema>;

export const configSchema = z.strictObject({
  /** This deployment's instance id; scopes bus subjects, and names the PostgreSQL schema unless store.schema is set. */
  instance: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "expected 1-63 lowercase letters, digits, '-' or '_'").default("default"),
  models: modelsSchema.prefault({}),
  agents: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, "agent ids are letters, digits, - and _"), agentSchema).default({ default: agentSchema.parse({}) }),
  policy: policySchema.prefault({}),
  gateway: gatewaySchema.prefault({}),
  store: storeSchema.prefault({}),
  bus: busSchema.prefault({}),
  log: logSchema.prefault({}),
  /** Chat platforms and their accounts. */
  channels: channelsSchema.prefault({}),
  /** Which agent answers which channel account, group or peer; unmatched traffic goes to the `default` agent. */
  bindings: z.array(bindingSchema).default([]),
  session: sessionSchema.prefault({}),
  media: mediaSchema.prefault({}),
  skills: skillsSchema.prefault({}),
  a2a: a2aSchema.prefault({}),
  compaction: compactionSchema.prefault({}),
  memory: memorySchema.prefault({}),
  /** A periodic check-in of one agent that calls the model only when HEARTBEAT.md has open items; absent = off. */
  heartbeat: heartbeatSchema.optional(),
  /** Webhook triggers: `POST /hooks/<name>` starts a run from a signed request. */
  hooks: hooksSchema.default({}),
  /** Spend caps checked before every model call. */
  budgets: z.array(budgetSchema).default([]),
  /** Tool calls waiting for an owner's answer. */
  approvals: approvalsSchema.prefault({}),
  /** MCP servers whose tools the agent may use, under the same gate as the built-in tools. */
  mcp: mcpSchema.prefault({}),
});
export type PincerConfig = z.infer<typeof configSchema>;
export type PincerConfigInput = z.input<typeof configSchema>;
