// The embedded Store backend: opens a node:sqlite file (WAL, owner-only permissions) and hands it to the Kysely store.
// Queries and migrations are shared with every backend (kysely-store.ts, migrations.ts); the only SQL here reads
// which migrations a file has applied.
import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Kysely } from "kysely";
import type { Database } from "./db-schema.ts";
import { createKyselyStore } from "./kysely-store.ts";
import { listMigrations, SQLITE_SQL_TYPES } from "./migrations.ts";
import { createNodeSqliteDialect } from "./sqlite-dialect.ts";
import type { Store } from "./store.ts";

export interface SqliteStoreOptions {
  /** Database file, or `":memory:"`. The parent directory is created (0700) and the file is made 0600. */
  path: string;
  /** Apply pending migrations before returning; default true. Pass false to migrate explicitly. */
  migrate?: boolean;
  /** Clock in epoch ms; default `Date.now()`. */
  now?: () => number;
}

const MEMORY = ":memory:";
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating if needed) a SQLite Store. Contract: the returned store's `close()` closes the file;
 * a failed migration closes it too before the error is rethrown.
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  if (opts.path !== MEMORY) prepareFile(opts.path);
  const database = new DatabaseSync(opts.path);
  try {
    applyPragmas(database);
  } catch (err) {
    database.close();
    throw err;
  }
  const db = new Kysely<Database>({ dialect: createNodeSqliteDialect(database) });
  const store = createKyselyStore(db, { sqlTypes: SQLITE_SQL_TYPES, now: opts.now });
  const close = async () => {
    await store.close();
    // Kysely only closes a database it has used; close it ourselves if it never ran a query.
    if (database.isOpen) database.close();
  };
  // A file already at the latest schema (every start but the first) skips the Migrator, its lock and its queries.
  if ((opts.migrate ?? true) && !isSchemaCurrent(database)) {
    try {
      await store.migrate();
    } catch (err) {
      await close();
      throw err;
    }
  }
  return { ...store, close };
}

/** True when exactly the migrations this version knows have been applied, read with one plain statement. */
function isSchemaCurrent(database: DatabaseSync): boolean {
  const known = Object.keys(listMigrations(SQLITE_SQL_TYPES));
  try {
    const applied = database.prepare("SELECT name FROM kysely_migration ORDER BY name").all().map((row) => row["name"]);
    return applied.length === known.length && applied.every((name, i) => name === known[i]);
  } catch {
    return false; // no bookkeeping table yet (a new file): the Migrator creates it
  }
}

/** Creates the parent directory and the file with owner-only permissions before SQLite opens it. */
function prepareFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, "a", 0o600));
  // openSync's mode only applies to a new file; tighten an existing one too. SQLite gives -wal/-shm the same mode.
  chmodSync(path, 0o600);
}

function applyPragmas(database: DatabaseSync): void {
  // busy_timeout first, so switching to WAL waits for another process's lock instead of failing.
  database.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  switchToWal(database);
  database.exec("PRAGMA synchronous = NORMAL");
  database.exec("PRAGMA foreign_keys = ON");
}

/**
 * WAL mode is stored in the file, so only a new file needs the switch. Two processes switching one new file can
 * deadlock on the upgrade to an exclusive lock, and SQLite then fails one at once rather than calling the busy
 * handler; the loser waits a moment and looks again (usually to find the other has switched it).
 */
function switchToWal(database: DatabaseSync): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    try {
      const row = database.prepare("PRAGMA journal_mode").get();
      if (row?.["journal_mode"] === "wal") return;
      database.exec("PRAGMA journal_mode = WAL");
      return;
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
    }
  }
}

const isBusy = (err: unknown): boolean => {
  const code = (err as { errcode?: unknown }).errcode;
  return typeof code === "number" && (code & 0xff) === 5; // SQLITE_BUSY and its extended codes
};
