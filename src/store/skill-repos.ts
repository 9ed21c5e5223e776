// The skills repo on Kysely, for both backends: bundles content-addressed by sha256, the lock's installs and grants,
// and one generation counter bumped in the same transaction as every change, so a worker can tell with one small query
// whether anything changed since it last looked.
import { createHash } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./db-schema.ts";
import { fromSkillGrantRow, fromSkillInstallRow, toSkillGrantRow, toSkillInstallRow } from "./row-mapping.ts";
import { SKILL_BUNDLE_MAX_BYTES, type SkillRepo } from "./store.ts";

/** A bundle put this recently is kept even while no install refers to it yet (its install is on the way). */
const BUNDLE_GRACE_MS = 60 * 60 * 1000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function createSkillRepo(db: Kysely<Database>, now: () => number): SkillRepo {
  const generation = async (): Promise<number> => {
    const row = await db.selectFrom("skill_generation").select("generation").where("id", "=", 1).executeTakeFirst();
    return Number(row?.generation ?? 0);
  };
  return {
    async putBundle(sha256, bytes) {
      if (!SHA256_HEX.test(sha256)) throw new RangeError("skill bundle key must be a lowercase hex sha256");
      if (bytes.byteLength > SKILL_BUNDLE_MAX_BYTES) throw new RangeError(`skill bundle is larger than ${SKILL_BUNDLE_MAX_BYTES} bytes`);
      if (createHash("sha256").update(bytes).digest("hex") !== sha256) throw new RangeError(`skill bundle bytes do not hash to ${sha256}`);
      // Putting it again refreshes created_at, so a re-install is not pruned before its install lands.
      await db.insertInto("skill_bundles")
        .values({ sha256, bytes, size: bytes.byteLength, created_at: now() })
        .onConflict((oc) => oc.column("sha256").doUpdateSet((eb) => ({ created_at: eb.ref("excluded.created_at") })))
        .execute();
    },
    async getBundle(sha256) {
      const row = await db.selectFrom("skill_bundles").select("bytes").where("sha256", "=", sha256).executeTakeFirst();
      // pg returns a Buffer, node:sqlite a Uint8Array: one plain view for both.
      return row && new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength);
    },
    async setInstall(name, entry) {
      await db.transaction().execute(async (trx) => {
        if (entry) {
          const row = toSkillInstallRow(name, entry);
          await trx.insertInto("skill_installs").values(row)
            .onConflict((oc) => oc.column("name").doUpdateSet({ ...row, name: undefined }))
            .execute();
        } else {
          await trx.deleteFrom("skill_installs").where("name", "=", name).execute();
        }
        await trx.deleteFrom("skill_bundles")
          .where("created_at", "<", now() - BUNDLE_GRACE_MS)
          .where("sha256", "not in", (eb) => eb.selectFrom("skill_installs").select("sha256"))
          .execute();
        await bumpGeneration(trx);
      });
    },
    async setGrant(name, grant) {
      await db.transaction().execute(async (trx) => {
        if (grant) {
          const row = toSkillGrantRow(name, grant);
          await trx.insertInto("skill_grants").values(row)
            .onConflict((oc) => oc.column("name").doUpdateSet({ ...row, name: undefined }))
            .execute();
        } else {
          await trx.deleteFrom("skill_grants").where("name", "=", name).execute();
        }
        await bumpGeneration(trx);
      });
    },
    generation,
    async snapshot() {
      // The generation first: a change landing between the reads makes the data newer than it, never older.
      const gen = await generation();
      const [installs, grants] = await Promise.all([
        db.selectFrom("skill_installs").selectAll().orderBy("name").execute(),
        db.selectFrom("skill_grants").selectAll().orderBy("name").execute(),
      ]);
      return {
        installs: new Map(installs.map((row) => [row.name, fromSkillInstallRow(row)])),
        grants: new Map(grants.map((row) => [row.name, fromSkillGrantRow(row)])),
        generation: gen,
      };
    },
  };
}

async function bumpGeneration(trx: Transaction<Database>): Promise<void> {
  await trx.insertInto("skill_generation")
    .values({ id: 1, generation: 1 })
    .onConflict((oc) => oc.column("id").doUpdateSet((eb) => ({ generation: eb("skill_generation.generation", "+", 1) })))
    .execute();
}
