// The Store port implemented once against Kysely: every repo, dialect-neutral (SQLite and PostgreSQL); the statements of
// a turn are prepared once in turn-queries.ts. Opening the database, connections, pragmas and file permissions belong to
// the backends, not here.
import { sql } from "kysely";
import type { CompiledQuery, Expression, ExpressionBuilder, Kysely, RawBuilder, SqlBool } from "kysely";
import type { TranscriptRole, Usage, UsageTotals } from "../core/domain.ts";
import { messageText, titleFromText } from "../core/session-title.ts";
import type { Database } from "./db-schema.ts";
import { createMigrator, SQLITE_SQL_TYPES } from "./migrations.ts";
import type { SqlTypes } from "./migrations.ts";
import {
  fromAuditRow, fromJournalRow, fromRunRow, fromSessionRow, fromTranscriptRow,
  toAuditRow, toJournalRow, toRunRow, toSessionRow, toTranscriptRow, toUsageRow,
} from "./row-mapping.ts";
import type { AuditRepo, JournalRepo, RunRepo, SessionRepo, Store, TranscriptRepo, UsageGroup, UsageRepo } from "./store.ts";
import { createTurnQueries, type TurnQueries } from "./turn-queries.ts";
import { createDeliveryRepo, createLeaseRepo } from "./cluster-repos.ts";
import { createGroupContextRepo, createNoticeRepo, createPairingRepo } from "./channel-repos.ts";
import { createSkillRepo } from "./skill-repos.ts";
import { createMemoryRepo } from "./memory-repo.ts";
import { createScheduleRepo } from "./schedule-repo.ts";
import { createApprovalRepo, createElevationRepo } from "./approval-repos.ts";

export interface KyselyStoreOptions {
  /** How the dialect behind `db` spells DDL types; default SQLite. */
  sqlTypes?: SqlTypes;
  /** PostgreSQL schema holding the tables; the connections' search_path must point at it. Unset for SQLite. */
  schema?: string;
  /** Clock in epoch ms; default `Date.now()`. */
  now?: () => number;
}

type Executor = Pick<Kysely<Database>, "executeQuery">;

const rowsOf = async <R>(exec: Executor, query: CompiledQuery<R>): Promise<R[]> => (await exec.executeQuery(query)).rows;

/** Runs the statements in order: one alone as it is, several in one transaction (one commit). */
async function writeTogether(db: Kysely<Database>, writes: CompiledQuery[]): Promise<void> {
  if (writes.length === 0) return;
  if (writes.length === 1) {
    await db.executeQuery(writes[0]!);
    return;
  }
  await db.transaction().execute(async (trx) => {
    for (const write of writes) await trx.executeQuery(write);
  });
}

// Aggregates come back as number (SQLite) or string/bigint (PostgreSQL numeric/int8), NULL over no rows.
type Aggregate = number | string | bigint | null;
const toNumber = (v: Aggregate | undefined): number => Number(v ?? 0);

/**
 * A Store over any Kysely dialect. Contract: `close()` destroys `db`.
 * Patches write only the keys present; a key present with `undefined` clears the column.
 */
