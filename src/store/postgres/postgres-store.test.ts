// Runs the Store contract on PostgreSQL (a fresh schema per case, dropped afterwards), plus PostgreSQL-only cases:
// schema per instance, concurrent first start, privileges, type parsing, connection errors, inspection for doctor.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeWithPostgres, TEST_POSTGRES_URL, uniqueSchemaName } from "../../../test/support/postgres.ts";
import { ConfigError } from "../../core/errors.ts";
import { describeStore } from "../store-contract.ts";
import type { Store } from "../store.ts";
import { defaultPostgresSchema, inspectPostgresStore, openPostgresStore } from "./postgres-store.ts";

const URL = TEST_POSTGRES_URL;
const MIGRATIONS = ["001_initial", "002_cluster_coordination", "003_channels", "004_journal_run", "005_session_title", "006_skills", "007_context", "008_memory", "009_automation", "010_safety"];

describeWithPostgres("PostgreSQL store", () => {
  const admin = new pg.Pool({ connectionString: URL, max: 2 });
  const created = new Set<string>();
  const nextSchema = (): string => {
    const schema = uniqueSchemaName();
    created.add(schema);
    return schema;
  };
  const dropSchema = async (schema: string): Promise<void> => {
    await admin.query(`drop schema if exists "${schema}" cascade`);
    created.delete(schema);
  };
  /** A store in a fresh schema; closing it drops the schema. */
  const openFresh = async (opts: { migrate?: boolean; schema?: string } = {}): Promise<Store> => {
    const schema = opts.schema ?? nextSchema();
    const store = await openPostgresStore({ url: URL, schema, migrate: opts.migrate ?? false });
    return {
      ...store,
      async close() {
        await store.close();
        await dropSchema(schema);
      },
    };
  };

  afterAll(async () => {
    for (const schema of created) await dropSchema(schema);
    await admin.end();
  });

  describeStore("postgres", () => openFresh());

  describe("openPostgresStore", () => {
    const tablesIn = async (schema: string): Promise<string[]> => {
      const { rows } = await admin.query<{ table_name: string }>(
        "select table_name from information_schema.tables where table_schema = $1 order by table_name", [schema]);
      return rows.map((r) => r.table_name);
    };

    it("migrates while other schemas of the database come and go (its introspection looks at its own schema only)", async () => {
      // Another instance (or test) creating and dropping its schema meanwhile: Kysely's own introspection read every
      // schema's columns and failed with "schema … does not exist" when one vanished mid-query.
      let churning = true;
      const churn = (async () => {
        const conn = await admin.connect();
        try {
          for (let i = 0; churning; i++) {
            const other = `${uniqueSchemaName()}_churn`;
            await conn.query(`create schema "${other}"; create table "${other}".t (id serial primary key, a serial, b serial)`);
            await conn.query(`drop schema "${other}" cascade`);
          }
        } finally {
          conn.release();
        }
      })();
      try {
        for (let i = 0; i < 8; i++) {
          const schema = nextSchema();
          const store = await openPostgresStore({ url: URL, schema });
          await store.close();
          await dropSchema(schema);
        }
      } finally {
        churning = false;
        await churn;
      }
    });

    it("creates its schema and keeps every table, Kysely's included, inside it", async () => {
      const schema = nextSchema();
      const store = await openPostgresStore({ url: URL, schema });
      try {
        expect(await tablesIn(schema)).toEqual([
          "approval_rules", "approvals", "approved_senders", "audit", "deliveries", "elevations", "group_context", "journal", "kysely_migration", "kysely_migration_lock", "leases",
          "memory_chunks", "memory_embeddings", "memory_files", "notices",
          "pairing_requests", "runs", "schedule_fires", "schedules", "sessions", "skill_bundles", "skill_generation", "skill_grants", "skill_installs", "transcript", "usage",
        ]);
        expect(await tablesIn("public")).not.toContain("sessions");
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });

    it("keeps two instances in one database apart", async () => {
      const a = await openFresh({ migrate: true });
      const b = await openFresh({ migrate: true });
      try {
        await a.sessions.ensure({ key: "s1", agentId: "main", channel: "telegram" });
        expect(await b.sessions.get("s1")).toBeUndefined();
        expect(await b.pendingMigrations()).toEqual([]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("survives several processes starting at once on a new schema", async () => {
      const schema = nextSchema();
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore({ url: URL, schema, migrate: false })));
      try {
        const applied = await Promise.all(stores.map((s) => s.migrate()));
        expect(applied.flat().sort()).toEqual(MIGRATIONS);
        for (const s of stores) expect(await s.pendingMigrations()).toEqual([]);
      } finally {
        for (const s of stores) await s.close();
        await dropSchema(schema);
      }
    });

    it("parses int8 to numbers on its own pool only", async () => {
      const store = await openFresh({ migrate: true });
      try {
        await store.sessions.ensure({ key: "s1", agentId: "main", channel: "telegram" });
        const [row] = await store.transcript.append("s1", undefined, [{ role: "user", content: "hi" }]);
        expect(typeof row!.id).toBe("number");
        expect(typeof (await store.sessions.get("s1"))!.createdAt).toBe("number");
        expect(pg.types.getTypeParser(20, "text")("5")).toBe("5");
      } finally {
        await store.close();
      }
    });

    it("applies statement_timeout and application_name to its connections", async () => {
      const schema = nextSchema();
      const store = await openPostgresStore({ url: URL, schema, statementTimeoutMs: 200 });
      const blocker = await admin.connect();
      try {
        expect((await admin.query("select 1 from pg_stat_activity where application_name = 'pincer'")).rowCount).toBeGreaterThan(0);
        await blocker.query(`begin; lock table "${schema}".sessions in access exclusive mode`);
        await expect(store.sessions.get("s1")).rejects.toMatchObject({ code: "57014" }); // query_canceled
      } finally {
        await blocker.query("rollback");
        blocker.release();
        await store.close();
        await dropSchema(schema);
      }
    });

    it("uses a schema an administrator created for a user who may not create schemas", async () => {
      const role = `pincer_t${process.pid}_${randomBytes(3).toString("hex")}`;
      const schema = nextSchema();
      const asRole = URL.replace(/\/\/[^@/]*@/, `//${role}@`);
      await admin.query(`create role "${role}" login`);
      try {
        await expect(openPostgresStore({ url: asRole, schema })).rejects.toThrow(
          `store.schema: PostgreSQL at ${role}@127.0.0.1:5432/test: the schema "${schema}" does not exist and this user may not create it. ` +
          `Fix: have an administrator run: CREATE SCHEMA ${schema} AUTHORIZATION ${role}; or set store.schema to a schema the user owns`,
        );
        await admin.query(`create schema "${schema}" authorization "${role}"`);
        const store = await openPostgresStore({ url: asRole, schema });
        expect(await store.pendingMigrations()).toEqual([]);
        await store.close();
      } finally {
        await dropSchema(schema);
        await admin.query(`drop role "${role}"`);
      }
    });

    it("names the server and the fix when it cannot connect, never the password", async () => {
      const err = await openPostgresStore({ url: "postgres://pincer:s3cret-pw@127.0.0.1:1/pincer" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe(
        "store.url: cannot connect to PostgreSQL at pincer@127.0.0.1:1/pincer: connection refused (nothing listens on that host and port). " +
        "Fix: start PostgreSQL, or correct the host and port in store.url (or PINCER_STORE_URL)",
      );
      expect((err as Error).message).not.toContain("s3cret");
    });

    it("says when the database does not exist", async () => {
      const url = URL.replace(/\/[^/?]+(\?|$)/, "/pincer_no_such_db$1");
      await expect(openPostgresStore({ url })).rejects.toMatchObject({ problem: expect.stringContaining("the database does not exist") });
    });

    it("rejects a schema name that would need quoting before connecting", async () => {
      await expect(openPostgresStore({ url: "postgres://nowhere.invalid/x", schema: "Bad-Name" })).rejects.toMatchObject({ keyPath: "store.schema" });
      await expect(openPostgresStore({ url: "postgres://nowhere.invalid/x", schema: "pg_mine" })).rejects.toBeInstanceOf(ConfigError);
    });
  });

  describe("inspectPostgresStore", () => {
    let schema = "";
    beforeAll(() => {
      schema = nextSchema();
    });

    it("reports the server version, a missing schema and every migration pending, changing nothing", async () => {
      const seen = await inspectPostgresStore({ url: URL, schema });
      expect(seen).toMatchObject({ schemaExists: false, canCreateSchema: true, pendingMigrations: MIGRATIONS });
      expect(seen.serverVersionNum).toBeGreaterThanOrEqual(100_000);
      expect(seen.serverVersion).toMatch(/^\d+\.\d+/);
      expect((await admin.query("select 1 from pg_namespace where nspname = $1", [schema])).rowCount).toBe(0);
    });

    it("reports a migrated schema", async () => {
      const store = await openPostgresStore({ url: URL, schema });
      await store.close();
      expect(await inspectPostgresStore({ url: URL, schema })).toMatchObject({ schemaExists: true, pendingMigrations: [] });
    });
  });
});

describe("defaultPostgresSchema", () => {
  it("is pincer_<instance>, with '-' as '_'", () => {
    expect(defaultPostgresSchema("default")).toBe("pincer_default");
    expect(defaultPostgresSchema("team-a")).toBe("pincer_team_a");
    expect(() => defaultPostgresSchema("x".repeat(60))).toThrow(ConfigError);
  });
});
