// The cluster Store backend: the shared Kysely store over PostgreSQL, its tables in one schema per instance.
// Also what `pincer doctor` asks of it (version, schema, pending migrations). Only schema and server checks query here.
import { sql } from "kysely";
import type { Kysely } from "kysely";
import { ConfigError } from "../../core/errors.ts";
import type { Database } from "../db-schema.ts";
import { createKyselyStore } from "../kysely-store.ts";
import { createMigrator, POSTGRES_SQL_TYPES } from "../migrations.ts";
import type { Store } from "../store.ts";
import { connectPostgres, type PostgresConnectionOptions } from "./postgres-connection.ts";
import { toSchemaError } from "./postgres-errors.ts";

export interface PostgresStoreOptions extends Omit<PostgresConnectionOptions, "schema"> {
  /** The schema holding the tables, created if missing; default `pincer_default`. */
  schema?: string;
  /** Apply pending migrations before returning; default true. Pass false to migrate explicitly. */
  migrate?: boolean;
  /** Clock in epoch ms; default `Date.now()`. */
  now?: () => number;
}

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;
const MAX_IDENTIFIER = 63; // bytes; PostgreSQL silently truncates longer names

/** True for a `postgres://` or `postgresql://` URL, the values of store.url that select this backend. */
export function isPostgresUrl(url: string): boolean {
  return POSTGRES_URL.test(url);
}

/**
 * The default schema for an instance: `pincer_<instance>`, '-' becoming '_' so the name needs no quoting.
 * Contract: throws a ConfigError when the result would exceed PostgreSQL's 63-byte identifier limit.
 */
export function defaultPostgresSchema(instance: string): string {
  const schema = `pincer_${instance.replaceAll("-", "_")}`;
  if (schema.length > MAX_IDENTIFIER) {
    throw new ConfigError({
      problem: `the default schema name "${schema}" is longer than PostgreSQL's ${MAX_IDENTIFIER}-character limit`,
      keyPath: "store.schema",
      fix: "set store.schema explicitly, or use a shorter instance id",
    });
  }
  return schema;
}

/**
 * Opens a PostgreSQL Store. Contract: the first connection is tested before returning (a failure is a ConfigError
 * naming server and fix, password redacted); `migrate()` creates the schema if missing and is safe when several
 * processes start at once (Kysely's migrator holds a PostgreSQL advisory lock); `close()` ends the pool.
 */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  const schema = opts.schema ?? defaultPostgresSchema("default");
  const connection = await connectPostgres({ ...opts, schema });
  const { db } = connection;
  const base = createKyselyStore(db, { sqlTypes: POSTGRES_SQL_TYPES, schema, now: opts.now });
  const store: Store = {
    ...base,
    async migrate() {
      await ensureSchema(db, { url: opts.url, schema });
      return base.migrate();
    },
    close: () => connection.close(),
  };
  if (opts.migrate ?? true) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return store;
}

async function schemaExists(db: Kysely<Database>, schema: string): Promise<boolean> {
  const { rows } = await sql<{ found: number }>`select 1 as found from pg_namespace where nspname = ${schema}`.execute(db);
  return rows.length > 0;
}

// Checked before CREATE: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when the
// schema exists, and a user given a schema by an administrator often has no such privilege.
async function ensureSchema(db: Kysely<Database>, opts: { url: string; schema: string }): Promise<void> {
  if (await schemaExists(db, opts.schema)) return;
  try {
    await db.schema.createSchema(opts.schema).ifNotExists().execute();
  } catch (err) {
    // Two processes creating it at once: IF NOT EXISTS can still fail with a unique violation for the loser.
    if (await schemaExists(db, opts.schema)) return;
    throw toSchemaError(err, opts);
  }
}

/** What `pincer doctor` reports about a PostgreSQL store. */
export interface PostgresInspection {
  /** e.g. "15.4". */
  serverVersion: string;
  /** e.g. 150004. */
  serverVersionNum: number;
  schemaExists: boolean;
  /** Whether the user may create schemas in the database (matters while the schema is missing). */
  canCreateSchema: boolean;
  /** Migrations not yet applied; all of them while the schema is missing. */
  pendingMigrations: string[];
}

/** Connects, looks, changes nothing. Contract: a connection failure throws the same ConfigError as openPostgresStore. */
export async function inspectPostgresStore(opts: Omit<PostgresStoreOptions, "migrate" | "now">): Promise<PostgresInspection> {
  const schema = opts.schema ?? defaultPostgresSchema("default");
  const connection = await connectPostgres({ ...opts, schema, poolMax: 1 });
  try {
    const { db } = connection;
    const { rows } = await sql<{ version: string; version_num: number; can_create: boolean }>`
      select current_setting('server_version') as version, current_setting('server_version_num')::int as version_num,
             has_database_privilege(current_database(), 'CREATE') as can_create`.execute(db);
    const info = rows[0]!;
    const exists = await schemaExists(db, schema);
    // With the schema missing, the migrator finds no bookkeeping table and reports every migration as pending.
    const migrations = await createMigrator(db, { types: POSTGRES_SQL_TYPES, schema }).getMigrations();
    const pending = migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
    return {
      serverVersion: info.version.split(" ")[0] ?? info.version,
      serverVersionNum: info.version_num,
      schemaExists: exists,
      canCreateSchema: info.can_create,
      pendingMigrations: pending,
    };
  } finally {
    await connection.close();
  }
}
