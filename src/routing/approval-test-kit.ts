// Test support for the approval surfaces: a small ApprovalService over the store's approvals and elevations (answers,
// `always` rules, confirmation codes valid 5 minutes), and a pending request written straight into the store.
// Not the broker: no waiting runs, no bus, no timeouts.
import type { ApprovalRequest, Elevation } from "../core/domain.ts";
import type { Store } from "../store/store.ts";
import type { ApprovalService } from "./approval-service.ts";

export const CODE_TTL_MS = 5 * 60_000;

export interface FakeApprovalsOptions {
  store: Store;
  now: () => number;
  /** policy.elevated as the service would read it. */
  elevated?: { enabled: boolean; default_minutes: number; max_minutes: number };
  /** The confirmation code handed out next. */
  code?: () => string;
}

export function createFakeApprovals(opts: FakeApprovalsOptions): ApprovalService {
  const { store, now } = opts;
  const elevated = opts.elevated ?? { enabled: true, default_minutes: 15, max_minutes: 120 };
  let codes = 0;
  const nextCode = opts.code ?? (() => `C0DE${++codes}`);
  const active = async (sessionKey: string): Promise<Elevation | undefined> => {
    const e = await store.elevations.get(sessionKey);
    if (e?.status !== "active") return undefined;
    if ((e.expiresAt ?? 0) > now()) return e;
    await store.elevations.put({ ...e, status: "ended", endedAt: now(), endReason: "expired" });
    return undefined;
  };
  return {
    async answer(id, answer, by) {
      const existing = await store.approvals.get(id);
      if (!existing) return { ok: false, reason: "unknown" };
      if (existing.status === "pending" && existing.expiresAt <= now()) {
        const expired = await store.approvals.answer(id, { status: "expired", by: "timeout", at: now() });
        return { ok: false, reason: "expired", ...(expired ? { request: expired } : {}) };
      }
      const always = answer.decision === "approve" && answer.always === true;
      const done = await store.approvals.answer(id, {
        status: answer.decision === "approve" ? "approved" : "denied", ...(answer.decision === "approve" ? { answer: always ? "always" : "once" } : {}), by, at: now(),
      });
      if (!done) return { ok: false, reason: existing.status === "expired" ? "expired" : "answered", request: existing };
      if (always) {
        await store.approvals.addRule({ id: `rule_${id}`, agentId: done.agentId, tool: done.tool, subject: done.subject, createdBy: by, createdAt: now(), fromRequest: id });
      }
      return { ok: true, request: done };
    },
    list: (o = {}) => store.approvals.list(o),
    rules: () => store.approvals.rules(),
    revokeRule: (id) => store.approvals.removeRule(id),
    async elevate(sessionKey, o) {
      if (!elevated.enabled) return { ok: false, reason: "elevated mode is off (policy.elevated.enabled is false)" };
      const minutes = o.minutes ?? elevated.default_minutes;
      if (minutes < 1 || minutes > elevated.max_minutes) return { ok: false, reason: `minutes must be from 1 to ${elevated.max_minutes} (policy.elevated.max_minutes)` };
      const code = nextCode();
      await store.elevations.put({
        sessionKey, status: "pending", code, minutes, reason: o.reason, requestedBy: o.by, requestedAt: now(),
        startedAt: undefined, expiresAt: undefined, endedAt: undefined, endReason: undefined,
      });
      return { ok: true, code, minutes };
    },
    async confirmElevation(sessionKey, code) {
      const e = await store.elevations.get(sessionKey);
      if (e?.status !== "pending" || e.code === undefined) return { ok: false, reason: "no elevation was asked for in this conversation" };
      if (now() - e.requestedAt > CODE_TTL_MS) return { ok: false, reason: "the code has expired" };
      if (e.code !== code.trim().toUpperCase()) return { ok: false, reason: "the code does not match" };
      const elevation: Elevation = { ...e, status: "active", code: undefined, startedAt: now(), expiresAt: now() + e.minutes * 60_000, requestedBy: e.requestedBy };
      await store.elevations.put(elevation);
      return { ok: true, elevation };
    },
    async endElevation(sessionKey, by, reason) {
      const e = await active(sessionKey);
      if (!e) return undefined;
      const ended: Elevation = { ...e, status: "ended", endedAt: now(), endReason: reason ?? `ended by ${by}` };
      await store.elevations.put(ended);
      return ended;
    },
    elevation: (sessionKey) => active(sessionKey),
  };
}

/** Writes a pending request for a tool call of `runId` (the run and its session must exist for scope checks). */
export async function addPendingRequest(store: Store, fields: Partial<ApprovalRequest> & { id: string; runId: string; sessionKey: string }, now: number): Promise<ApprovalRequest> {
  const { request } = await store.approvals.create({
    agentId: "main", callId: `call_${fields.id}`, tool: "exec", subject: "git", summary: "git push origin main", reason: "ask", taintSources: undefined,
    createdAt: now, expiresAt: now + 600_000, ...fields,
  });
  return request;
}
