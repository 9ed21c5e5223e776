// One agent's memory index: brings the store's index up to date with the files (only changed files re-read and
// re-chunked, by content hash; vectors only for texts never embedded), and answers hybrid searches and line reads.
import type { MemoryConfig } from "../core/config-schema.ts";
import type { MemoryRepo } from "../store/store.ts";
import type { Embedder } from "./embeddings.ts";
import { mergeHits, normalize, queryTerms, renderSnippet, topByDot } from "./hybrid-rank.ts";
import { chunkMarkdown } from "./markdown-chunks.ts";
import { listMemoryFiles, locateMemoryPath, readMemoryFile, sha256, type MemoryRoots } from "./memory-files.ts";

export interface MemorySearchResult {
  path: string;
  startLine: number;
  endLine: number;
  /** 0..1, best first. */
  score: number;
  snippet: string;
}

export interface SyncReport {
  files: number;
  /** Files whose content changed (re-chunked). */
  indexed: number;
  removed: number;
  /** Texts sent to the embeddings endpoint. */
  embedded: number;
  /** Files left out: too large or unreadable, with the reason. */
  skipped: Array<{ path: string; reason: string }>;
}

export interface SyncProgress {
  type: "file" | "embed";
  done: number;
  total: number;
  path?: string;
}

export interface MemoryStatus {
  files: number;
  chunks: number;
  /** Epoch ms of the newest indexed file, or undefined when nothing is indexed. */
  lastIndexedAt: number | undefined;
  embeddings: string | undefined;
  /** Chunks that have a vector under the configured model. */
  embeddedChunks: number;
}

export interface MemoryIndex {
  /** Brings the index up to date. `force`: re-chunk every file even when its hash did not change. */
  sync(opts?: { force?: boolean; onProgress?: (p: SyncProgress) => void; signal?: AbortSignal }): Promise<SyncReport>;
  /** Hybrid search; syncs first when the files may have changed (see `markChanged`). */
  search(query: string, limit: number): Promise<MemorySearchResult[]>;
  /** Lines `fromLine..fromLine+lines-1` of a memory file (1-based). */
  readLines(path: string, fromLine: number, lines: number): Promise<{ path: string; fromLine: number; toLine: number; totalLines: number; text: string }>;
  status(): Promise<MemoryStatus>;
  /** Tells the index its files changed (the watcher); without a watcher every search checks the files itself. */
  markChanged(): void;
  /** Set by the runtime when a watcher runs: searches then skip the file check until `markChanged`. */
  watching: boolean;
}

export interface MemoryIndexOptions {
  repo: MemoryRepo;
  agentId: string;
  roots: MemoryRoots;
  config: () => MemoryConfig;
  embedder?: Embedder | undefined;
  now?: () => number;
}

type VectorRow = { id: number; path: string; startLine: number; endLine: number; content: string };
/** Chunks with vectors, the vectors scaled to unit length once so a search is one dot product per chunk. */
type VectorCache = { key: string; rows: VectorRow[]; vectors: Float32Array[] };

