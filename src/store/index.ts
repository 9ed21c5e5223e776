// Public surface of the store folder: the Store port, its Kysely implementation and the SQLite and PostgreSQL backends.
// Other folders import from here only; row mapping and the driver adapters stay internal (pg loads on first use).
export type {
  AuditRepo, DeliveryRepo, JournalRepo, LeaseRepo, RunClaim, RunPatch, RunProgress, RunRepo, SessionRepo, SkillGrantEntry, SkillInstallEntry,
  SkillRepo, SkillsSnapshot, Store, TranscriptRepo, UsageRepo,
} from "./store.ts";
export { SKILL_BUNDLE_MAX_BYTES } from "./store.ts";
export type { Database } from "./db-schema.ts";
export { createKyselyStore } from "./kysely-store.ts";
export type { KyselyStoreOptions } from "./kysely-store.ts";
export { POSTGRES_SQL_TYPES, SQLITE_SQL_TYPES } from "./migrations.ts";
export type { SqlTypes } from "./migrations.ts";
export { openSqliteStore } from "./sqlite-store.ts";
export type { SqliteStoreOptions } from "./sqlite-store.ts";
export { defaultPostgresSchema, inspectPostgresStore, isPostgresUrl, openPostgresStore } from "./postgres/postgres-store.ts";
export type { PostgresInspection, PostgresStoreOptions } from "./postgres/postgres-store.ts";
export { describePostgresUrl } from "./postgres/postgres-errors.ts";
