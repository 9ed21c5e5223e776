// `pincer doctor` store checks for PostgreSQL: reachability and version, then schema and migrations, each with a fix.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { configSchema } from "../core/config-schema.ts";
import { openPostgresStore } from "../store/index.ts";
import { describeWithPostgres, TEST_POSTGRES_URL, uniqueSchemaName } from "../../test/support/postgres.ts";
import { checkPostgresStore, runChecks } from "./doctor-command.ts";

const REFUSED = "postgres://pincer:s3cret-pw@127.0.0.1:1/pincer";
const configWith = (store: { url: string; schema?: string }, instance = "default") => configSchema.parse({ instance, store });

describe("doctor: PostgreSQL store", () => {
  it("fails with the server and a fix when PostgreSQL is unreachable, never showing the password", async () => {
    const checks = await checkPostgresStore(configWith({ url: REFUSED }), REFUSED);
    expect(checks).toEqual([{
      name: "store",
      status: "fail",
      detail: "cannot connect to PostgreSQL at pincer@127.0.0.1:1/pincer: connection refused (nothing listens on that host and port)",
      fix: "start PostgreSQL, or correct the host and port in store.url (or PINCER_STORE_URL)",
    }]);
  });

  it("is what runChecks uses when store.url is a postgres URL", async () => {
    const home = await mkdtemp(join(tmpdir(), "pincer-doctor-"));
    try {
      const checks = await runChecks(undefined, { PINCER_HOME: home, PINCER_STORE_URL: REFUSED });
      const store = checks.filter((c) => c.name.startsWith("store"));
      expect(store).toMatchObject([{ name: "store", status: "fail", detail: expect.stringContaining("connection refused") }]);
      expect(JSON.stringify(checks)).not.toContain("s3cret");
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describeWithPostgres("doctor: PostgreSQL store (live)", () => {
  const admin = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
  const schemas: string[] = [];
  const fresh = (): string => {
    const schema = uniqueSchemaName();
    schemas.push(schema);
    return schema;
  };
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  it("reports the server and a schema that start-up will create", async () => {
    const schema = fresh();
    const [server, state] = await checkPostgresStore(configWith({ url: TEST_POSTGRES_URL, schema }), TEST_POSTGRES_URL);
    expect(server).toMatchObject({ name: "store", status: "ok", detail: expect.stringMatching(/^PostgreSQL \d+\.\d+ at .*127\.0\.0\.1:5432\//) });
    expect(state).toEqual({ name: "store schema", status: "ok", detail: `schema ${schema} will be created and migrated on first start` });
  });

  it("warns about pending migrations, then reports the schema migrated", async () => {
    const schema = fresh();
    await admin.query(`create schema "${schema}"`);
    const config = configWith({ url: TEST_POSTGRES_URL, schema });
    expect((await checkPostgresStore(config, TEST_POSTGRES_URL))[1]).toMatchObject({
      status: "warn", detail: `schema ${schema} has 10 pending migration(s): 001_initial, 002_cluster_coordination, 003_channels, 004_journal_run, 005_session_title, 006_skills, 007_context, 008_memory, 009_automation, 010_safety`,
    });
    await (await openPostgresStore({ url: TEST_POSTGRES_URL, schema })).close();
    expect((await checkPostgresStore(config, TEST_POSTGRES_URL))[1]).toEqual({ name: "store schema", status: "ok", detail: `schema ${schema} is migrated` });
  });

  it("derives the schema from the instance id when store.schema is unset", async () => {
    const instance = `t${process.pid}-doctor`;
    const [, state] = await checkPostgresStore(configWith({ url: TEST_POSTGRES_URL }, instance), TEST_POSTGRES_URL);
    expect(state!.detail).toContain(`schema pincer_t${process.pid}_doctor `);
  });

  it("fails with the statement to run when the schema is missing and the user may not create it", async () => {
    const role = uniqueSchemaName();
    await admin.query(`create role "${role}" login`);
    try {
      const url = TEST_POSTGRES_URL.replace(/\/\/[^@/]*@/, `//${role}@`);
      const [, state] = await checkPostgresStore(configWith({ url, schema: fresh() }), url);
      expect(state).toMatchObject({ status: "fail", fix: expect.stringContaining("CREATE SCHEMA") });
    } finally {
      await admin.query(`drop role "${role}"`);
    }
  });
});
