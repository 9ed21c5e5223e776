// The memory part of a turn (owner sessions only, MEMORY.md capped, tools only with something to search) and the
// watcher re-indexing a note written after start, on a real SQLite store and real files.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema, type PincerConfig } from "../core/config-schema.ts";
import { openSqliteStore } from "../store/index.ts";
import type { Store } from "../store/store.ts";
import { createMemoryRuntime, type MemoryRuntime } from "./memory-runtime.ts";

const OWNER_RUN = { sessionKey: "agent:default:cli:dm:local", origin: undefined };
const GROUP_RUN = { sessionKey: "agent:default:telegram:group:-1", origin: { channel: "telegram", account: "default", chatKind: "group" as const, chatId: "-1", senderId: "1" } };

let dir: string;
let workspace: string;
let store: Store;
let runtime: MemoryRuntime;
let config: PincerConfig;

beforeEach(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "pincer-memrt-")));
  workspace = join(dir, "ws");
  mkdirSync(workspace);
  store = await openSqliteStore({ path: ":memory:" });
  config = configSchema.parse({ memory: { prompt_max_chars: 40 } });
  runtime = createMemoryRuntime({ store, config: () => config, configFile: join(dir, "pincer.yaml"), stateDir: dir, env: {} });
});
afterEach(async () => {
  runtime.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("memory runtime", () => {
  it("gives an owner turn the memory line, MEMORY.md cut at prompt_max_chars, and the tools; a group turn nothing", async () => {
    const empty = await runtime.prepareTurn({ agentId: "default", workspace, run: OWNER_RUN });
    expect(empty?.prompt).toContain("MEMORY.md and daily notes to memory/YYYY-MM-DD.md");
    expect(empty?.tools).toEqual([]);

    writeFileSync(join(workspace, "MEMORY.md"), `# Facts\n\n${"x".repeat(100)}\n`);
    const owner = await runtime.prepareTurn({ agentId: "default", workspace, run: OWNER_RUN });
    expect(owner?.prompt).toContain(`## MEMORY.md\n# Facts\n\n${"x".repeat(31)}\n[MEMORY.md cut at 40 characters; memory_search finds the rest]`);
    expect(owner?.tools.map((t) => t.name)).toEqual(["memory_search", "memory_get"]);
    expect(await runtime.prepareTurn({ agentId: "default", workspace, run: GROUP_RUN })).toBeUndefined();

    config = configSchema.parse({ memory: { enabled: false } });
    expect(await runtime.prepareTurn({ agentId: "default", workspace, run: OWNER_RUN })).toBeUndefined();
  });

  it("indexes at watch start and re-indexes a note written afterwards", async () => {
    mkdirSync(join(workspace, "memory"));
    writeFileSync(join(workspace, "MEMORY.md"), "# Facts\n\nLikes tea.\n");
    await runtime.watch([{ agentId: "default", workspace }]);
    const index = await runtime.indexFor("default", workspace);
    expect(index.watching).toBe(true);
    expect((await store.memory.files("default")).map((f) => f.path)).toEqual(["MEMORY.md"]);

    writeFileSync(join(workspace, "memory", "2025-01-02.md"), "Bought a kayak.\n");
    await expect.poll(async () => (await store.memory.files("default")).map((f) => f.path), { timeout: 10_000, interval: 50 })
      .toEqual(["MEMORY.md", "memory/2025-01-02.md"]);
    expect((await index.search("kayak", 3))[0]?.path).toBe("memory/2025-01-02.md");
  });

  it("starts watching memory/ when it appears after start", async () => {
    writeFileSync(join(workspace, "MEMORY.md"), "# Facts\n");
    await runtime.watch([{ agentId: "default", workspace }]);
    mkdirSync(join(workspace, "memory"));
    writeFileSync(join(workspace, "memory", "a.md"), "First note.\n");
    await expect.poll(async () => (await store.memory.files("default")).length, { timeout: 10_000, interval: 50 }).toBe(2);
    writeFileSync(join(workspace, "memory", "b.md"), "Second note.\n");
    await expect.poll(async () => (await store.memory.files("default")).length, { timeout: 10_000, interval: 50 }).toBe(3);
    expect((await runtime.indexFor("default", workspace)).watching).toBe(true);
  });

  it("skips agents without memory files when watching", async () => {
    await runtime.watch([{ agentId: "default", workspace }]);
    expect(await store.memory.files("default")).toEqual([]);
  });
});
