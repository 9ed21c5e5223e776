// Schema migrations for every Store backend, written once with Kysely's schema builder, plus the Migrator wiring.
// The only per-dialect input is `SqlTypes` (auto-increment key, byte-ordered text, bytes); raw SQL only for the memory
// index's full-text search, which no schema builder spells.
import { Migrator, sql } from "kysely";
import type { ColumnDataType, ColumnDefinitionBuilder, Expression, Kysely, Migration, MigrationProvider } from "kysely";

/** What differs between dialects in DDL. */
export interface SqlTypes {
  identityType: ColumnDataType;
  identity: (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
  /** Text that sorts byte-wise ("B" before "a"), so ORDER BY on it agrees across backends. */
  orderedText: ColumnDataType | Expression<unknown>;
  /** Which database: full-text search differs (SQLite FTS5 vs PostgreSQL tsvector), so the memory index asks. */
  dialect: "sqlite" | "postgres";
  /** Raw bytes (embedding vectors). */
  bytes: ColumnDataType;
}

export const SQLITE_SQL_TYPES: SqlTypes = {
  identityType: "integer",
  // AUTOINCREMENT: ids never reused after a delete (journal and transcript ids are referenced elsewhere).
  identity: (col) => col.primaryKey().autoIncrement(),
  // SQLite's default collation (BINARY) already compares bytes.
  orderedText: "text",
  dialect: "sqlite",
  bytes: "blob",
};

export const POSTGRES_SQL_TYPES: SqlTypes = {
  identityType: "bigint",
  identity: (col) => col.primaryKey().generatedByDefaultAsIdentity(),
  // The database's default collation (often en_US) would interleave cases; "C" compares bytes.
  orderedText: sql`text collate "C"`,
  dialect: "postgres",
  bytes: "bytea",
};

// Epoch ms need 64 bits; token counts per call fit in 32.
const MILLIS = "bigint";
const COST = "double precision";

function createInitial(types: SqlTypes): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable("sessions")
        .addColumn("key", types.orderedText, (c) => c.primaryKey())
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("channel", "text", (c) => c.notNull())
        .addColumn("model_override", "text")
        .addColumn("queue_mode", "text")
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .addColumn("updated_at", MILLIS, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("sessions_updated_at").on("sessions").columns(["updated_at"]).execute();

      await db.schema.createTable("transcript")
        .addColumn("id", types.identityType, types.identity)
        .addColumn("session_key", "text", (c) => c.notNull().references("sessions.key").onDelete("cascade"))
        .addColumn("run_id", "text")
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("content", "text", (c) => c.notNull())
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("transcript_session_id").on("transcript").columns(["session_key", "id"]).execute();

      await db.schema.createTable("runs")
        .addColumn("id", types.orderedText, (c) => c.primaryKey())
        .addColumn("session_key", "text", (c) => c.notNull().references("sessions.key").onDelete("cascade"))
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("parent_run_id", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("input", "text", (c) => c.notNull())
        .addColumn("reply", "text")
        .addColumn("error_code", "text")
        .addColumn("error", "text")
        .addColumn("model", "text")
        .addColumn("input_tokens", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("output_tokens", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("cached_tokens", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("cost_usd", COST, (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .addColumn("started_at", MILLIS)
        .addColumn("finished_at", MILLIS)
        .execute();
      await db.schema.createIndex("runs_session_created").on("runs").columns(["session_key", "created_at"]).execute();
      await db.schema.createIndex("runs_status").on("runs").columns(["status"]).execute();

      await db.schema.createTable("usage")
        .addColumn("id", types.identityType, types.identity)
        .addColumn("run_id", "text")
        .addColumn("session_key", "text")
        .addColumn("agent_id", "text")
        .addColumn("provider", types.orderedText, (c) => c.notNull())
        .addColumn("model", types.orderedText, (c) => c.notNull())
        .addColumn("input_tokens", "integer", (c) => c.notNull())
        .addColumn("output_tokens", "integer", (c) => c.notNull())
        .addColumn("cached_tokens", "integer", (c) => c.notNull())
        .addColumn("cost_usd", COST, (c) => c.notNull())
        .addColumn("at", MILLIS, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("usage_at").on("usage").columns(["at"]).execute();
      await db.schema.createIndex("usage_session").on("usage").columns(["session_key"]).execute();

      await db.schema.createTable("audit")
        .addColumn("id", types.identityType, types.identity)
        .addColumn("at", MILLIS, (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("decision", "text", (c) => c.notNull())
        .addColumn("run_id", "text")
        .addColumn("session_key", "text")
        .addColumn("tool", "text")
        .addColumn("reason", "text")
        .addColumn("detail", "text")
        .execute();
      await db.schema.createIndex("audit_run").on("audit").columns(["run_id"]).execute();
      await db.schema.createIndex("audit_at").on("audit").columns(["at"]).execute();

      await db.schema.createTable("journal")
        .addColumn("id", types.identityType, types.identity)
        .addColumn("channel", "text", (c) => c.notNull())
        .addColumn("account", "text", (c) => c.notNull())
        .addColumn("platform_message_id", "text", (c) => c.notNull())
        .addColumn("session_key", "text")
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("received_at", MILLIS, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("journal_message").unique().on("journal")
        .columns(["channel", "account", "platform_message_id"]).execute();
      await db.schema.createIndex("journal_status").on("journal").columns(["status", "id"]).execute();
    },

    async down(db: Kysely<any>) {
      for (const table of ["journal", "audit", "usage", "runs", "transcript", "sessions"]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}

/** What the cluster runtime needs: run claims, idempotent usage and deliveries, per-key leases. */
function createClusterCoordination(types: SqlTypes): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("runs").addColumn("attempt", "integer", (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable("runs").addColumn("worker", "text").execute();

      // NULL keys never conflict with each other, in SQLite and PostgreSQL alike: unkeyed usage stays unconstrained.
      await db.schema.alterTable("usage").addColumn("idempotency_key", "text").execute();
      await db.schema.createIndex("usage_idempotency_key").unique().on("usage").columns(["idempotency_key"]).execute();

      await db.schema.createTable("leases")
        .addColumn("key", types.orderedText, (c) => c.primaryKey())
        .addColumn("holder", "text", (c) => c.notNull())
        .addColumn("acquired_at", MILLIS, (c) => c.notNull())
        .addColumn("expires_at", MILLIS, (c) => c.notNull())
        .execute();

      await db.schema.createTable("deliveries")
        .addColumn("key", types.orderedText, (c) => c.primaryKey())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("platform_message_id", "text")
        .addColumn("error", "text")
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .addColumn("updated_at", MILLIS, (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<any>) {
      await db.schema.dropTable("deliveries").execute();
      await db.schema.dropTable("leases").execute();
      await db.schema.dropIndex("usage_idempotency_key").execute();
      await db.schema.alterTable("usage").dropColumn("idempotency_key").execute();
      await db.schema.alterTable("runs").dropColumn("worker").execute();
      await db.schema.alterTable("runs").dropColumn("attempt").execute();
    },
  };
}

/** Chat channels: pairing, approved senders, quiet group context, notices, run origins, group activation. */
function createChannels(types: SqlTypes): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("runs").addColumn("origin", "text").execute();
      await db.schema.alterTable("sessions").addColumn("activation", "text").execute();

      await db.schema.createTable("pairing_requests")
        .addColumn("channel", types.orderedText, (c) => c.notNull())
        .addColumn("account", types.orderedText, (c) => c.notNull())
        .addColumn("sender_id", types.orderedText, (c) => c.notNull())
        .addColumn("sender_name", "text")
        .addColumn("code", "text", (c) => c.notNull())
        .addColumn("chat_id", "text", (c) => c.notNull())
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .addColumn("expires_at", MILLIS, (c) => c.notNull())
        .addPrimaryKeyConstraint("pairing_requests_pk", ["channel", "account", "sender_id"])
        .execute();
      await db.schema.createIndex("pairing_requests_code").unique().on("pairing_requests").columns(["channel", "code"]).execute();

      await db.schema.createTable("approved_senders")
        .addColumn("channel", types.orderedText, (c) => c.notNull())
        .addColumn("account", types.orderedText, (c) => c.notNull())
        .addColumn("sender_id", types.orderedText, (c) => c.notNull())
        .addColumn("sender_name", "text")
        .addColumn("approved_at", MILLIS, (c) => c.notNull())
        .addPrimaryKeyConstraint("approved_senders_pk", ["channel", "account", "sender_id"])
        .execute();

      await db.schema.createTable("group_context")
        .addColumn("id", types.identityType, types.identity)
        .addColumn("session_key", "text", (c) => c.notNull())
        .addColumn("sender", "text", (c) => c.notNull())
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("at", MILLIS, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("group_context_session").on("group_context").columns(["session_key", "id"]).execute();

      await db.schema.createTable("notices")
        .addColumn("id", types.identityType, types.identity)
        .addColumn("channel", "text", (c) => c.notNull())
        .addColumn("account", "text", (c) => c.notNull())
        .addColumn("chat_id", "text", (c) => c.notNull())
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .addColumn("sent_at", MILLIS)
        .execute();
      await db.schema.createIndex("notices_pending").on("notices").columns(["channel", "account", "sent_at"]).execute();
    },

    async down(db: Kysely<any>) {
      for (const table of ["notices", "group_context", "approved_senders", "pairing_requests"]) await db.schema.dropTable(table).execute();
      await db.schema.alterTable("sessions").dropColumn("activation").execute();
      await db.schema.alterTable("runs").dropColumn("origin").execute();
    },
  };
}

/** The run that took each journaled message, so a resend can be told which run answers it. */
function createJournalRun(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("journal").addColumn("run_id", "text").execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable("journal").dropColumn("run_id").execute();
    },
  };
}

/** Session titles: automatic from the first message, or set by the user. */
function createSessionTitle(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("sessions").addColumn("title", "text").execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable("sessions").dropColumn("title").execute();
    },
  };
}

/** Installed skills shared by a cluster: bundles by sha256, the lock's installs and grants, and their generation. */
function createSkills(types: SqlTypes): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable("skill_bundles")
        .addColumn("sha256", "text", (c) => c.primaryKey())
        .addColumn("bytes", types.bytes, (c) => c.notNull())
        .addColumn("size", "integer", (c) => c.notNull())
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .execute();
      await db.schema.createTable("skill_installs")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("registry", "text", (c) => c.notNull())
        .addColumn("slug", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("sha256", "text", (c) => c.notNull())
        .addColumn("fingerprint", "text", (c) => c.notNull())
        .addColumn("installed_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createTable("skill_grants")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("bins", "text", (c) => c.notNull())
        .addColumn("env", "text", (c) => c.notNull())
        .addColumn("granted_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createTable("skill_generation")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("generation", MILLIS, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const table of ["skill_generation", "skill_grants", "skill_installs", "skill_bundles"]) await db.schema.dropTable(table).execute();
    },
  };
}

/** Context compaction: the summary kept on a session and the transcript id it covers. */
function createContext(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("sessions").addColumn("compaction_summary", "text").execute();
      await db.schema.alterTable("sessions").addColumn("compacted_through", "bigint").execute();
      await db.schema.alterTable("sessions").addColumn("compacted_at", MILLIS).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable("sessions").dropColumn("compacted_at").execute();
      await db.schema.alterTable("sessions").dropColumn("compacted_through").execute();
      await db.schema.alterTable("sessions").dropColumn("compaction_summary").execute();
    },
  };
}

/**
 * The memory index: indexed files (content hash, so only changed files are re-indexed), their Markdown chunks with
 * line ranges, full-text search over the chunks (SQLite: an FTS5 table keyed by chunk id, BM25; PostgreSQL: a
 * generated tsvector column with a GIN index), and embedding vectors cached by chunk hash and model.
 */
function createMemory(types: SqlTypes): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable("memory_files")
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("path", types.orderedText, (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .addColumn("size", "integer", (c) => c.notNull())
        .addColumn("mtime_ms", MILLIS, (c) => c.notNull())
        .addColumn("indexed_at", MILLIS, (c) => c.notNull())
        .addPrimaryKeyConstraint("memory_files_pk", ["agent_id", "path"])
        .execute();
      await db.schema.createTable("memory_chunks")
        .addColumn("id", types.identityType, types.identity)
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("path", types.orderedText, (c) => c.notNull())
        .addColumn("start_line", "integer", (c) => c.notNull())
        .addColumn("end_line", "integer", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .addColumn("content", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("memory_chunks_file").on("memory_chunks").columns(["agent_id", "path"]).execute();
      await db.schema.createTable("memory_embeddings")
        .addColumn("model", "text", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .addColumn("dims", "integer", (c) => c.notNull())
        .addColumn("vector", types.bytes, (c) => c.notNull())
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .addPrimaryKeyConstraint("memory_embeddings_pk", ["model", "hash"])
        .execute();
      if (types.dialect === "sqlite") {
        // Porter stemming over unicode61: "running" finds "run". Rows keyed by memory_chunks.id.
        await sql`create virtual table memory_fts using fts5(content, tokenize = 'porter unicode61')`.execute(db);
      } else {
        await sql`alter table memory_chunks add column tsv tsvector generated always as (to_tsvector('english', content)) stored`.execute(db);
        await sql`create index memory_chunks_tsv on memory_chunks using gin (tsv)`.execute(db);
      }
    },
    async down(db: Kysely<any>) {
      if (types.dialect === "sqlite") await sql`drop table memory_fts`.execute(db);
      for (const table of ["memory_embeddings", "memory_chunks", "memory_files"]) await db.schema.dropTable(table).execute();
    },
  };
}

/**
 * Automation and budgets: what started each run (`runs.trigger`), who a model call was for (`usage.sender`, for sender
 * budgets), stored schedules, and one record per schedule fire or heartbeat tick, unique on (schedule, planned time)
 * so two schedulers can never both fire it.
 */
function createAutomation(types: SqlTypes): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("runs").addColumn("trigger", "text").execute();
      await db.schema.alterTable("usage").addColumn("sender", "text").execute();
      await db.schema.createIndex("usage_sender_at").on("usage").columns(["sender", "at"]).execute();
      await db.schema.createIndex("usage_agent_at").on("usage").columns(["agent_id", "at"]).execute();
      await db.schema.createTable("schedules")
        .addColumn("id", types.orderedText, (c) => c.primaryKey())
        .addColumn("name", types.orderedText, (c) => c.notNull().unique())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("expr", "text", (c) => c.notNull())
        .addColumn("tz", "text")
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("session", "text", (c) => c.notNull())
        .addColumn("deliver", "text", (c) => c.notNull())
        .addColumn("concurrency", "text", (c) => c.notNull())
        .addColumn("catchup", "text", (c) => c.notNull())
        .addColumn("suspended", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .addColumn("updated_at", MILLIS, (c) => c.notNull())
        .addColumn("next_fire_at", MILLIS)
        .addColumn("last_fire_at", MILLIS)
        .execute();
      await db.schema.createIndex("schedules_next_fire_at").on("schedules").columns(["next_fire_at"]).execute();
      await db.schema.createTable("schedule_fires")
        .addColumn("schedule_id", types.orderedText, (c) => c.notNull())
        .addColumn("fire_at", MILLIS, (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("run_id", "text")
        .addColumn("session_key", "text")
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .addColumn("finished_at", MILLIS)
        .addColumn("delivery", "text", (c) => c.notNull())
        .addColumn("delivery_error", "text")
        .addPrimaryKeyConstraint("schedule_fires_pk", ["schedule_id", "fire_at"])
        .execute();
      await db.schema.createIndex("schedule_fires_delivery").on("schedule_fires").columns(["delivery", "created_at"]).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable("schedule_fires").execute();
      await db.schema.dropTable("schedules").execute();
      await db.schema.dropIndex("usage_agent_at").execute();
      await db.schema.dropIndex("usage_sender_at").execute();
      await db.schema.alterTable("usage").dropColumn("sender").execute();
      await db.schema.alterTable("runs").dropColumn("trigger").execute();
    },
  };
}

/**
 * Safe tools: approval requests (unique per tool call, so a resumed run never asks twice), the standing rules `always`
 * answers add, one elevation record per session, and the untrusted content runs and sessions hold (JSON lists).
 */
function createSafety(types: SqlTypes): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("runs").addColumn("taint", "text").execute();
      await db.schema.alterTable("sessions").addColumn("taint", "text").execute();
      await db.schema.createTable("approvals")
        .addColumn("id", types.orderedText, (c) => c.primaryKey())
        .addColumn("run_id", types.orderedText, (c) => c.notNull())
        .addColumn("session_key", "text", (c) => c.notNull())
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("call_id", types.orderedText, (c) => c.notNull())
        .addColumn("tool", "text", (c) => c.notNull())
        .addColumn("subject", "text")
        .addColumn("summary", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("taint_sources", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("answer", "text")
        .addColumn("answered_by", "text")
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .addColumn("expires_at", MILLIS, (c) => c.notNull())
        .addColumn("answered_at", MILLIS)
        .execute();
      await db.schema.createIndex("approvals_call").unique().on("approvals").columns(["run_id", "call_id"]).execute();
      await db.schema.createIndex("approvals_status").on("approvals").columns(["status", "expires_at"]).execute();
      await db.schema.createTable("approval_rules")
        .addColumn("id", types.orderedText, (c) => c.primaryKey())
        .addColumn("agent_id", "text", (c) => c.notNull())
        .addColumn("tool", "text", (c) => c.notNull())
        .addColumn("subject", "text")
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", MILLIS, (c) => c.notNull())
        .addColumn("from_request", "text")
        .execute();
      await db.schema.createTable("elevations")
        .addColumn("session_key", types.orderedText, (c) => c.primaryKey())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("code", "text")
        .addColumn("minutes", "integer", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("requested_by", "text", (c) => c.notNull())
        .addColumn("requested_at", MILLIS, (c) => c.notNull())
        .addColumn("started_at", MILLIS)
        .addColumn("expires_at", MILLIS)
        .addColumn("ended_at", MILLIS)
        .addColumn("end_reason", "text")
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const table of ["elevations", "approval_rules", "approvals"]) await db.schema.dropTable(table).execute();
      await db.schema.alterTable("sessions").dropColumn("taint").execute();
      await db.schema.alterTable("runs").dropColumn("taint").execute();
    },
  };
}

/** All migrations in apply order. Names sort lexically, as Kysely's Migrator requires (so "002", not "0002"). */
export function listMigrations(types: SqlTypes): Record<string, Migration> {
  return {
    "001_initial": createInitial(types),
    "002_cluster_coordination": createClusterCoordination(types),
    "003_channels": createChannels(types),
    "004_journal_run": createJournalRun(),
    "005_session_title": createSessionTitle(),
    "006_skills": createSkills(types),
    "007_context": createContext(),
    "008_memory": createMemory(types),
    "009_automation": createAutomation(types),
    "010_safety": createSafety(types),
  };
}

/** An in-code provider: migrations ship inside the bundle, never read from disk. */
export function createMigrationProvider(types: SqlTypes): MigrationProvider {
  return { getMigrations: async () => listMigrations(types) };
}

/**
 * `schema` (PostgreSQL) keeps Kysely's bookkeeping tables in the store's own schema; without it the Migrator
 * would take another schema's `kysely_migration` table in the same database for ours.
 */
export function createMigrator(db: Kysely<any>, opts: { types: SqlTypes; schema?: string }): Migrator {
  return new Migrator({
    db,
    provider: createMigrationProvider(opts.types),
    ...(opts.schema === undefined ? {} : { migrationTableSchema: opts.schema }),
  });
}
