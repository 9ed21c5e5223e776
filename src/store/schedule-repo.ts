// The schedules repo on Kysely, for both backends: stored schedules, and one row per fire (or heartbeat tick) whose
// primary key (schedule, planned time) makes recording a fire the point where two schedulers racing for it part ways.
import type { Insertable, Kysely } from "kysely";
import type { Database, SchedulesTable, ScheduleFiresTable } from "./db-schema.ts";
import { fromScheduleFireRow, fromScheduleRow, toScheduleFireRow, toScheduleRow } from "./row-mapping.ts";
import { ScheduleNameTaken, type ScheduleRepo } from "./store.ts";

export function createScheduleRepo(db: Kysely<Database>, now: () => number): ScheduleRepo {
  const byName = async (name: string) => db.selectFrom("schedules").select("id").where("name", "=", name).executeTakeFirst();
  return {
    async create(input) {
      const at = input.createdAt ?? now();
      const row = toScheduleRow({ ...input, createdAt: at, updatedAt: at, lastFireAt: undefined }) as Insertable<SchedulesTable>;
      // Insert-or-nothing on the unique name, then read: a name taken (even by a concurrent create) is one clear error.
      const inserted = await db.insertInto("schedules").values(row).onConflict((oc) => oc.column("name").doNothing()).returningAll().executeTakeFirst();
      if (!inserted) throw new ScheduleNameTaken(input.name);
      return fromScheduleRow(inserted);
    },
    async get(idOrName) {
      const row = await db.selectFrom("schedules").selectAll().where("id", "=", idOrName).executeTakeFirst()
        ?? await db.selectFrom("schedules").selectAll().where("name", "=", idOrName).executeTakeFirst();
      return row && fromScheduleRow(row);
    },
    async list(opts = {}) {
      let query = db.selectFrom("schedules").selectAll().orderBy("name");
      if (opts.createdBy !== undefined) query = query.where("created_by", "=", opts.createdBy);
      return (await query.execute()).map(fromScheduleRow);
    },
    async update(id, patch) {
      if (patch.name !== undefined) {
        const holder = await byName(patch.name);
        if (holder && holder.id !== id) throw new ScheduleNameTaken(patch.name);
      }
      const row = { ...toScheduleRow(patch), updated_at: now() };
      try {
        const updated = await db.updateTable("schedules").set(row).where("id", "=", id).returningAll().executeTakeFirst();
        return updated && fromScheduleRow(updated);
      } catch (err) {
        // A rename racing another one to the same name: the unique index decides.
        if (patch.name !== undefined && (await byName(patch.name))?.id !== id) throw new ScheduleNameTaken(patch.name);
        throw err;
      }
    },
    async remove(id) {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom("schedule_fires").where("schedule_id", "=", id).execute();
        const result = await trx.deleteFrom("schedules").where("id", "=", id).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
    },
    async due(at) {
      const rows = await db.selectFrom("schedules").selectAll()
        .where("suspended", "=", 0).where("next_fire_at", "is not", null).where("next_fire_at", "<=", at)
        .orderBy("next_fire_at").orderBy("id")
        .execute();
      return rows.map(fromScheduleRow);
    },
    async nextDue() {
      const row = await db.selectFrom("schedules").select((eb) => eb.fn.min("next_fire_at").as("next"))
        .where("suspended", "=", 0).where("next_fire_at", "is not", null)
        .executeTakeFirst();
      const next = row?.next;
      return next === null || next === undefined ? undefined : Number(next);
    },
    async recordFire(fire) {
      const row = toScheduleFireRow({ ...fire, createdAt: fire.createdAt ?? now(), finishedAt: undefined, deliveryError: undefined }) as Insertable<ScheduleFiresTable>;
      const inserted = await db.insertInto("schedule_fires").values(row)
        .onConflict((oc) => oc.columns(["schedule_id", "fire_at"]).doNothing())
        .returning("schedule_id")
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async updateFire(scheduleId, fireAt, patch) {
      const row = toScheduleFireRow(patch);
      if (Object.keys(row).length === 0) return;
      await db.updateTable("schedule_fires").set(row).where("schedule_id", "=", scheduleId).where("fire_at", "=", fireAt).execute();
    },
    async fires(scheduleId, opts = {}) {
      let query = db.selectFrom("schedule_fires").selectAll().where("schedule_id", "=", scheduleId).orderBy("fire_at", "desc");
      if (opts.before !== undefined) query = query.where("fire_at", "<", opts.before);
      return (await query.limit(opts.limit ?? 50).execute()).map(fromScheduleFireRow);
    },
    async pendingDeliveries(limit = 50) {
      const rows = await db.selectFrom("schedule_fires").selectAll().where("delivery", "=", "pending").orderBy("created_at").limit(limit).execute();
      return rows.map(fromScheduleFireRow);
    },
  };
}
