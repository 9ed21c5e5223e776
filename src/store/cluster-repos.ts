// The cluster runtime's coordination repos on Kysely: per-key leases and idempotent deliveries, for both backends.
// Each decision is one upsert whose WHERE arbitrates under concurrency; there is no read-then-write.
import type { Kysely } from "kysely";
import type { Database } from "./db-schema.ts";
import { fromDeliveryRow, fromLeaseRow, toDeliveryRow, toLeaseRow } from "./row-mapping.ts";
import type { DeliveryRepo, LeaseRepo } from "./store.ts";

function requireTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`lease ttlMs must be a positive integer of ms, got ${ttlMs}`);
}

export function createLeaseRepo(db: Kysely<Database>, now: () => number): LeaseRepo {
  return {
    async acquire(key, holder, ttlMs) {
      requireTtl(ttlMs);
      const t = now();
      // The conflicting row is taken over only when expired or already ours; otherwise nothing is returned.
      const row = await db.insertInto("leases")
        .values(toLeaseRow({ key, holder, acquiredAt: t, expiresAt: t + ttlMs }))
        .onConflict((oc) => oc.column("key")
          .doUpdateSet((eb) => ({
            holder: eb.ref("excluded.holder"),
            expires_at: eb.ref("excluded.expires_at"),
            // Re-acquiring by the holder is an extension: it keeps the time it first took the lease.
            acquired_at: eb.case().when("leases.holder", "=", holder).then(eb.ref("leases.acquired_at")).else(eb.ref("excluded.acquired_at")).end(),
          }))
          .where((eb) => eb.or([eb("leases.expires_at", "<=", t), eb("leases.holder", "=", holder)])))
        .returning("key")
        .executeTakeFirst();
      return row !== undefined;
    },
    async renew(key, holder, ttlMs) {
      requireTtl(ttlMs);
      const result = await db.updateTable("leases")
        .set({ expires_at: now() + ttlMs })
        .where("key", "=", key)
        .where("holder", "=", holder)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async release(key, holder) {
      await db.deleteFrom("leases").where("key", "=", key).where("holder", "=", holder).execute();
    },
    async get(key) {
      const row = await db.selectFrom("leases").selectAll().where("key", "=", key).executeTakeFirst();
      return row && fromLeaseRow(row);
    },
  };
}

export function createDeliveryRepo(db: Kysely<Database>, now: () => number): DeliveryRepo {
  const get: DeliveryRepo["get"] = async (key) => {
    const row = await db.selectFrom("deliveries").selectAll().where("key", "=", key).executeTakeFirst();
    return row && fromDeliveryRow(row);
  };
  return {
    get,
    async claim(key, owner) {
      const t = now();
      const fresh = toDeliveryRow({
        key, owner, status: "claimed", attempts: 1, platformMessageId: undefined, error: undefined, createdAt: t, updatedAt: t,
      });
      // New key → insert; `retryable`, or claimed by this same owner → take it again; anything else → no row.
      const row = await db.insertInto("deliveries")
        .values(fresh)
        .onConflict((oc) => oc.column("key")
          .doUpdateSet((eb) => ({
            owner: eb.ref("excluded.owner"),
            status: "claimed",
            attempts: eb("deliveries.attempts", "+", 1),
            updated_at: eb.ref("excluded.updated_at"),
          }))
          .where((eb) => eb.or([
            eb("deliveries.status", "=", "retryable"),
            eb.and([eb("deliveries.status", "=", "claimed"), eb("deliveries.owner", "=", owner)]),
          ])))
        .returningAll()
        .executeTakeFirst();
      if (row) return { claimed: true, record: fromDeliveryRow(row) };
      const existing = await get(key);
      if (!existing) throw new Error(`Delivery ${key} vanished while it was being claimed`);
      return { claimed: false, record: existing };
    },
    async complete(key, result) {
      await db.updateTable("deliveries")
        .set({ status: "sent", platform_message_id: result.platformMessageId ?? null, error: null, updated_at: now() })
        .where("key", "=", key)
        .execute();
    },
    async fail(key, failure) {
      await db.updateTable("deliveries")
        .set({ status: failure.permanent ? "failed" : "retryable", error: failure.error, updated_at: now() })
        .where("key", "=", key)
        .execute();
    },
  };
}
