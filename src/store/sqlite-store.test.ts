// Runs the Store contract on SQLite (a temp file and :memory:), plus SQLite-only cases: WAL, file mode, reopen.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "./sqlite-store.ts";
import { describeStore } from "./store-contract.ts";

let dir = "";
let files = 0;
const nextPath = () => join(dir, `store-${++files}`, "pincer.db");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pincer-store-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeStore("sqlite file", () => openSqliteStore({ path: nextPath(), migrate: false }));
describeStore("sqlite :memory:", () => openSqliteStore({ path: ":memory:", migrate: false }));

describe("openSqliteStore", () => {
  const readPragma = (path: string, name: string): unknown => {
    const raw = new DatabaseSync(path);
    try {
      return raw.prepare(`PRAGMA ${name}`).get()?.[name];
    } finally {
      raw.close();
    }
  };

  it("creates the parent directory and an owner-only file in WAL mode", async () => {
    const path = nextPath();
    const store = await openSqliteStore({ path });
    await store.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readPragma(path, "journal_mode")).toBe("wal");
  });

  it("tightens the mode of an existing file", async () => {
    const path = join(dir, "loose.db");
    writeFileSync(path, "", { mode: 0o644 });
    const store = await openSqliteStore({ path });
    await store.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("keeps data across close and reopen", async () => {
    const path = nextPath();
    const first = await openSqliteStore({ path });
    await first.sessions.ensure({ key: "s1", agentId: "main", channel: "telegram" });
    await first.journal.append({ channel: "telegram", account: "bot", platformMessageId: "m1", sessionKey: "s1", payload: { text: "hi" } });
    await first.close();

    const second = await openSqliteStore({ path });
    expect(await second.pendingMigrations()).toEqual([]);
    expect(await second.sessions.get("s1")).toMatchObject({ agentId: "main" });
    expect((await second.journal.pending()).map((e) => e.payload)).toEqual([{ text: "hi" }]);
    await second.close();
  });

  it("reopens a file at the latest schema without the Migrator (its lock table is not recreated)", async () => {
    const path = nextPath();
    await (await openSqliteStore({ path })).close();
    const raw = new DatabaseSync(path);
    raw.exec("DROP TABLE kysely_migration_lock");
    raw.close();

    const store = await openSqliteStore({ path });
    expect(await store.sessions.get("none")).toBeUndefined();
    await store.close();
    expect(readPragma(path, "journal_mode")).toBe("wal");
    const check = new DatabaseSync(path);
    expect(check.prepare("SELECT name FROM sqlite_master WHERE name = 'kysely_migration_lock'").all()).toEqual([]);
    check.close();
  });

  it("hands a file whose applied migrations differ from the known ones to the Migrator", async () => {
    const path = nextPath();
    await (await openSqliteStore({ path })).close();
    const raw = new DatabaseSync(path);
    raw.exec("INSERT INTO kysely_migration (name, timestamp) VALUES ('999_from_a_newer_version', '2030-01-01T00:00:00.000Z')");
    raw.close();

    const err: unknown = await openSqliteStore({ path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).cause)).toContain("999_from_a_newer_version");
  });

  it("closes cleanly when no query ever ran, and close is idempotent", async () => {
    const path = nextPath();
    const store = await openSqliteStore({ path, migrate: false });
    await store.close();
    await store.close();
    expect(readPragma(path, "journal_mode")).toBe("wal");
  });

  it("several processes opening one new file at once all migrate it and write to it", async () => {
    const path = nextPath();
    const storeModule = fileURLToPath(new URL("./sqlite-store.ts", import.meta.url));
    // Each child opens the file only after every child is loaded (a barrier on stdin), so the opens collide.
    const script = `
      import { openSqliteStore } from ${JSON.stringify(storeModule)};
      process.stdout.write("ready\\n");
      process.stdin.once("data", async () => {
        const store = await openSqliteStore({ path: ${JSON.stringify(path)} });
        const key = "s-" + process.pid;
        await store.sessions.ensure({ key, agentId: "a", channel: "test" });
        for (let i = 0; i < 5; i++) await store.transcript.append(key, undefined, [{ role: "user", content: "m" + i }]);
        await store.close();
        process.exit(0);
      });`;
    const children = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const ready = new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on("close", (code) => resolve({ code, stderr })));
      return { child, ready, exit };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.child.stdin.end("go\n");
    const results = await Promise.all(children.map((c) => c.exit));
    expect(results).toEqual(results.map(() => ({ code: 0, stderr: "" })));

    const check = new DatabaseSync(path);
    expect(check.prepare("SELECT count(*) AS n FROM transcript").get()?.["n"]).toBe(30);
    check.close();
  });
});