export function createMemoryIndex(opts: MemoryIndexOptions): MemoryIndex {
  const { repo, agentId, roots } = opts;
  const now = opts.now ?? Date.now;
  let changed = true;
  let running: Promise<SyncReport> | undefined;
  let vectors: VectorCache | undefined;
  // Bumped by every sync that changed something: the vector cache is keyed on it.
  let generation = 0;

  async function syncNow(o: { force?: boolean; onProgress?: (p: SyncProgress) => void; signal?: AbortSignal }): Promise<SyncReport> {
    changed = false;
    const maxBytes = opts.config().max_file_kb * 1024;
    const [onDisk, indexed] = await Promise.all([listMemoryFiles(roots, o.signal), repo.files(agentId)]);
    const known = new Map(indexed.map((f) => [f.path, f]));
    const report: SyncReport = { files: 0, indexed: 0, removed: 0, embedded: 0, skipped: [] };
    const present = new Set<string>();
    for (const [i, file] of onDisk.entries()) {
      o.onProgress?.({ type: "file", done: i, total: onDisk.length, path: file.path });
      const before = known.get(file.path);
      if (file.size > maxBytes) {
        report.skipped.push({ path: file.path, reason: `larger than memory.max_file_kb (${opts.config().max_file_kb} KiB)` });
        continue;
      }
      present.add(file.path);
      report.files++;
      if (!o.force && before && before.size === file.size && before.mtimeMs === file.mtimeMs) continue;
      let read;
      try {
        read = await readMemoryFile(file.root, file.rel, maxBytes);
      } catch (err) {
        present.delete(file.path);
        report.files--;
        report.skipped.push({ path: file.path, reason: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const hash = sha256(read.text);
      if (!o.force && before?.hash === hash) {
        await repo.touchFile(agentId, { path: file.path, size: read.size, mtimeMs: read.mtimeMs });
        continue;
      }
      const chunks = chunkMarkdown(read.text).map((c) => ({ ...c, hash: sha256(c.content) }));
      await repo.putFile(agentId, { path: file.path, hash, size: read.size, mtimeMs: read.mtimeMs, indexedAt: now() }, chunks);
      report.indexed++;
    }
    o.onProgress?.({ type: "file", done: onDisk.length, total: onDisk.length });
    const gone = indexed.map((f) => f.path).filter((p) => !present.has(p));
    await repo.removeFiles(agentId, gone);
    report.removed = gone.length;
    if (opts.embedder) report.embedded = await embedMissing(opts.embedder, o);
    if (report.indexed > 0 || report.removed > 0 || report.embedded > 0) generation++;
    return report;
  }

  /** Embeds chunks without a vector under the model; each distinct text once, in batches. */
  async function embedMissing(embedder: Embedder, o: { onProgress?: (p: SyncProgress) => void; signal?: AbortSignal }): Promise<number> {
    const missing = new Map<string, string>();
    for (const c of await repo.chunks(agentId, { model: embedder.id })) if (!c.vector) missing.set(c.hash, c.content);
    const entries = [...missing];
    const batch = opts.config().embeddings?.batch_size ?? 64;
    for (let i = 0; i < entries.length; i += batch) {
      o.onProgress?.({ type: "embed", done: i, total: entries.length });
      const slice = entries.slice(i, i + batch);
      const vecs = await embedder.embed(slice.map(([, text]) => text), o.signal);
      await repo.putEmbeddings(embedder.id, slice.map(([hash], j) => ({ hash, vector: vecs[j]! })));
    }
    if (entries.length > 0) o.onProgress?.({ type: "embed", done: entries.length, total: entries.length });
    return entries.length;
  }

  const sync: MemoryIndex["sync"] = (o = {}) => {
    // One sync at a time; a caller arriving meanwhile waits for it and then runs its own (files may have moved on).
    const next = (running ?? Promise.resolve()).catch(() => undefined).then(() => syncNow(o));
    running = next;
    return next.finally(() => {
      if (running === next) running = undefined;
    });
  };

  async function vectorRows(embedder: Embedder): Promise<VectorCache> {
    // Keyed on the indexed files' hashes too: another process (a cluster worker) may have re-indexed them.
    const files = await repo.files(agentId);
    const key = `${embedder.id}:${generation}:${sha256(files.map((f) => `${f.path}\0${f.hash}`).join("\n"))}`;
    if (vectors?.key !== key) {
      const rows: VectorRow[] = [];
      const units: Float32Array[] = [];
      for (const c of await repo.chunks(agentId, { model: embedder.id })) {
        if (!c.vector) continue;
        rows.push({ id: c.id, path: c.path, startLine: c.startLine, endLine: c.endLine, content: c.content });
        units.push(normalize(c.vector));
      }
      vectors = { key, rows, vectors: units };
    }
    return vectors;
  }

  const index: MemoryIndex = {
    watching: false,
    sync,
    async search(query, limit) {
      if (changed || !index.watching) await sync();
      const terms = queryTerms(query);
      const pool = Math.max(limit * 4, 20);
      const textHits = await repo.searchText(agentId, terms, pool);
      let vectorHits: Array<VectorRow & { score: number }> = [];
      if (opts.embedder && query.trim()) {
        const [q] = await opts.embedder.embed([query]);
        const cache = await vectorRows(opts.embedder);
        vectorHits = topByDot(normalize(q!), cache.vectors, pool).map(({ index, score }) => ({ ...cache.rows[index]!, score }));
      }
      const { text_weight, vector_weight } = opts.config().search;
      return mergeHits(textHits, vectorHits, { text: text_weight, vector: vector_weight }, limit).map((h) => ({
        path: h.path, startLine: h.startLine, endLine: h.endLine, score: Math.round(h.score * 1000) / 1000, snippet: renderSnippet(h.content, terms),
      }));
    },
    async readLines(path, fromLine, lines) {
      const { root, rel } = locateMemoryPath(roots, path);
      const { text } = await readMemoryFile(root, rel, opts.config().max_file_kb * 1024);
      const all = text.split(/\r?\n/);
      const from = Math.max(1, Math.min(fromLine, all.length));
      const slice = all.slice(from - 1, from - 1 + lines);
      return { path, fromLine: from, toLine: from + slice.length - 1, totalLines: all.length, text: slice.join("\n") };
    },
    async status() {
      const files = await repo.files(agentId);
      const embedded = opts.embedder ? (await vectorRows(opts.embedder)).rows.length : 0;
      return {
        files: files.length,
        chunks: files.reduce((n, f) => n + f.chunks, 0),
        lastIndexedAt: files.length > 0 ? Math.max(...files.map((f) => f.indexedAt)) : undefined,
        embeddings: opts.embedder?.id,
        embeddedChunks: embedded,
      };
    },
    markChanged() {
      changed = true;
    },
  };
  return index;
}