export function createKyselyStore(db: Kysely<Database>, opts: KyselyStoreOptions = {}): Store {
  const now = opts.now ?? (() => Date.now());
  const migrator = createMigrator(db, { types: opts.sqlTypes ?? SQLITE_SQL_TYPES, schema: opts.schema });
  const q = createTurnQueries(db);
  return {
    sessions: createSessionRepo(db, q, now),
    transcript: createTranscriptRepo(db, q, now),
    runs: createRunRepo(db, q, now),
    usage: createUsageRepo(db, q),
    audit: createAuditRepo(db, q),
    journal: createJournalRepo(db, q, now),
    leases: createLeaseRepo(db, now),
    deliveries: createDeliveryRepo(db, now),
    pairing: createPairingRepo(db, now),
    groupContext: createGroupContextRepo(db),
    notices: createNoticeRepo(db, now),
    skills: createSkillRepo(db, now),
    memory: createMemoryRepo(db, { dialect: (opts.sqlTypes ?? SQLITE_SQL_TYPES).dialect, now }),
    schedules: createScheduleRepo(db, now),
    approvals: createApprovalRepo(db),
    elevations: createElevationRepo(db),
    async migrate() {
      const { error, results = [] } = await migrator.migrateToLatest();
      if (error) {
        const failed = results.find((r) => r.status === "Error")?.migrationName ?? "(before any migration ran)";
        throw new Error(`Store migration ${failed} failed and was rolled back; see the cause for the database error`, { cause: error });
      }
      return results.filter((r) => r.status === "Success").map((r) => r.migrationName);
    },
    async pendingMigrations() {
      const all = await migrator.getMigrations();
      return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
    },
    close: () => db.destroy(),
  };
}

