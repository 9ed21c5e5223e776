// The statements a turn runs (sessions, transcript, runs, usage, journal, audit), built with Kysely once per store and
// then only given new values: each function returns the compiled query for its arguments. Executing them, and mapping
// rows to domain records, is the repos' part (kysely-store.ts).
import { sql } from "kysely";
import type { Compilable, CompiledQuery, Insertable, Kysely, Selectable, Updateable } from "kysely";
import type { AuditTable, Database, JournalTable, RunsTable, SessionsTable, TranscriptTable, UsageTable } from "./db-schema.ts";
import { createQueryCache, prepareQuery, type Markers, type QueryValues } from "./prepared-query.ts";

export type TurnQueries = ReturnType<typeof createTurnQueries>;

/**
 * Columns a row or patch writes, in its key order. A key whose value is `undefined` is left out, as Kysely leaves it out
 * of a query it builds, so a prepared query writes exactly what the built one would have.
 */
function columnsOf(row: object): string[] {
  return Object.keys(row).filter((k) => (row as Record<string, unknown>)[k] !== undefined);
}

/** The markers of `columns`, as the object Kysely's `values()` and `set()` take. */
function pick(markers: Markers<string>, columns: readonly string[]): Record<string, never> {
  return Object.fromEntries(columns.map((c) => [c, markers[c]])) as Record<string, never>;
}

