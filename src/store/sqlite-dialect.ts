// Kysely's built-in SqliteDialect over node:sqlite: a tiny adapter making `DatabaseSync` look like better-sqlite3.
// Owns only the statement shape Kysely's SqliteDriver calls; pragmas and file handling live in sqlite-store.ts.
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { CompiledQuery, SqliteAdapter, SqliteDialect, SqliteDriver } from "kysely";
import type { DatabaseConnection, DialectAdapter, Driver, SqliteDatabase, SqliteStatement } from "kysely";

/**
 * Wraps a node:sqlite database for Kysely. Rows keep node:sqlite's null-prototype objects; integers come
 * back as numbers because `readBigInts` is left off. Contract: `close()` is idempotent.
 */
export function toKyselySqliteDatabase(database: DatabaseSync): SqliteDatabase {
  // Kysely prepares on every query; preparing is the costliest step of a small query, so statements are
  // reused by SQL text. Bounded: query shapes are finite, but IN-lists of varying length are not.
  const statements = new Map<string, SqliteStatement>();
  return {
    close() {
      statements.clear();
      if (database.isOpen) database.close();
    },
    prepare(sql: string): SqliteStatement {
      let stmt = statements.get(sql);
      if (!stmt) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
        stmt = toKyselyStatement(database.prepare(sql));
        statements.set(sql, stmt);
      }
      return stmt;
    },
  };
}

const STATEMENT_CACHE_SIZE = 256;

function toKyselyStatement(stmt: StatementSync): SqliteStatement {
  // Kysely passes one parameter array; node:sqlite takes anonymous parameters as separate arguments.
  const params = (parameters: ReadonlyArray<unknown>) => parameters as SQLInputValue[];
  return {
    // A statement that yields columns (SELECT, or anything with RETURNING) must be read with all().
    reader: stmt.columns().length > 0,
    all: (parameters) => stmt.all(...params(parameters)),
    run: (parameters) => {
      const { changes, lastInsertRowid } = stmt.run(...params(parameters));
      return { changes, lastInsertRowid };
    },
    iterate: (parameters) => stmt.iterate(...params(parameters)),
  };
}

/**
 * Kysely's SQLite driver with transactions that take the write lock when they begin. A plain (deferred) `begin`
 * reads first and upgrades to a writer later, and in WAL mode an upgrade that loses to another process's commit
 * fails at once with SQLITE_BUSY instead of waiting out busy_timeout. Two processes migrating a new file, or a
 * CLI command writing while the gateway runs, then fail. `begin immediate` waits for the lock instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

/**
 * SQLite runs DDL inside transactions, but Kysely's adapter says it does not, so its Migrator would apply each
 * migration statement by statement: a crash midway left a half-made schema, and two processes opening a new
 * file both created the tables. Saying so makes every migration one `begin immediate` transaction.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class NodeSqliteDialect extends SqliteDialect {
  readonly #config: { database: SqliteDatabase };
  constructor(config: { database: SqliteDatabase }) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** A Kysely dialect for a node:sqlite database. `Kysely.destroy()` closes the database. */
export function createNodeSqliteDialect(database: DatabaseSync): SqliteDialect {
  return new NodeSqliteDialect({ database: toKyselySqliteDatabase(database) });
}
