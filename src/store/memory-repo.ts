// The memory index's tables on Kysely: files, chunks, embeddings, and full-text search — FTS5 with BM25 on SQLite, a
// generated tsvector with a GIN index and ts_rank_cd on PostgreSQL. Chunking, hashing and ranking live in src/memory.
import { sql, type Kysely } from "kysely";
import type { Database } from "./db-schema.ts";
import type { MemoryRepo, MemoryTextHit } from "./store.ts";

/** Rows per multi-row insert: SQLite allows 32,766 bound parameters per statement; six per chunk row. */
const INSERT_BATCH = 500;

type ChunkRow = { id: number | string; path: string; start_line: number; end_line: number; hash: string; content: string };

function fromChunkRow(row: ChunkRow): Omit<MemoryTextHit, "score"> {
  return { id: Number(row.id), path: row.path, startLine: row.start_line, endLine: row.end_line, hash: row.hash, content: row.content };
}

/** Float32 little-endian bytes ↔ vector; a copy, so the driver's buffer (often a pooled slab) is never aliased. */
export function vectorToBytes(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));
}

export function bytesToVector(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Terms as the full-text engines take them: each a quoted FTS5 string, or a PostgreSQL tsquery of ORed words. */
const WORD = /^[\p{L}\p{N}_]+$/u;

export function createMemoryRepo(db: Kysely<Database>, opts: { dialect: "sqlite" | "postgres"; now: () => number }): MemoryRepo {
  const sqlite = opts.dialect === "sqlite";
  return {
    async files(agentId) {
      const rows = await db.selectFrom("memory_files as f")
        .select(["f.path", "f.hash", "f.size", "f.mtime_ms", "f.indexed_at"])
        .select((eb) => eb.selectFrom("memory_chunks as c").whereRef("c.agent_id", "=", "f.agent_id").whereRef("c.path", "=", "f.path")
          .select((e) => e.fn.countAll<number | string>().as("n")).as("chunks"))
        .where("f.agent_id", "=", agentId)
        .orderBy("f.path")
        .execute();
      return rows.map((r) => ({ path: r.path, hash: r.hash, size: Number(r.size), mtimeMs: Number(r.mtime_ms), indexedAt: Number(r.indexed_at), chunks: Number(r.chunks ?? 0) }));
    },

    async putFile(agentId, file, chunks) {
      await db.transaction().execute(async (trx) => {
        if (sqlite) {
          await sql`delete from memory_fts where rowid in (select id from memory_chunks where agent_id = ${agentId} and path = ${file.path})`.execute(trx);
        } else {
          // Two processes (gateway and a worker) indexing the same file at once: one after the other, never both
          // deleting the old chunks and then both inserting. SQLite's single writer already serialises them.
          await sql`select pg_advisory_xact_lock(hashtext(${`pincer.memory:${agentId}:${file.path}`}))`.execute(trx);
        }
        await trx.deleteFrom("memory_chunks").where("agent_id", "=", agentId).where("path", "=", file.path).execute();
        for (const batch of chunked(chunks, INSERT_BATCH)) {
          const inserted = await trx.insertInto("memory_chunks")
            .values(batch.map((c) => ({ agent_id: agentId, path: file.path, start_line: c.startLine, end_line: c.endLine, hash: c.hash, content: c.content })))
            .returning("id")
            .execute();
          if (sqlite && inserted.length > 0) {
            const values = inserted.map((row, i) => sql`(${Number(row.id)}, ${batch[i]!.content})`);
            await sql`insert into memory_fts (rowid, content) values ${sql.join(values)}`.execute(trx);
          }
        }
        const record = { hash: file.hash, size: file.size, mtime_ms: file.mtimeMs, indexed_at: file.indexedAt };
        await trx.insertInto("memory_files")
          .values({ agent_id: agentId, path: file.path, ...record })
          .onConflict((oc) => oc.columns(["agent_id", "path"]).doUpdateSet(record))
          .execute();
      });
    },

    async touchFile(agentId, file) {
      await db.updateTable("memory_files").set({ size: file.size, mtime_ms: file.mtimeMs })
        .where("agent_id", "=", agentId).where("path", "=", file.path).execute();
    },

    async removeFiles(agentId, paths) {
      if (paths.length === 0) return;
      await db.transaction().execute(async (trx) => {
        for (const batch of chunked(paths, INSERT_BATCH)) {
          if (sqlite) {
            await sql`delete from memory_fts where rowid in (select id from memory_chunks where agent_id = ${agentId} and path in (${sql.join(batch)}))`.execute(trx);
          }
          await trx.deleteFrom("memory_chunks").where("agent_id", "=", agentId).where("path", "in", batch).execute();
          await trx.deleteFrom("memory_files").where("agent_id", "=", agentId).where("path", "in", batch).execute();
        }
      });
    },

    async searchText(agentId, terms, limit) {
      const words = terms.filter((t) => WORD.test(t)).slice(0, 32);
      if (words.length === 0 || limit <= 0) return [];
      if (sqlite) {
        // Each word a quoted FTS5 string ("" escapes nothing here: words hold no quotes), ORed.
        const match = words.map((w) => `"${w}"`).join(" OR ");
        const { rows } = await sql<ChunkRow & { score: number }>`
          select c.id, c.path, c.start_line, c.end_line, c.hash, c.content, -bm25(memory_fts) as score
          from memory_fts join memory_chunks c on c.id = memory_fts.rowid
          where memory_fts match ${match} and c.agent_id = ${agentId}
          order by bm25(memory_fts) limit ${limit}`.execute(db);
        return rows.map((r) => ({ ...fromChunkRow(r), score: Number(r.score) }));
      }
      // to_tsquery over words only (no operators can come in); stop words drop out, leaving possibly an empty query.
      const query = words.join(" | ");
      const { rows } = await sql<ChunkRow & { score: number }>`
        select c.id, c.path, c.start_line, c.end_line, c.hash, c.content, ts_rank_cd(c.tsv, q) as score
        from memory_chunks c, to_tsquery('english', ${query}) q
        where c.agent_id = ${agentId} and c.tsv @@ q
        order by score desc, c.id limit ${limit}`.execute(db);
      return rows.map((r) => ({ ...fromChunkRow(r), score: Number(r.score) }));
    },

    async chunks(agentId, o = {}) {
      const model = o.model ?? "";
      const rows = await db.selectFrom("memory_chunks as c")
        .leftJoin("memory_embeddings as e", (join) => join.onRef("e.hash", "=", "c.hash").on("e.model", "=", model))
        .select(["c.id", "c.path", "c.start_line", "c.end_line", "c.hash", "c.content", "e.vector"])
        .where("c.agent_id", "=", agentId)
        .orderBy("c.id")
        .execute();
      return rows.map((r) => ({ ...fromChunkRow(r), ...(r.vector ? { vector: bytesToVector(r.vector) } : {}) }));
    },

    async putEmbeddings(model, entries) {
      if (entries.length === 0) return;
      const at = opts.now();
      for (const batch of chunked(entries, INSERT_BATCH)) {
        await db.insertInto("memory_embeddings")
          .values(batch.map((e) => ({ model, hash: e.hash, dims: e.vector.length, vector: vectorToBytes(e.vector), created_at: at })))
          .onConflict((oc) => oc.columns(["model", "hash"]).doNothing())
          .execute();
      }
    },
  };
}
