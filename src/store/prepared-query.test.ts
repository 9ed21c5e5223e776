// Unit tests for queries prepared once and filled in per call: parameter placement in both dialects' SQL, constants,
// the checks on names and values, and the per-shape cache. Compiles only; the Store contract suites execute them.
import { DatabaseSync } from "node:sqlite";
import { Kysely, PostgresDialect } from "kysely";
import { describe, expect, it, vi } from "vitest";
import type { Database } from "./db-schema.ts";
import { createQueryCache, prepareQuery } from "./prepared-query.ts";
import { createNodeSqliteDialect } from "./sqlite-dialect.ts";

const sqlite = new Kysely<Database>({ dialect: createNodeSqliteDialect(new DatabaseSync(":memory:")) });
// Compiling needs no connection: the pool is never asked for one.
const postgres = new Kysely<Database>({ dialect: new PostgresDialect({ pool: {} as never }) });

describe("prepareQuery", () => {
  it("puts each call's values where the markers were, in either dialect's placeholders", () => {
    for (const [db, sql] of [
      [sqlite, `update "runs" set "status" = ?, "reply" = ? where "id" = ?`],
      [postgres, `update "runs" set "status" = $1, "reply" = $2 where "id" = $3`],
    ] as const) {
      const update = prepareQuery(["id", "status", "reply"], (p) => db.updateTable("runs").set({ status: p.status, reply: p.reply }).where("id", "=", p.id));

      expect(update({ id: "r1", status: "failed", reply: null })).toMatchObject({ sql, parameters: ["failed", null, "r1"] });
      expect(update({ id: "r2", status: "succeeded", reply: "hi" }).parameters).toEqual(["succeeded", "hi", "r2"]);
    }
  });

  it("keeps values written in the query itself", () => {
    const claim = prepareQuery(["id"], (p) => sqlite.updateTable("runs").set((eb) => ({ attempt: eb("attempt", "+", 1) })).where("id", "=", p.id).where("status", "=", "pending"));

    expect(claim({ id: "r1" }).parameters).toEqual([1, "r1", "pending"]);
  });

  it("refuses a name the query does not use, and a missing value", () => {
    expect(() => prepareQuery(["id", "spare"], (p) => sqlite.selectFrom("runs").selectAll().where("id", "=", p.id))).toThrow("spare not used");
    const get = prepareQuery(["id"], (p) => sqlite.selectFrom("runs").selectAll().where("id", "=", p.id));
    expect(() => get({ id: undefined })).toThrow("no value for id");
  });
});

describe("createQueryCache", () => {
  it("prepares a shape once and then reuses it", () => {
    const prepared = createQueryCache();
    const build = vi.fn((p: { id: never }) => sqlite.selectFrom("runs").selectAll().where("id", "=", p.id));

    for (const id of ["r1", "r2", "r3"]) prepared("runs.get", () => prepareQuery(["id"], build))({ id });

    expect(build).toHaveBeenCalledTimes(1);
  });

  it("past its limit, prepares new shapes on every use instead of keeping them", () => {
    const prepared = createQueryCache(1);
    const build = vi.fn((p: { id: never }) => sqlite.selectFrom("runs").selectAll().where("id", "=", p.id));

    for (const shape of ["a", "b", "b", "a"]) prepared(shape, () => prepareQuery(["id"], build));

    expect(build).toHaveBeenCalledTimes(3); // "a" once, kept; "b" each time
  });
});
