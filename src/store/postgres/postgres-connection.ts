// A pg.Pool wrapped in Kysely's PostgresDialect: pool limits, per-pool type parsers, and each connection's
// search_path set to the store's schema. `pg` is imported on first use, so the SQLite path never loads it.
import { CompiledQuery, Kysely, PostgresDialect, sql } from "kysely";
import type { DatabaseIntrospector, DatabaseMetadata, DatabaseMetadataOptions, PostgresDialectConfig, SchemaMetadata, TableMetadata } from "kysely";
import type { Pool } from "pg";
import type { Logger } from "pino";
import { redactSecrets } from "../../config/redact.ts";
import { POSTGRES_SCHEMA_NAME } from "../../core/config-schema.ts";
import { ConfigError } from "../../core/errors.ts";
import type { Database } from "../db-schema.ts";
import { toConnectError } from "./postgres-errors.ts";

export interface PostgresConnectionOptions {
  /** `postgres://user:password@host:port/database[?sslmode=…]` (or `postgresql://`). */
  url: string;
  /** The schema every pooled connection works in (its search_path). */
  schema: string;
  /** Most connections open at once; default 10. */
  poolMax?: number;
  /** ms to wait for a connection, new or from a busy pool; default 10 000. */
  connectionTimeoutMs?: number;
  /** ms an unused connection stays open; default 30 000. */
  idleTimeoutMs?: number;
  /** Server-side limit per statement (ms); unset = the server's setting. */
  statementTimeoutMs?: number;
  /** Receives warnings about connections that fail while idle. */
  log?: Logger;
}

export interface PostgresConnection {
  db: Kysely<Database>;
  /** Ends the pool. Contract: idempotent, also when Kysely never used the pool. */
  close(): Promise<void>;
}

export const DEFAULT_POOL_MAX = 10;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const INT8_OID = 20;

/**
 * Opens a pool and proves one connection works. Contract: a connection failure throws a ConfigError naming
 * the server (password redacted) and the fix, and leaves nothing open.
 */
export async function connectPostgres(opts: PostgresConnectionOptions): Promise<PostgresConnection> {
  if (!POSTGRES_SCHEMA_NAME.test(opts.schema)) {
    throw new ConfigError({
      problem: `"${opts.schema}" is not a usable PostgreSQL schema name`,
      keyPath: "store.schema",
      fix: "use lowercase letters, digits and '_' (not starting with a digit or 'pg_'), at most 63 characters, e.g. pincer_main",
    });
  }
  const { Pool, TypeOverrides } = await import("pg");
  // Parsers on this pool only: the process-wide pg.types stay as they are for any other pg user.
  const types = new TypeOverrides();
  types.setTypeParser(INT8_OID, parseInt8);
  const connectionTimeoutMs = opts.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
  const pool: Pool = new Pool({
    connectionString: opts.url,
    max: opts.poolMax ?? DEFAULT_POOL_MAX,
    connectionTimeoutMillis: connectionTimeoutMs,
    idleTimeoutMillis: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    application_name: "pincer",
    types,
  });
  // Without a listener, a connection dropped while idle (server restart, failover) would crash the process.
  pool.on("error", (err) => {
    opts.log?.warn({ error: redactSecrets(err.message) }, "an idle PostgreSQL connection failed; the pool opens a new one when needed");
  });
  const close = async (): Promise<void> => {
    if (!pool.ended) await pool.end();
  };
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await close();
    throw toConnectError(err, { url: opts.url, connectionTimeoutMs });
  }
  const session = sessionSettings(opts);
  const db = new Kysely<Database>({
    dialect: new SchemaScopedPostgresDialect(opts.schema, { pool, onCreateConnection: (connection) => connection.executeQuery(session).then(() => undefined) }),
  });
  return {
    db,
    async close() {
      await db.destroy();
      await close();
    },
  };
}

/**
 * PostgresDialect whose introspection (which Kysely's Migrator uses to see whether its tables exist) looks at one
 * schema. Kysely's own lists every column of every schema in the database and calls pg_get_serial_sequence on each,
 * which fails with "schema … does not exist" when another instance's schema is dropped meanwhile.
 */
class SchemaScopedPostgresDialect extends PostgresDialect {
  readonly #schema: string;
  constructor(schema: string, config: PostgresDialectConfig) {
    super(config);
    this.#schema = schema;
  }
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return createSchemaIntrospector(db, this.#schema);
  }
}

/** Tables and views of one schema, without their columns (the Migrator needs names only). */
function createSchemaIntrospector(db: Kysely<unknown>, schema: string): DatabaseIntrospector {
  const getSchemas = async (): Promise<SchemaMetadata[]> => {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db);
    return rows.map((r) => ({ name: r.name }));
  };
  const getTables = async (_options?: DatabaseMetadataOptions): Promise<TableMetadata[]> => {
    const { rows } = await sql<{ name: string; kind: string }>`select c.relname as name, c.relkind as kind from pg_catalog.pg_class c
      join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace where ns.nspname = ${schema} and c.relkind in ('r', 'v', 'p') order by c.relname`.execute(db);
    return rows.map((r) => ({ name: r.name, schema, isView: r.kind === "v", columns: [] }));
  };
  return {
    getSchemas,
    getTables,
    getMetadata: async (options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> => ({ tables: await getTables(options) }),
  };
}

/** Per-connection settings, parameterized; the schema name is validated and quoted besides. */
function sessionSettings(opts: PostgresConnectionOptions): CompiledQuery {
  const settings: Array<[string, string]> = [["search_path", `"${opts.schema}"`]];
  if (opts.statementTimeoutMs !== undefined) settings.push(["statement_timeout", String(opts.statementTimeoutMs)]);
  const calls = settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, false)`);
  return CompiledQuery.raw(`select ${calls.join(", ")}`, settings.flat());
}

// int8 arrives as text: epoch ms, identity keys and counts, all well inside 2^53. Throwing (rather than
// losing precision) fails only the query at hand; pg reports it as that query's error.
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`PostgreSQL returned the bigint ${text}, beyond JavaScript's safe integer range`);
  return n;
}