function createSessionRepo(db: Kysely<Database>, q: TurnQueries, now: () => number): SessionRepo {
  const get: SessionRepo["get"] = async (key) => {
    const [row] = await rowsOf(db, q.selectSession(key));
    return row && fromSessionRow(row);
  };
  return {
    get,
    async ensure({ key, agentId, channel }) {
      const t = now();
      const row = toSessionRow({ key, agentId, channel, modelOverride: undefined, queueMode: undefined, activation: undefined, title: undefined, createdAt: t, updatedAt: t });
      // A new session comes back from the insert itself; only an existing one needs the read.
      const [inserted] = await rowsOf(db, q.insertSession(row));
      if (inserted) return fromSessionRow(inserted);
      const session = await get(key);
      if (!session) throw new Error(`Session ${key} vanished right after it was ensured`);
      return session;
    },
    async list(opts = {}) {
      let query = db.selectFrom("sessions").selectAll().orderBy("updated_at", "desc").orderBy("key");
      if (opts.agentId !== undefined) query = query.where("agent_id", "=", opts.agentId);
      if (opts.query) {
        // LIKE with its wildcards escaped; lower() on both sides: case-insensitive for ASCII in both dialects.
        const pattern = `%${opts.query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const like = (column: string) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
        query = query.where((eb) => eb.or([
          like("sessions.title"),
          like("sessions.key"),
          eb.exists(eb.selectFrom("transcript").select(sql`1`.as("one")).whereRef("transcript.session_key", "=", "sessions.key").where(like("transcript.content"))),
        ]));
      }
      if (opts.limit !== undefined) query = query.limit(opts.limit);
      return (await query.execute()).map(fromSessionRow);
    },
    async update(key, patch) {
      await db.updateTable("sessions").set(toSessionRow({ ...patch, updatedAt: now() })).where("key", "=", key).execute();
    },
    async clearTranscript(key) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("transcript").where("session_key", "=", key).execute();
        await trx.updateTable("sessions")
          .set({ title: null, compaction_summary: null, compacted_through: null, compacted_at: null, taint: null })
          .where("key", "=", key).execute();
      });
    },
    async saveCompaction(key, compaction) {
      await db.updateTable("sessions").set(toSessionRow({ compaction })).where("key", "=", key).execute();
    },
    async delete(key) {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom("group_context").where("session_key", "=", key).execute();
        await trx.deleteFrom("transcript").where("session_key", "=", key).execute();
        await trx.deleteFrom("runs").where("session_key", "=", key).execute();
        const result = await trx.deleteFrom("sessions").where("key", "=", key).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
    },
  };
}

/** The transcript rows of `messages`, appended under `runId` at `createdAt`. */
/**
 * New messages are session activity (sessions.list orders by `updated_at`); a session without a title takes it from
 * the first user message among them.
 */
function touchSession(q: TurnQueries, sessionKey: string, at: number, messages: Array<{ role: TranscriptRole; content: unknown }>): CompiledQuery {
  const firstUser = messages.find((m) => m.role === "user");
  return q.touchSession(sessionKey, at, firstUser ? titleFromText(messageText(firstUser.content)) : undefined);
}

function toTranscriptRows(sessionKey: string, runId: string | undefined, messages: Array<{ role: TranscriptRole; content: unknown }>, createdAt: number) {
  return messages.map((m) => toTranscriptRow({ sessionKey, runId, role: m.role, content: m.content, createdAt }));
}

function createTranscriptRepo(db: Kysely<Database>, q: TurnQueries, now: () => number): TranscriptRepo {
  return {
    async append(sessionKey, runId, messages) {
      if (messages.length === 0) return [];
      const createdAt = now();
      const insert = q.insertTranscript(toTranscriptRows(sessionKey, runId, messages, createdAt), { returning: true });
      const touch = touchSession(q, sessionKey, createdAt, messages);
      return db.transaction().execute(async (trx) => {
        const rows = await rowsOf(trx, insert);
        await trx.executeQuery(touch);
        // RETURNING order is unspecified in both dialects; ids follow VALUES order.
        return rows.map(fromTranscriptRow).sort((a, b) => a.id - b.id);
      });
    },
    async list(sessionKey, opts = {}) {
      const rows = await rowsOf(db, q.selectTranscript(sessionKey, opts.limit, opts.afterId));
      if (opts.limit !== undefined) rows.reverse();
      return rows.map(fromTranscriptRow);
    },
    async deleteRun(runId) {
      const result = await db.deleteFrom("transcript").where("run_id", "=", runId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async listRun(sessionKey, runId) {
      // The session key lets the (session_key, id) index find the rows; run_id has no index of its own.
      const rows = await db.selectFrom("transcript").selectAll().where("session_key", "=", sessionKey).where("run_id", "=", runId).orderBy("id").execute();
      return rows.map(fromTranscriptRow);
    },
    async countPerSession(sessionKeys) {
      const counts = new Map<string, number>();
      if (sessionKeys.length === 0) return counts;
      const rows = await db.selectFrom("transcript")
        .select((eb) => ["session_key", eb.fn.countAll<number | string | bigint>().as("n")])
        .where("session_key", "in", [...sessionKeys])
        .groupBy("session_key")
        .execute();
      for (const row of rows) counts.set(row.session_key, toNumber(row.n));
      return counts;
    },
  };
}

function createRunRepo(db: Kysely<Database>, q: TurnQueries, now: () => number): RunRepo {
  return {
    async create(input) {
      const row = toRunRow({
        id: input.id, sessionKey: input.sessionKey, agentId: input.agentId, parentRunId: input.parentRunId,
        status: input.status ?? "pending", input: input.input, reply: undefined, errorCode: undefined, error: undefined, model: undefined,
        usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 },
        createdAt: input.createdAt ?? now(), startedAt: input.startedAt, finishedAt: undefined,
        attempt: input.worker === undefined ? 0 : 1, worker: input.worker, origin: input.origin, trigger: input.trigger, taint: input.taint,
      });
      const insert = q.insertRun(row);
      const writes: CompiledQuery[] = [];
      const { messages = [], journalIds = [] } = input;
      if (messages.length > 0) {
        const createdAt = now();
        writes.push(q.insertTranscript(toTranscriptRows(input.sessionKey, input.id, messages, createdAt), { returning: false }));
        writes.push(touchSession(q, input.sessionKey, createdAt, messages));
      }
      for (const id of journalIds) writes.push(q.markJournal(id, "processed", input.id));
      const [created] = writes.length === 0 ? await rowsOf(db, insert) : await db.transaction().execute(async (trx) => {
        const rows = await rowsOf(trx, insert);
        for (const write of writes) await trx.executeQuery(write);
        return rows;
      });
      if (!created) throw new Error(`Run ${input.id} was not returned by its INSERT`);
      return fromRunRow(created);
    },
    async get(id) {
      const [row] = await rowsOf(db, q.selectRun(id));
      return row && fromRunRow(row);
    },
    async update(id, patch) {
      const update = q.updateRun(id, toRunRow(patch));
      if (update) await db.executeQuery(update);
    },
    async record(run, { usage, messages = [], patch }) {
      const writes: CompiledQuery[] = [];
      if (usage) writes.push(q.insertUsage(toUsageRow(usage)));
      if (messages.length > 0) {
        const createdAt = now();
        writes.push(q.insertTranscript(toTranscriptRows(run.sessionKey, run.id, messages, createdAt), { returning: false }));
        writes.push(touchSession(q, run.sessionKey, createdAt, messages));
      }
      const update = patch && q.updateRun(run.id, toRunRow(patch));
      if (update) writes.push(update);
      await writeTogether(db, writes);
    },
    async claim(id, { from, worker, patch = {} }) {
      if (from.length === 0) return undefined;
      const [row] = await rowsOf(db, q.claimRun(id, { from, worker, row: toRunRow(patch) }));
      return row && fromRunRow(row);
    },
    async list(opts = {}) {
      if (opts.status?.length === 0) return [];
      let query = db.selectFrom("runs").selectAll().orderBy("created_at", "desc").orderBy("id", "desc");
      if (opts.sessionKey !== undefined) query = query.where("session_key", "=", opts.sessionKey);
      if (opts.sessionKeyPrefix !== undefined) {
        const pattern = `${opts.sessionKeyPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        query = query.where(sql<boolean>`session_key like ${pattern} escape '\\'`);
      }
      if (opts.hasParent !== undefined) query = query.where("parent_run_id", opts.hasParent ? "is not" : "is", null);
      if (opts.status !== undefined) query = query.where("status", "in", opts.status);
      if (opts.agentId !== undefined) query = query.where("agent_id", "=", opts.agentId);
      if (opts.model !== undefined) query = query.where("model", "=", opts.model);
      if (opts.errorCode !== undefined) query = query.where("error_code", "=", opts.errorCode);
      if (opts.since !== undefined) query = query.where("created_at", ">=", opts.since);
      if (opts.until !== undefined) query = query.where("created_at", "<", opts.until);
      if (opts.before !== undefined) {
        const cursor = db.selectFrom("runs as cursor").where("cursor.id", "=", opts.before);
        query = query.where((eb) => listedAfter(eb, eb.ref("runs.created_at"), eb.ref("runs.id"), cursor.select("cursor.created_at"), cursor.select("cursor.id")));
      }
      if (opts.limit !== undefined) query = query.limit(opts.limit);
      return (await query.execute()).map(fromRunRow);
    },
  };
}

function createUsageRepo(db: Kysely<Database>, q: TurnQueries): UsageRepo {
  const sums = db.selectFrom("usage").select((eb) => [
    eb.fn.sum<Aggregate>("input_tokens").as("input_tokens"),
    eb.fn.sum<Aggregate>("output_tokens").as("output_tokens"),
    eb.fn.sum<Aggregate>("cached_tokens").as("cached_tokens"),
    eb.fn.sum<Aggregate>("cost_usd").as("cost_usd"),
  ]);
  const toUsage = (row: { input_tokens: Aggregate; output_tokens: Aggregate; cached_tokens: Aggregate; cost_usd: Aggregate } | undefined): Usage => ({
    inputTokens: toNumber(row?.input_tokens),
    outputTokens: toNumber(row?.output_tokens),
    cachedTokens: toNumber(row?.cached_tokens),
    costUsd: toNumber(row?.cost_usd),
  });
  return {
    async record(entry) {
      await db.executeQuery(q.insertUsage(toUsageRow(entry)));
    },
    async totals(opts = {}) {
      let q = sums
        .select((eb) => ["provider", "model", eb.fn.countAll<number | string | bigint>().as("calls")])
        .groupBy(["provider", "model"])
        .orderBy("provider")
        .orderBy("model");
      if (opts.since !== undefined) q = q.where("at", ">=", opts.since);
      if (opts.sessionKey !== undefined) q = q.where("session_key", "=", opts.sessionKey);
      const rows = await q.execute();
      return rows.map((r): UsageTotals => ({ provider: r.provider, model: r.model, calls: toNumber(r.calls), ...toUsage(r) }));
    },
    async sessionTotal(sessionKey) {
      return toUsage(await sums.where("session_key", "=", sessionKey).executeTakeFirst());
    },
    async totalsPerSession(sessionKeys) {
      const totals = new Map<string, Usage>();
      if (sessionKeys.length === 0) return totals;
      const rows = await sums.select("session_key").where("session_key", "in", [...sessionKeys]).groupBy("session_key").execute();
      for (const row of rows) if (row.session_key !== null) totals.set(row.session_key, toUsage(row));
      return totals;
    },
    async buckets({ since, until, bucketMs, by }) {
      // Integer bucket numbers in both dialects: SQLite divides a bound JS number as REAL, hence the cast.
      const bucket = sql<number | string>`cast((${sql.ref("usage.at")} - ${since}) / ${sql.lit(Math.trunc(bucketMs))} as integer)`;
      const key = groupKey(by);
      const rows = await db.selectFrom("usage")
        .leftJoin("sessions", "sessions.key", "usage.session_key")
        .select((eb) => [
          bucket.as("bucket_no"),
          key.as("group_key"),
          eb.fn.countAll<number | string | bigint>().as("calls"),
          eb.fn.sum<Aggregate>("usage.input_tokens").as("input_tokens"),
          eb.fn.sum<Aggregate>("usage.output_tokens").as("output_tokens"),
          eb.fn.sum<Aggregate>("usage.cached_tokens").as("cached_tokens"),
          eb.fn.sum<Aggregate>("usage.cost_usd").as("cost_usd"),
        ])
        .where("usage.at", ">=", since)
        .where("usage.at", "<", until)
        // By output name: PostgreSQL would take the expressions repeated here (new parameters) for other expressions.
        // The names differ from every input column, which both dialects would prefer.
        .groupBy([sql.ref("bucket_no"), sql.ref("group_key")])
        .orderBy(sql.ref("bucket_no"))
        .orderBy(sql.ref("group_key"))
        .execute();
      return rows.map((r) => ({ at: since + toNumber(r.bucket_no) * bucketMs, key: r.group_key ?? "", calls: toNumber(r.calls), ...toUsage(r) }));
    },
    async spend(opts) {
      let query = db.selectFrom("usage").select((eb) => [
        eb.fn.sum<Aggregate>(eb("input_tokens", "+", eb.ref("output_tokens"))).as("tokens"),
        eb.fn.sum<Aggregate>("cost_usd").as("cost_usd"),
        eb.fn.countAll<number | string | bigint>().as("calls"),
        eb.fn.sum<Aggregate>(eb.case().when("cost_usd", "=", 0).then(1).else(0).end()).as("unpriced"),
      ]).where("at", ">=", opts.since);
      if (opts.until !== undefined) query = query.where("at", "<", opts.until);
      if (opts.agentId !== undefined) query = query.where("agent_id", "=", opts.agentId);
      if (opts.sessionKey !== undefined) query = query.where("session_key", "=", opts.sessionKey);
      if (opts.sender !== undefined) query = query.where("sender", "=", opts.sender);
      const row = await query.executeTakeFirst();
      return { tokens: toNumber(row?.tokens), costUsd: toNumber(row?.cost_usd), calls: toNumber(row?.calls), unpricedCalls: toNumber(row?.unpriced) };
    },
  };
}

/** The grouped value of a usage row; NULL (no agent, no session) groups as "". `model` is `provider/model`. */
function groupKey(by: UsageGroup): RawBuilder<string> {
  switch (by) {
    case "model":
      return sql<string>`${sql.ref("usage.provider")} || '/' || ${sql.ref("usage.model")}`;
    case "provider":
      return sql<string>`${sql.ref("usage.provider")}`;
    case "agent":
      return sql<string>`coalesce(${sql.ref("usage.agent_id")}, '')`;
    case "channel":
      return sql<string>`coalesce(${sql.ref("sessions.channel")}, '')`;
  }
}

/**
 * Keyset paging for lists ordered by (`at`, `id`) descending: rows strictly after the cursor row in that order.
 * With an unknown cursor both sub-selects are NULL and nothing matches.
 */
function listedAfter<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  at: Expression<unknown>,
  id: Expression<unknown>,
  cursorAt: Expression<unknown>,
  cursorId: Expression<unknown>,
): Expression<SqlBool> {
  return eb.or([eb(at, "<", cursorAt), eb.and([eb(at, "=", cursorAt), eb(id, "<", cursorId)])]);
}