export function createTurnQueries(db: Kysely<Database>) {
  const prepared = createQueryCache();
  /**
   * The query for `shape` with `values` in place: prepared with `build` on the shape's first use, only filled in after.
   * `names` may be a function, for names that cost something to list.
   */
  const fill = <const K extends string, R>(
    shape: string,
    names: readonly K[] | (() => readonly K[]),
    build: (p: Markers<K>) => Compilable<R>,
    values: QueryValues<K>,
  ): CompiledQuery<R> => prepared(shape, () => prepareQuery(typeof names === "function" ? names() : names, build))(values);

  return {
    selectSession: (key: string) =>
      fill("sessions.get", ["key"], (p) => db.selectFrom("sessions").selectAll().where("key", "=", p.key), { key }),

    /** Insert-or-nothing; returns the row only when it inserted it. */
    insertSession(row: Insertable<SessionsTable>): CompiledQuery<Selectable<SessionsTable>> {
      const columns = columnsOf(row);
      return fill(`sessions.insert:${columns.join()}`, columns, (p) => db.insertInto("sessions")
        .values(pick(p, columns) as unknown as Insertable<SessionsTable>)
        .onConflict((oc) => oc.column("key").doNothing())
        .returningAll(), row);
    },

    /** A new transcript message is session activity: sessions.list orders by `updated_at`. With `title`, a session
     * without a title takes it. */
    touchSession: (key: string, at: number, title?: string) =>
      title === undefined
        ? fill("sessions.touch", ["key", "at"], (p) => db.updateTable("sessions").set({ updated_at: p.at }).where("key", "=", p.key), { key, at })
        : fill("sessions.touch:title", ["key", "at", "title"], (p) => db.updateTable("sessions")
          .set({ updated_at: p.at, title: sql<string>`coalesce(title, ${p.title})` })
          .where("key", "=", p.key), { key, at, title }),

    /** Rows in VALUES order; with `returning`, the stored rows come back (in an order neither dialect specifies). */
    insertTranscript(rows: Array<Insertable<TranscriptTable>>, opts: { returning: boolean }): CompiledQuery<Selectable<TranscriptTable>> {
      const columns = columnsOf(rows[0]!);
      const name = (i: number, column: string) => `${i}.${column}`;
      const values: Record<string, unknown> = {};
      rows.forEach((row, i) => {
        for (const column of columns) values[name(i, column)] = (row as Record<string, unknown>)[column];
      });
      return fill(
        `transcript.insert:${columns.join()}:${rows.length}:${opts.returning}`,
        () => rows.flatMap((_, i) => columns.map((c) => name(i, c))),
        (p) => {
          const insert = db.insertInto("transcript").values(rows.map((_, i) => Object.fromEntries(columns.map((c) => [c, p[name(i, c)]]))) as unknown as Array<Insertable<TranscriptTable>>);
          return opts.returning ? insert.returningAll() : insert;
        },
        values,
      ) as CompiledQuery<Selectable<TranscriptTable>>;
    },

    /** Newest first when `limit` is given (the caller reverses), else oldest first. */
    /** Newest first when `limit` is given, else oldest first; `after` leaves out ids up to it. */
    selectTranscript: (sessionKey: string, limit: number | undefined, after = 0) =>
      limit === undefined
        ? fill("transcript.all", ["key", "after"], (p) => db.selectFrom("transcript").selectAll().where("session_key", "=", p.key).where("id", ">", p.after).orderBy("id"), { key: sessionKey, after })
        : fill("transcript.newest", ["key", "after", "limit"], (p) => db.selectFrom("transcript").selectAll().where("session_key", "=", p.key).where("id", ">", p.after).orderBy("id", "desc").limit(p.limit), { key: sessionKey, after, limit }),

    insertRun(row: Insertable<RunsTable>): CompiledQuery<Selectable<RunsTable>> {
      const columns = columnsOf(row);
      return fill(`runs.insert:${columns.join()}`, columns, (p) => db.insertInto("runs").values(pick(p, columns) as unknown as Insertable<RunsTable>).returningAll(), row);
    },

    selectRun: (id: string) =>
      fill("runs.get", ["$id"], (p) => db.selectFrom("runs").selectAll().where("id", "=", p.$id), { $id: id }),

    /** Undefined when the patch writes nothing. */
    updateRun(id: string, row: Updateable<RunsTable>): CompiledQuery | undefined {
      const columns = columnsOf(row);
      if (columns.length === 0) return undefined;
      return fill(`runs.update:${columns.join()}`, [...columns, "$id"], (p) => db.updateTable("runs").set(pick(p, columns)).where("id", "=", p.$id!), { ...row, $id: id });
    },

    /** UPDATE … WHERE status IN (…) RETURNING *: the row lock makes a concurrent claimer re-check the status it waited on. */
    claimRun(id: string, claim: { from: readonly string[]; worker: string; row: Updateable<RunsTable> }): CompiledQuery<Selectable<RunsTable>> {
      const columns = columnsOf(claim.row);
      const from = (i: number) => `$from${i}`;
      const values: Record<string, unknown> = { ...claim.row, $id: id, $worker: claim.worker };
      claim.from.forEach((status, i) => (values[from(i)] = status));
      return fill(
        `runs.claim:${columns.join()}:${claim.from.length}`,
        () => [...columns, "$id", "$worker", ...claim.from.map((_, i) => from(i))],
        (p) => db.updateTable("runs")
          .set((eb) => ({ ...pick(p, columns), worker: p.$worker, attempt: eb("attempt", "+", 1) }))
          .where("id", "=", p.$id!)
          .where("status", "in", claim.from.map((_, i) => p[from(i)]!))
          .returningAll(),
        values,
      );
    },

    /** Insert-or-nothing on the idempotency key. */
    insertUsage(row: Insertable<UsageTable>): CompiledQuery {
      const columns = columnsOf(row);
      return fill(`usage.insert:${columns.join()}`, columns, (p) => db.insertInto("usage")
        .values(pick(p, columns) as unknown as Insertable<UsageTable>)
        .onConflict((oc) => oc.column("idempotency_key").doNothing()), row);
    },

    insertAudit(row: Insertable<AuditTable>): CompiledQuery {
      const columns = columnsOf(row);
      return fill(`audit.insert:${columns.join()}`, columns, (p) => db.insertInto("audit").values(pick(p, columns) as unknown as Insertable<AuditTable>), row);
    },

    /** Insert-or-nothing on channel + account + platform message id; returns the row only when it inserted it. */
    insertJournal(row: Insertable<JournalTable>): CompiledQuery<Selectable<JournalTable>> {
      const columns = columnsOf(row);
      return fill(`journal.insert:${columns.join()}`, columns, (p) => db.insertInto("journal")
        .values(pick(p, columns) as unknown as Insertable<JournalTable>)
        .onConflict((oc) => oc.columns(["channel", "account", "platform_message_id"]).doNothing())
        .returningAll(), row);
    },

    selectJournal: (key: { channel: string; account: string; platformMessageId: string }) =>
      fill("journal.get", ["channel", "account", "id"], (p) => db.selectFrom("journal").selectAll()
        .where("channel", "=", p.channel)
        .where("account", "=", p.account)
        .where("platform_message_id", "=", p.id), { channel: key.channel, account: key.account, id: key.platformMessageId }),

    markJournal: (id: number, status: string, runId: string | undefined) =>
      runId === undefined
        ? fill("journal.mark", ["id", "status"], (p) => db.updateTable("journal").set({ status: p.status }).where("id", "=", p.id), { id, status })
        : fill("journal.mark:run", ["id", "status", "run"], (p) => db.updateTable("journal").set({ status: p.status, run_id: p.run }).where("id", "=", p.id), { id, status, run: runId }),
  };
}
