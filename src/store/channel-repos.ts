// The channels' repos on Kysely, for both backends: DM pairing (pending codes, approved senders), quiet group
// context, and notices waiting for the process that holds a channel connection.
import type { Kysely } from "kysely";
import type { Database } from "./db-schema.ts";
import {
  fromApprovedRow, fromGroupContextRow, fromNoticeRow, fromPairingRow, toApprovedRow, toGroupContextRow, toNoticeRow, toPairingRow,
} from "./row-mapping.ts";
import type { GroupContextRepo, NoticeRepo, PairingRepo } from "./store.ts";

export function createPairingRepo(db: Kysely<Database>, now: () => number): PairingRepo {
  return {
    async request(input) {
      const t = now();
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom("pairing_requests").where("expires_at", "<=", t).execute();
        const mine = await trx.selectFrom("pairing_requests").selectAll()
          .where("channel", "=", input.channel).where("account", "=", input.account).where("sender_id", "=", input.senderId)
          .executeTakeFirst();
        if (mine) return { status: "existing" as const, request: fromPairingRow(mine) };
        const open = await trx.selectFrom("pairing_requests").select((eb) => eb.fn.countAll().as("n"))
          .where("channel", "=", input.channel).where("account", "=", input.account)
          .executeTakeFirstOrThrow();
        if (Number(open.n) >= input.maxPending) return { status: "full" as const };
        const request = {
          channel: input.channel, account: input.account, senderId: input.senderId, senderName: input.senderName, code: input.code,
          chatId: input.chatId, createdAt: t, expiresAt: t + input.ttlMs,
        };
        await trx.insertInto("pairing_requests").values(toPairingRow(request)).execute();
        return { status: "created" as const, request };
      });
    },
    async pending(opts = {}) {
      let q = db.selectFrom("pairing_requests").selectAll().where("expires_at", ">", now()).orderBy("created_at");
      if (opts.channel) q = q.where("channel", "=", opts.channel);
      return (await q.execute()).map(fromPairingRow);
    },
    async approve(channel, code) {
      const t = now();
      return db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom("pairing_requests").selectAll()
          .where("channel", "=", channel).where("code", "=", code.toUpperCase()).where("expires_at", ">", t)
          .executeTakeFirst();
        if (!row) return undefined;
        const request = fromPairingRow(row);
        await trx.deleteFrom("pairing_requests").where("channel", "=", channel).where("code", "=", request.code).execute();
        await trx.insertInto("approved_senders")
          .values(toApprovedRow({ channel, account: request.account, senderId: request.senderId, senderName: request.senderName, approvedAt: t }))
          .onConflict((oc) => oc.columns(["channel", "account", "sender_id"]).doNothing())
          .execute();
        return request;
      });
    },
    async deny(channel, code) {
      const row = await db.deleteFrom("pairing_requests").where("channel", "=", channel).where("code", "=", code.toUpperCase())
        .returningAll().executeTakeFirst();
      return row && fromPairingRow(row);
    },
    async isApproved(channel, account, senderId) {
      const row = await db.selectFrom("approved_senders").select("sender_id")
        .where("channel", "=", channel).where("account", "=", account).where("sender_id", "=", senderId)
        .executeTakeFirst();
      return row !== undefined;
    },
    async approved(opts = {}) {
      let q = db.selectFrom("approved_senders").selectAll().orderBy("approved_at");
      if (opts.channel) q = q.where("channel", "=", opts.channel);
      return (await q.execute()).map(fromApprovedRow);
    },
    async revoke(channel, account, senderId) {
      const result = await db.deleteFrom("approved_senders")
        .where("channel", "=", channel).where("account", "=", account).where("sender_id", "=", senderId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

export function createGroupContextRepo(db: Kysely<Database>): GroupContextRepo {
  return {
    async append(entry, keep) {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto("group_context").values(toGroupContextRow(entry)).execute();
        const cutoff = await trx.selectFrom("group_context").select("id").where("session_key", "=", entry.sessionKey)
          .orderBy("id", "desc").offset(keep).limit(1).executeTakeFirst();
        if (cutoff) await trx.deleteFrom("group_context").where("session_key", "=", entry.sessionKey).where("id", "<=", cutoff.id).execute();
      });
    },
    async take(sessionKey) {
      return db.transaction().execute(async (trx) => {
        const rows = await trx.selectFrom("group_context").selectAll().where("session_key", "=", sessionKey).orderBy("id").execute();
        if (rows.length > 0) await trx.deleteFrom("group_context").where("session_key", "=", sessionKey).where("id", "<=", rows.at(-1)!.id).execute();
        return rows.map(fromGroupContextRow);
      });
    },
    async clear(sessionKey) {
      await db.deleteFrom("group_context").where("session_key", "=", sessionKey).execute();
    },
  };
}

export function createNoticeRepo(db: Kysely<Database>, now: () => number): NoticeRepo {
  return {
    async enqueue(notice) {
      const row = await db.insertInto("notices").values(toNoticeRow({ ...notice, createdAt: now(), sentAt: undefined })).returningAll().executeTakeFirstOrThrow();
      return fromNoticeRow(row);
    },
    async pending(channel, account) {
      const rows = await db.selectFrom("notices").selectAll()
        .where("channel", "=", channel).where("account", "=", account).where("sent_at", "is", null)
        .orderBy("id").limit(50).execute();
      return rows.map(fromNoticeRow);
    },
    async markSent(id) {
      await db.updateTable("notices").set({ sent_at: now() }).where("id", "=", id).execute();
    },
  };
}