function createAuditRepo(db: Kysely<Database>, q: TurnQueries): AuditRepo {
  return {
    async write(record) {
      await db.executeQuery(q.insertAudit(toAuditRow(record)));
    },
    async list(opts = {}) {
      let q = db.selectFrom("audit").selectAll().orderBy("at", "desc").orderBy("id", "desc");
      if (opts.runId !== undefined) q = q.where("run_id", "=", opts.runId);
      if (opts.kind !== undefined) q = q.where("kind", "=", opts.kind);
      if (opts.tool !== undefined) q = q.where("tool", "=", opts.tool);
      if (opts.decision !== undefined) q = q.where("decision", "=", opts.decision);
      if (opts.since !== undefined) q = q.where("at", ">=", opts.since);
      if (opts.until !== undefined) q = q.where("at", "<", opts.until);
      if (opts.before !== undefined) {
        const cursor = db.selectFrom("audit as cursor").where("cursor.id", "=", opts.before);
        q = q.where((eb) => listedAfter(eb, eb.ref("audit.at"), eb.ref("audit.id"), cursor.select("cursor.at"), cursor.select("cursor.id")));
      }
      if (opts.limit !== undefined) q = q.limit(opts.limit);
      return (await q.execute()).map(fromAuditRow);
    },
    async countPerRun(kind, runIds) {
      const counts = new Map<string, number>();
      if (runIds.length === 0) return counts;
      const rows = await db.selectFrom("audit")
        .select((eb) => ["run_id", eb.fn.countAll<number | string | bigint>().as("n")])
        .where("kind", "=", kind)
        .where("run_id", "in", [...runIds])
        .groupBy("run_id")
        .execute();
      for (const row of rows) if (row.run_id !== null) counts.set(row.run_id, toNumber(row.n));
      return counts;
    },
  };
}

function createJournalRepo(db: Kysely<Database>, q: TurnQueries, now: () => number): JournalRepo {
  return {
    async append(entry) {
      const row = toJournalRow({
        channel: entry.channel, account: entry.account, platformMessageId: entry.platformMessageId,
        sessionKey: entry.sessionKey, payload: entry.payload, status: "received", receivedAt: entry.receivedAt ?? now(), runId: undefined,
      });
      // Insert-or-nothing, then read: atomic under concurrency in both dialects (the unique index arbitrates).
      const [inserted] = await rowsOf(db, q.insertJournal(row));
      if (inserted) return { entry: fromJournalRow(inserted), duplicate: false };
      const [existing] = await rowsOf(db, q.selectJournal(entry));
      if (!existing) throw new Error(`Journal entry ${entry.channel}/${entry.account}/${entry.platformMessageId} vanished right after a duplicate insert`);
      return { entry: fromJournalRow(existing), duplicate: true };
    },
    async mark(id, status, runId) {
      await db.executeQuery(q.markJournal(id, status, runId));
    },
    async pending() {
      const rows = await db.selectFrom("journal").selectAll().where("status", "=", "received").orderBy("id").execute();
      return rows.map(fromJournalRow);
    },
  };
}
