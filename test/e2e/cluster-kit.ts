// What the cluster-runtime end-to-end tests share: the NATS and PostgreSQL they run against (a CI run without them
// fails instead of skipping), and the removal of a test instance's PostgreSQL schema and JetStream streams.
import pg from "pg";

export const NATS_URL = process.env.PINCER_TEST_NATS_URL ?? "nats://127.0.0.1:4222";
export const PG_URL = process.env.PINCER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Why the cluster tests cannot run here (PostgreSQL or NATS unreachable), or undefined. Throws under CI instead. */
export async function missingClusterServices(): Promise<string | undefined> {
  const missing = await probe();
  if (missing && process.env.CI) throw new Error(`cluster tests need NATS and PostgreSQL; ${missing}`);
  return missing;
}

async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
  } catch (err) {
    return `PostgreSQL at ${PG_URL}: ${(err as Error).message}`;
  }
  const { connect } = await import("@nats-io/transport-node");
  try {
    await (await connect({ servers: NATS_URL, timeout: 2_000 })).close();
  } catch (err) {
    return `NATS at ${NATS_URL}: ${(err as Error).message}`;
  }
  return undefined;
}

/** Drops each instance's schema (`pincer_<id>`) and deletes its work-queue and dead-letter streams. */
export async function removeInstances(ids: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const id of ids) await client.query(`DROP SCHEMA IF EXISTS "pincer_${id}" CASCADE`);
  await client.end();
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  for (const id of ids) {
    for (const name of [`PINCER_${id}`, `PINCER_${id}_DLQ`]) await jsm.streams.delete(name).catch(() => undefined);
  }
  await nc.close();
}
