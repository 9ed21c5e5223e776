// Approvals and elevations on Kysely, for both backends: requests unique per tool call (a resumed run finds its answer
// instead of asking again), answers as compare-and-set from `pending`, standing rules, one elevation record per session.
import type { Kysely } from "kysely";
import type { Database } from "./db-schema.ts";
import { fromApprovalRow, fromApprovalRuleRow, fromElevationRow, toApprovalRow, toApprovalRuleRow, toElevationRow } from "./row-mapping.ts";
import type { ApprovalRepo, ElevationRepo } from "./store.ts";

export function createApprovalRepo(db: Kysely<Database>): ApprovalRepo {
  const forCall = async (runId: string, callId: string) => {
    const row = await db.selectFrom("approvals").selectAll().where("run_id", "=", runId).where("call_id", "=", callId).executeTakeFirst();
    return row && fromApprovalRow(row);
  };
  return {
    async create(req) {
      const full = { ...req, status: "pending" as const, answer: undefined, answeredBy: undefined, answeredAt: undefined };
      // Insert-or-nothing on (run, call), then read: concurrent askers for one call end up with the same request.
      const inserted = await db.insertInto("approvals").values(toApprovalRow(full))
        .onConflict((oc) => oc.columns(["run_id", "call_id"]).doNothing())
        .returningAll().executeTakeFirst();
      if (inserted) return { request: fromApprovalRow(inserted), created: true };
      const existing = await forCall(req.runId, req.callId);
      if (!existing) throw new Error(`approval for run ${req.runId} call ${req.callId} was neither inserted nor found`);
      return { request: existing, created: false };
    },
    async get(id) {
      const row = await db.selectFrom("approvals").selectAll().where("id", "=", id).executeTakeFirst();
      return row && fromApprovalRow(row);
    },
    forCall,
    async list(opts = {}) {
      if (opts.status?.length === 0) return [];
      let query = db.selectFrom("approvals").selectAll().orderBy("created_at", "desc").orderBy("id", "desc");
      if (opts.status !== undefined) query = query.where("status", "in", opts.status);
      if (opts.sessionKey !== undefined) query = query.where("session_key", "=", opts.sessionKey);
      if (opts.runId !== undefined) query = query.where("run_id", "=", opts.runId);
      return (await query.limit(opts.limit ?? 100).execute()).map(fromApprovalRow);
    },
    async answer(id, a) {
      const row = await db.updateTable("approvals")
        .set({ status: a.status, answer: a.answer ?? null, answered_by: a.by, answered_at: a.at })
        .where("id", "=", id).where("status", "=", "pending")
        .returningAll().executeTakeFirst();
      return row && fromApprovalRow(row);
    },
    async overdue(now) {
      const rows = await db.selectFrom("approvals").selectAll().where("status", "=", "pending").where("expires_at", "<=", now).orderBy("expires_at").execute();
      return rows.map(fromApprovalRow);
    },
    async addRule(rule) {
      await db.insertInto("approval_rules").values(toApprovalRuleRow(rule)).execute();
    },
    async rules(opts = {}) {
      let query = db.selectFrom("approval_rules").selectAll().orderBy("created_at").orderBy("id");
      if (opts.agentId !== undefined) query = query.where("agent_id", "=", opts.agentId);
      return (await query.execute()).map(fromApprovalRuleRow);
    },
    async removeRule(id) {
      const result = await db.deleteFrom("approval_rules").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

export function createElevationRepo(db: Kysely<Database>): ElevationRepo {
  return {
    async get(sessionKey) {
      const row = await db.selectFrom("elevations").selectAll().where("session_key", "=", sessionKey).executeTakeFirst();
      return row && fromElevationRow(row);
    },
    async put(elevation) {
      const row = toElevationRow(elevation);
      await db.insertInto("elevations").values(row)
        .onConflict((oc) => oc.column("session_key").doUpdateSet({ ...row, session_key: undefined }))
        .execute();
    },
    async active() {
      return (await db.selectFrom("elevations").selectAll().where("status", "=", "active").orderBy("expires_at").execute()).map(fromElevationRow);
    },
  };
}
