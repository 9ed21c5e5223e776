// The PostgreSQL that tests run against (PINCER_TEST_POSTGRES_URL, default the loopback `test` database), and the
// rule for when it is missing: with CI set the tests fail, otherwise they are skipped with the reason.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, it } from "vitest";

export const TEST_POSTGRES_URL = process.env.PINCER_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Why PostgreSQL cannot be used, or undefined when a connection works. */
export async function probePostgres(url = TEST_POSTGRES_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return undefined;
  } catch (err) {
    const why = err instanceof Error ? err.message || err.name : String(err);
    return `PostgreSQL unreachable at ${url.replace(/:[^:@/]*@/, ":***@")} (${why})`;
  } finally {
    await client.end().catch(() => {});
  }
}

const unreachable = await probePostgres();

/** `describe` for cases that need PostgreSQL: fails in CI and skips elsewhere when it is unreachable. */
export function describeWithPostgres(name: string, body: () => void): void {
  if (!unreachable) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it("needs a reachable PostgreSQL in CI", () => {
        throw new Error(`${unreachable}. Start PostgreSQL or set PINCER_TEST_POSTGRES_URL; CI never skips these tests.`);
      });
    });
  } else {
    describe.skip(`${name} — skipped: ${unreachable}; start it or set PINCER_TEST_POSTGRES_URL`, body);
  }
}

/** A schema name no other test run uses; the caller drops it. */
export function uniqueSchemaName(): string {
  return `pincer_t${process.pid}_${randomBytes(4).toString("hex")}`;
}
