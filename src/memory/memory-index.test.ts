// The memory index against real stores (SQLite, and PostgreSQL when reachable): the search-quality fixture in
// full-text and hybrid mode (fake embeddings endpoint), incremental re-indexing by hash, embedding cache, confinement.
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeModelServer } from "../../test/fakes/index.ts";
import { describeWithPostgres, TEST_POSTGRES_URL, uniqueSchemaName } from "../../test/support/postgres.ts";
import { configSchema, type PincerConfig } from "../core/config-schema.ts";
import { openPostgresStore, openSqliteStore } from "../store/index.ts";
import type { Store } from "../store/store.ts";
import { createEmbedder } from "./embeddings.ts";
import { createMemoryIndex, type MemoryIndex } from "./memory-index.ts";

const FIXTURE = join(import.meta.dirname, "../../test/fixtures/memory-notes");
type Query = { query: string; expect: string };
const load = (name: string): Query[] => JSON.parse(readFileSync(join(FIXTURE, name), "utf8")) as Query[];

function describeIndex(name: string, open: () => Promise<{ store: Store; close: () => Promise<void> }>): void {
  describe(`memory index on ${name}`, () => {
    let dir: string;
    let workspace: string;
    let notes: string;
    let store: Store;
    let close: () => Promise<void>;
    let fake: FakeModelServer;

    beforeEach(async () => {
      dir = realpathSync(mkdtempSync(join(tmpdir(), "pincer-mem-")));
      workspace = join(dir, "ws");
      notes = join(dir, "notes");
      cpSync(join(FIXTURE, "MEMORY.md"), join(workspace, "MEMORY.md"));
      cpSync(join(FIXTURE, "memory"), join(workspace, "memory"), { recursive: true });
      cpSync(join(FIXTURE, "notes"), notes, { recursive: true });
      ({ store, close } = await open());
      fake = await startFakeOpenAI();
    });
    afterEach(async () => {
      await close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const configWith = (memory: Record<string, unknown> = {}): PincerConfig => configSchema.parse({
      models: { providers: { local: { type: "openai-compatible", base_url: fake.baseURL, api_key: "k" } } },
      memory: { extra_paths: [notes], ...memory },
    });
    const indexWith = (config: PincerConfig): MemoryIndex => createMemoryIndex({
      repo: store.memory, agentId: "main", roots: { workspace, extra: [notes] }, config: () => config.memory,
      embedder: createEmbedder({ config: () => config, stateDir: dir, env: {}, recordUsage: (r) => store.usage.record(r), agentId: "main" }),
    });
    const rank = async (index: MemoryIndex, q: Query) => (await index.search(q.query, 3)).map((h) => h.path.replace(`${notes}/`, "notes/"));

    it("finds the expected file in the top 3 for every fixture query, full-text only", async () => {
      const index = indexWith(configWith());
      const report = await index.sync();
      expect(report).toMatchObject({ files: 7, indexed: 7, removed: 0, embedded: 0 });
      for (const q of load("queries.json")) expect(await rank(index, q), q.query).toContain(q.expect);
      const [top] = await index.search("brake pads", 1);
      expect(top).toMatchObject({ path: "memory/2025-03-02.md", startLine: 1, endLine: 4, score: 1 });
      expect(top!.snippet).toContain("brake pads");
    });

    it("hybrid: finds the fixture queries and, through vectors, queries sharing no word with the note", async () => {
      const config = configWith({ embeddings: { provider: "local", model: "fake-embed" } });
      const index = indexWith(config);
      const report = await index.sync();
      expect(report.embedded).toBeGreaterThan(7);
      for (const q of [...load("queries.json"), ...load("hybrid-queries.json")]) expect(await rank(index, q), q.query).toContain(q.expect);
      // Without vectors the concept queries find nothing.
      const textOnly = indexWith(configWith());
      expect(await rank(textOnly, { query: "physician visit", expect: "" })).toEqual([]);
      const usage = await store.usage.totals();
      expect(usage.find((u) => u.provider === "local" && u.model === "fake-embed")?.inputTokens).toBeGreaterThan(0);
    });

    it("re-indexes only changed files and never embeds the same text twice", async () => {
      const config = configWith({ embeddings: { provider: "local", model: "fake-embed" } });
      const index = indexWith(config);
      await index.sync();
      const embedCalls = () => fake.requests.filter((r) => r.path === "/v1/embeddings").length;
      const before = embedCalls();
      expect(await index.sync()).toMatchObject({ indexed: 0, removed: 0, embedded: 0 });
      // Touched but unchanged: hash equal, nothing re-chunked.
      utimesSync(join(workspace, "MEMORY.md"), new Date(), new Date(Date.now() + 5_000));
      expect(await index.sync()).toMatchObject({ indexed: 0, embedded: 0 });
      writeFileSync(join(workspace, "memory", "2025-03-10.md"), "# 2025-03-10\n\nOrdered a new bike helmet.\n");
      rmSync(join(notes, "recipes.md"));
      expect(await index.sync()).toMatchObject({ files: 7, indexed: 1, removed: 1, embedded: 1 });
      expect(embedCalls()).toBe(before + 1);
      expect((await index.search("helmet", 3))[0]?.path).toBe("memory/2025-03-10.md");
      expect((await index.search("lentil curry", 3)).map((h) => h.path)).not.toContain(`${notes}/recipes.md`);
      expect((await index.sync({ force: true })).indexed).toBe(7);
      // Forced re-chunking re-embeds nothing: the texts are cached by hash (the two calls are the two queries).
      expect(embedCalls()).toBe(before + 3);
    });

    it("searches see file changes without a watcher, and status counts the index", async () => {
      const index = indexWith(configWith());
      await index.sync();
      writeFileSync(join(workspace, "memory", "2025-04-01.md"), "Kayak rental in Annecy.\n");
      expect((await index.search("kayak", 3))[0]?.path).toBe("memory/2025-04-01.md");
      const status = await index.status();
      expect(status).toMatchObject({ files: 8, embeddings: undefined, embeddedChunks: 0 });
      expect(status.chunks).toBeGreaterThan(8);
    });

    it("reads lines of memory files only, and never follows a symlink out", async () => {
      const index = indexWith(configWith());
      expect(await index.readLines("memory/2025-03-02.md", 3, 2)).toMatchObject({ fromLine: 3, toLine: 4, totalLines: 5, text: expect.stringContaining("Booked the car") });
      expect((await index.readLines(`${notes}/travel.md`, 1, 1)).text).toBe("# Trips");
      await expect(index.readLines("AGENTS.md", 1, 1)).rejects.toMatchObject({ code: "path_escape" });
      await expect(index.readLines("memory/../AGENTS.md", 1, 1)).rejects.toMatchObject({ code: "path_escape" });
      await expect(index.readLines("/etc/passwd", 1, 1)).rejects.toMatchObject({ code: "path_escape" });
      await expect(index.readLines(`${notes}/../ws/AGENTS.md`, 1, 1)).rejects.toMatchObject({ code: "path_escape" });
      await expect(index.readLines(notes, 1, 1)).rejects.toMatchObject({ code: "path_escape" });
      expect((await index.readLines(`${notes}/projects/../travel.md`, 1, 1)).text).toBe("# Trips");
      writeFileSync(join(dir, "secret.md"), "# secret\npassword: hunter2\n");
      symlinkSync(join(dir, "secret.md"), join(workspace, "memory", "link.md"));
      symlinkSync(dir, join(notes, "outside"));
      await expect(index.readLines("memory/link.md", 1, 2)).rejects.toMatchObject({ code: "path_escape" });
      await index.sync();
      expect(await index.search("hunter2 password secret", 5)).toEqual([]);
    });
  });
}

describeIndex("SQLite", async () => {
  const store = await openSqliteStore({ path: ":memory:" });
  return { store, close: () => store.close() };
});

describeWithPostgres("memory index on PostgreSQL", () => {
  const admin = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
  afterAll(() => admin.end());
  describeIndex("PostgreSQL", async () => {
    const schema = uniqueSchemaName();
    const store = await openPostgresStore({ url: TEST_POSTGRES_URL, schema });
    return {
      store,
      close: async () => {
        await store.close();
        await admin.query(`drop schema if exists "${schema}" cascade`);
      },
    };
  });
});
