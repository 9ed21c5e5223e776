// Store contract cases for the memory index: file records, atomic chunk replacement, full-text search (FTS5 / tsvector)
// with terms treated as data, and the embedding cache by model and hash. Registered by describeStore.
import { describe, expect, it } from "vitest";
import type { MemoryChunkInput } from "./store.ts";
import type { ClusterContractContext } from "./store-cluster-contract.ts";

const chunk = (startLine: number, content: string): MemoryChunkInput => ({ startLine, endLine: startLine + 1, hash: `h-${content}`, content });

export function describeMemoryContract({ store: current, T0 }: ClusterContractContext): void {
  describe("memory index", () => {
    const file = (path: string, hash = "f1") => ({ path, hash, size: 10, mtimeMs: T0, indexedAt: T0 });

    it("stores files with chunk counts, replaces a file's chunks, touches and removes", async () => {
      const store = current();
      await store.memory.putFile("a", file("MEMORY.md"), [chunk(1, "The user likes green tea"), chunk(3, "Deploys happen on Fridays")]);
      await store.memory.putFile("a", file("memory/2025-01-01.md"), [chunk(1, "Met Alice about the garden")]);
      await store.memory.putFile("b", file("MEMORY.md"), [chunk(1, "Other agent, green tea too")]);
      expect(await store.memory.files("a")).toEqual([
        { path: "MEMORY.md", hash: "f1", size: 10, mtimeMs: T0, indexedAt: T0, chunks: 2 },
        { path: "memory/2025-01-01.md", hash: "f1", size: 10, mtimeMs: T0, indexedAt: T0, chunks: 1 },
      ]);
      await store.memory.putFile("a", file("MEMORY.md", "f2"), [chunk(1, "The user now prefers coffee")]);
      await store.memory.touchFile("a", { path: "memory/2025-01-01.md", size: 99, mtimeMs: T0 + 5 });
      const files = await store.memory.files("a");
      expect(files.map((f) => [f.path, f.hash, f.size, f.chunks])).toEqual([["MEMORY.md", "f2", 10, 1], ["memory/2025-01-01.md", "f1", 99, 1]]);
      expect((await store.memory.searchText("a", ["tea"], 10))).toEqual([]);
      expect((await store.memory.searchText("a", ["coffee"], 10)).map((h) => h.content)).toEqual(["The user now prefers coffee"]);
      await store.memory.removeFiles("a", ["MEMORY.md"]);
      expect((await store.memory.files("a")).map((f) => f.path)).toEqual(["memory/2025-01-01.md"]);
      expect(await store.memory.searchText("a", ["coffee"], 10)).toEqual([]);
      expect((await store.memory.searchText("b", ["tea"], 10)).map((h) => h.path)).toEqual(["MEMORY.md"]);
    });

    it("leaves one set of chunks when the same file is written concurrently", async () => {
      const store = current();
      await Promise.all(Array.from({ length: 4 }, (_, i) => store.memory.putFile("a", file("MEMORY.md", `f${i}`), [chunk(1, `version ${i}`), chunk(3, "shared")])));
      const [record] = await store.memory.files("a");
      expect(record!.chunks).toBe(2);
      expect((await store.memory.chunks("a")).map((c) => c.content).sort()).toEqual([`version ${record!.hash.slice(1)}`, "shared"].sort());
      expect(await store.memory.searchText("a", ["shared"], 10)).toHaveLength(1);
    });

    it("ranks full-text hits best first, stems words, scopes by agent and treats terms as data", async () => {
      const store = current();
      await store.memory.putFile("a", file("notes.md"), [
        chunk(1, "Gardening: the tomatoes need watering every morning; tomatoes love sun"),
        chunk(5, "Car service booked for March"),
        chunk(9, "Tomato soup recipe with basil"),
      ]);
      const hits = await store.memory.searchText("a", ["tomatoes", "watering"], 10);
      expect(hits.map((h) => h.startLine)).toEqual([1, 9]);
      expect(hits[0]).toMatchObject({ path: "notes.md", startLine: 1, endLine: 2, hash: "h-Gardening: the tomatoes need watering every morning; tomatoes love sun" });
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
      expect(await store.memory.searchText("other", ["tomatoes"], 10)).toEqual([]);
      // Query syntax of either engine is not syntax here: bad words are dropped, nothing throws.
      expect(await store.memory.searchText("a", ['"', "OR", "NEAR(", "*", "a:b", "!!"], 10)).toEqual([]);
      expect(await store.memory.searchText("a", [], 10)).toEqual([]);
    });

    it("caches embeddings by model and hash, idempotently, and joins them to chunks", async () => {
      const store = current();
      await store.memory.putFile("a", file("MEMORY.md"), [chunk(1, "one"), chunk(2, "two")]);
      const v = new Float32Array([0.5, -1, 2]);
      await store.memory.putEmbeddings("m1", [{ hash: "h-one", vector: v }]);
      await store.memory.putEmbeddings("m1", [{ hash: "h-one", vector: new Float32Array([9, 9, 9]) }]);
      const chunks = await store.memory.chunks("a", { model: "m1" });
      expect(chunks.map((c) => [c.content, c.vector ? [...c.vector] : undefined])).toEqual([["one", [0.5, -1, 2]], ["two", undefined]]);
      expect((await store.memory.chunks("a", { model: "m2" })).every((c) => c.vector === undefined)).toBe(true);
      expect((await store.memory.chunks("a")).length).toBe(2);
    });
  });
}
