// The Kysely `Database` interface: one row type per table, snake_case columns, as stored in SQLite and PostgreSQL.
// Row ↔ domain mapping lives in row-mapping.ts; Kysely's Migrator owns its own `kysely_migration*` tables.
import type { ColumnType, Generated } from "kysely";

/**
 * Epoch milliseconds. Stored as `bigint`; SQLite returns it as a number, and a PostgreSQL dialect must
 * parse int8 to number (`pg.types.setTypeParser(20, Number)`) so both read the same.
 */
export type Millis = number;

/** JSON serialized to text by the repo layer, so both dialects store and return the same string. */
export type JsonText = string;

/** Auto-incrementing integer key: never written, always read back. */
export type Identity = Generated<number>;

/** A column with a database default: optional on insert. */
export type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface SessionsTable {
  key: string;
  agent_id: string;
  channel: string;
  model_override: string | null;
  queue_mode: string | null;
  activation: string | null;
  title: string | null;
  created_at: Millis;
  updated_at: Millis;
  compaction_summary: string | null;
  compacted_through: number | null;
  compacted_at: Millis | null;
  taint: JsonText | null;
}

export interface TranscriptTable {
  id: Identity;
  session_key: string;
  run_id: string | null;
  role: string;
  content: JsonText;
  created_at: Millis;
}

export interface RunsTable {
  id: string;
  session_key: string;
  agent_id: string;
  parent_run_id: string | null;
  status: string;
  input: string;
  reply: string | null;
  error_code: string | null;
  error: string | null;
  model: string | null;
  input_tokens: Defaulted<number>;
  output_tokens: Defaulted<number>;
  cached_tokens: Defaulted<number>;
  cost_usd: Defaulted<number>;
  created_at: Millis;
  started_at: Millis | null;
  finished_at: Millis | null;
  attempt: Defaulted<number>;
  worker: string | null;
  origin: JsonText | null;
  trigger: string | null;
  taint: JsonText | null;
}

export interface UsageTable {
  id: Identity;
  run_id: string | null;
  session_key: string | null;
  agent_id: string | null;
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost_usd: number;
  at: Millis;
  idempotency_key: string | null;
  sender: string | null;
}

export interface AuditTable {
  id: Identity;
  at: Millis;
  kind: string;
  decision: string;
  run_id: string | null;
  session_key: string | null;
  tool: string | null;
  reason: string | null;
  detail: JsonText | null;
}

export interface JournalTable {
  id: Identity;
  channel: string;
  account: string;
  platform_message_id: string;
  session_key: string | null;
  payload: JsonText;
  status: string;
  received_at: Millis;
  run_id: string | null;
}

export interface SchedulesTable {
  id: string;
  name: string;
  kind: string;
  expr: string;
  tz: string | null;
  message: string;
  agent_id: string;
  session: string;
  deliver: string;
  concurrency: string;
  catchup: string;
  /** 0 or 1 (both dialects). */
  suspended: Defaulted<number>;
  created_by: string;
  created_at: Millis;
  updated_at: Millis;
  next_fire_at: Millis | null;
  last_fire_at: Millis | null;
}

export interface ScheduleFiresTable {
  schedule_id: string;
  fire_at: Millis;
  status: string;
  reason: string | null;
  run_id: string | null;
  session_key: string | null;
  created_at: Millis;
  finished_at: Millis | null;
  delivery: string;
  delivery_error: string | null;
}

export interface ApprovalsTable {
  id: string;
  run_id: string;
  session_key: string;
  agent_id: string;
  call_id: string;
  tool: string;
  subject: string | null;
  summary: string;
  reason: string;
  taint_sources: JsonText | null;
  status: string;
  answer: string | null;
  answered_by: string | null;
  created_at: Millis;
  expires_at: Millis;
  answered_at: Millis | null;
}

export interface ApprovalRulesTable {
  id: string;
  agent_id: string;
  tool: string;
  subject: string | null;
  created_by: string;
  created_at: Millis;
  from_request: string | null;
}

export interface ElevationsTable {
  session_key: string;
  status: string;
  code: string | null;
  minutes: number;
  reason: string | null;
  requested_by: string;
  requested_at: Millis;
  started_at: Millis | null;
  expires_at: Millis | null;
  ended_at: Millis | null;
  end_reason: string | null;
}

export interface LeasesTable {
  key: string;
  holder: string;
  acquired_at: Millis;
  expires_at: Millis;
}

export interface DeliveriesTable {
  key: string;
  owner: string;
  status: string;
  attempts: number;
  platform_message_id: string | null;
  error: string | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface PairingRequestsTable {
  channel: string;
  account: string;
  sender_id: string;
  sender_name: string | null;
  code: string;
  chat_id: string;
  created_at: Millis;
  expires_at: Millis;
}

export interface ApprovedSendersTable {
  channel: string;
  account: string;
  sender_id: string;
  sender_name: string | null;
  approved_at: Millis;
}

export interface GroupContextTable {
  id: Identity;
  session_key: string;
  sender: string;
  text: string;
  at: Millis;
}

export interface NoticesTable {
  id: Identity;
  channel: string;
  account: string;
  chat_id: string;
  text: string;
  created_at: Millis;
  sent_at: Millis | null;
}

/** Skill bundles (ZIPs as downloaded), keyed by their sha256. */
export interface SkillBundlesTable {
  sha256: string;
  bytes: Uint8Array;
  size: number;
  created_at: Millis;
}

export interface SkillInstallsTable {
  name: string;
  registry: string;
  slug: string;
  version: string;
  sha256: string;
  fingerprint: string;
  /** ISO 8601, as in the lock file. */
  installed_at: string;
}

export interface SkillGrantsTable {
  name: string;
  /** JSON array of binary names. */
  bins: JsonText;
  /** JSON array of env var names. */
  env: JsonText;
  /** ISO 8601. */
  granted_at: string;
}

/** One row (`id` 1): the generation of the skill installs and grants, bumped by every change. */
export interface SkillGenerationTable {
  id: number;
  generation: number;
}


export interface MemoryFilesTable {
  agent_id: string;
  path: string;
  hash: string;
  size: number;
  mtime_ms: Millis;
  indexed_at: Millis;
}

export interface MemoryChunksTable {
  id: Identity;
  agent_id: string;
  path: string;
  start_line: number;
  end_line: number;
  hash: string;
  content: string;
}

export interface MemoryEmbeddingsTable {
  model: string;
  hash: string;
  dims: number;
  /** Float32 little-endian. */
  vector: Uint8Array;
  created_at: Millis;
}

/** Every table the Store reads and writes (the migration bookkeeping tables are Kysely's own). */
export interface Database {
  sessions: SessionsTable;
  transcript: TranscriptTable;
  runs: RunsTable;
  usage: UsageTable;
  audit: AuditTable;
  journal: JournalTable;
  leases: LeasesTable;
  deliveries: DeliveriesTable;
  pairing_requests: PairingRequestsTable;
  approved_senders: ApprovedSendersTable;
  group_context: GroupContextTable;
  notices: NoticesTable;
  skill_bundles: SkillBundlesTable;
  skill_installs: SkillInstallsTable;
  skill_grants: SkillGrantsTable;
  skill_generation: SkillGenerationTable;
  memory_files: MemoryFilesTable;
  memory_chunks: MemoryChunksTable;
  memory_embeddings: MemoryEmbeddingsTable;
  schedules: SchedulesTable;
  schedule_fires: ScheduleFiresTable;
  approvals: ApprovalsTable;
  approval_rules: ApprovalRulesTable;
  elevations: ElevationsTable;
}
