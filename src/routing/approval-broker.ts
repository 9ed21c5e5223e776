// The approval broker: a waiting tool call's request stored once per call (a resumed run finds it again and never asks
// twice), the run shown `waiting_approval` meanwhile, answers taken compare-and-set from any surface and delivered to the
// waiting call at once — in this process through an emitter, across a cluster as a live bus event `approvals.<id>` —
// with a store poll as backstop (the CLI answers from another process); timeouts expire requests as `timeout`.
// Also the ApprovalService the surfaces call (answers, lists, standing rules, elevated mode) and each run's SafetyView.
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { PincerConfig } from "../core/config-schema.ts";
import type { ApprovalRequest, ApprovalRule, AuditRecord, Run, TaintSource } from "../core/domain.ts";
import type { RunEvent } from "../core/events.ts";
import { newId } from "../core/ids.ts";
import type { Bus } from "../bus/bus.ts";
import type { Store } from "../store/store.ts";
import type { ApprovalOutcome, SafetyView } from "../tools/tool.ts";
import type { AnswerResult, ApprovalService } from "./approval-service.ts";
import { confirmElevation, endElevation, newCode, readElevation, requestElevation, type ElevationDeps } from "./elevations.ts";

/** The live-event subject an answer to request `id` is published on (cluster runtime). */
export function approvalSubject(id: string): string {
  return `approvals.${id}`;
}

/** The taint half of a run's SafetyView (src/tools/taint.ts builds it); the broker adds approvals and elevation. */
export type TaintView = Pick<SafetyView, "taintReason" | "taintSources" | "noteUntrusted">;

/** A run that holds no untrusted content. */
export const NO_TAINT: TaintView = { taintReason: () => undefined, taintSources: () => [], noteUntrusted: () => {} };

export interface ApprovalBrokerOptions {
  store: Store;
  /** Cluster runtime: answers travel as live events to the process whose run waits. */
  bus?: Bus | undefined;
  config: () => Pick<PincerConfig, "approvals" | "policy">;
  now: () => number;
  log: Logger;
  /**
   * Told once per new request, after it is stored: tell the session's owners (a chat message with the tool, the summary
   * and `/approve <id>`). The operator sees every request in the Control UI, CLI and API whatever this does. A failure is
   * logged; the call keeps waiting.
   */
  onRequested?: (request: ApprovalRequest, run: Run) => Promise<void> | void;
  /** How often a waiting call reads its request from the store (answers from another process). Default 1,500 ms. */
  pollMs?: number;
}

export interface ApprovalBroker extends ApprovalService {
  /** The SafetyView of one run: `taint` from the taint tracker, `emit` the run's event stream. */
  safetyFor(run: Run, opts?: { emit?: ((event: RunEvent) => void) | undefined; taint?: TaintView | undefined }): SafetyView;
  /** Expires pending requests past their time (answeredBy `timeout`); returns how many. */
  sweep(): Promise<number>;
  /** Stops delivering answers to calls waiting in this process (they keep their store poll until their signal ends). */
  close(): void;
}

/** Approval ids: short and typeable in a chat, no look-alikes. */
const ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

export function createApprovalBroker(opts: ApprovalBrokerOptions): ApprovalBroker {
  const { store, now, log } = opts;
  const pollMs = opts.pollMs ?? 1_500;
  const answers = new EventEmitter<Record<string, [ApprovalRequest]>>();
  answers.setMaxListeners(0);
  const elevationDeps: ElevationDeps = { store, policy: () => opts.config().policy.elevated, now };

  const audit = async (record: Omit<AuditRecord, "at" | "decision"> & { decision?: AuditRecord["decision"] }): Promise<void> => {
    try {
      await store.audit.write({ at: now(), decision: "info", ...record });
    } catch (err) {
      log.warn({ err, kind: record.kind }, "writing an approval audit record failed");
    }
  };
  const answerAudit = (r: ApprovalRequest) =>
    audit({
      kind: "approval.answer", decision: r.status === "approved" ? "allow" : "deny", runId: r.runId, sessionKey: r.sessionKey, tool: r.tool,
      reason: r.status === "expired" ? `no answer in time (${r.answeredBy ?? "timeout"})` : `${r.status} by ${r.answeredBy ?? "?"}`,
      detail: { id: r.id, callId: r.callId, subject: r.subject, answer: r.answer, by: r.answeredBy },
    });
  /** Wakes the call waiting for `r` here, and (cluster) wherever it waits. */
  const deliver = (r: ApprovalRequest): void => {
    answers.emit(r.id, r);
    opts.bus?.emit(approvalSubject(r.id), { id: r.id, status: r.status });
  };
  /** Compare-and-set to `expired`; the request as it now stands (answered meanwhile, or expired by this call). */
  const expire = async (r: ApprovalRequest, by: string): Promise<ApprovalRequest> => {
    const expired = await store.approvals.answer(r.id, { status: "expired", by, at: now() });
    if (!expired) return (await store.approvals.get(r.id)) ?? r;
    await answerAudit(expired);
    deliver(expired);
    return expired;
  };

  const sweep = async (): Promise<number> => {
    let count = 0;
    for (const r of await store.approvals.overdue(now())) {
      if ((await expire(r, "timeout")).answeredBy === "timeout") count++;
    }
    return count;
  };

  /** Resolves with the request once it is no longer pending: an answer here, a bus event, the poll, or its timeout. */
  function waitForAnswer(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalRequest> {
    return new Promise<ApprovalRequest>((resolve, reject) => {
      let settled = false;
      const cleanups: Array<() => void> = [];
      const finish = (r: ApprovalRequest): void => {
        if (settled || r.status === "pending") return;
        settled = true;
        for (const c of cleanups) c();
        resolve(r);
      };
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        for (const c of cleanups) c();
        reject(err);
      };
      const check = (): void => {
        void store.approvals.get(request.id).then((r) => r && finish(r), (err: unknown) => log.warn({ err, id: request.id }, "reading an approval request failed"));
      };
      answers.on(request.id, finish);
      cleanups.push(() => answers.off(request.id, finish));
      if (opts.bus) cleanups.push(opts.bus.subscribe(approvalSubject(request.id), () => check()));
      const poll = setInterval(check, pollMs);
      poll.unref();
      cleanups.push(() => clearInterval(poll));
      const timer = setTimeout(() => {
        void expire(request, "timeout").then(finish, fail);
      }, Math.max(0, request.expiresAt - now()));
      timer.unref();
      cleanups.push(() => clearTimeout(timer));
      const onAbort = (): void => fail(signal.reason ?? new Error("aborted"));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener("abort", onAbort));
      check(); // answered between create and subscribe
    });
  }

  const outcomeOf = (r: ApprovalRequest): ApprovalOutcome => ({
    decision: r.status === "approved" ? "approved" : r.status === "denied" ? "denied" : "expired",
    ...(r.answer ? { answer: r.answer } : {}),
    ...(r.answeredBy ? { by: r.answeredBy } : {}),
    requestId: r.id,
  });

  function safetyFor(run: Run, o: { emit?: ((event: RunEvent) => void) | undefined; taint?: TaintView | undefined } = {}): SafetyView {
    const taint = o.taint ?? NO_TAINT;
    const emit = (event: RunEvent): void => {
      try {
        o.emit?.(event);
      } catch {
        // A broken listener must not break the run.
      }
    };
    const setStatus = (status: "waiting_approval" | "running"): Promise<void> =>
      store.runs.update(run.id, { status }).catch((err: unknown) => log.warn({ err, runId: run.id, status }, "updating the run's status failed"));
    return {
      ...taint,
      elevation: () => readElevation(elevationDeps, run.sessionKey),
      async standingRule(tool, subject) {
        const rules = await store.approvals.rules({ agentId: run.agentId });
        return rules.some((r) => r.tool === tool && (r.subject === undefined || r.subject === subject));
      },
      async requestApproval(req, signal) {
        const at = now();
        const sources: TaintSource[] | undefined = req.reason === "taint" ? [...taint.taintSources()] : undefined;
        const { request, created } = await store.approvals.create({
          id: newCode(8, ID_ALPHABET), runId: run.id, sessionKey: run.sessionKey, agentId: run.agentId, callId: req.callId, tool: req.tool,
          subject: req.subject, summary: req.summary, reason: req.reason, taintSources: sources, createdAt: at, expiresAt: at + opts.config().approvals.timeout_ms,
        });
        // A resumed run whose call was answered while nobody waited: the answer stands, nobody is asked again.
        if (request.status !== "pending") {
          await setStatus("running"); // a run resumed as `waiting_approval`: its call now runs (or is refused)
          return outcomeOf(request);
        }
        if (created) {
          await audit({
            kind: "approval.request", runId: run.id, sessionKey: run.sessionKey, tool: req.tool, reason: req.reason,
            detail: { id: request.id, callId: req.callId, subject: req.subject, summary: req.summary, expiresAt: request.expiresAt, ...(sources ? { taint: sources.map((s) => s.label) } : {}) },
          });
          try {
            await opts.onRequested?.(request, run);
          } catch (err) {
            log.warn({ err, id: request.id }, "notifying the owners of an approval request failed; it waits in the Control UI, CLI and API");
          }
        }
        await setStatus("waiting_approval");
        emit({ type: "approval_requested", runId: run.id, sessionKey: run.sessionKey, request });
        let final: ApprovalRequest;
        try {
          final = await waitForAnswer(request, signal);
        } catch (err) {
          // The run was stopped: its call will never run, so the request is closed rather than left for someone to answer.
          const closed = await expire(request, "run stopped").catch(() => request);
          emit({ type: "approval_answered", runId: run.id, sessionKey: run.sessionKey, request: closed });
          throw err;
        }
        await setStatus("running");
        emit({ type: "approval_answered", runId: run.id, sessionKey: run.sessionKey, request: final });
        return outcomeOf(final);
      },
    };
  }

  async function answer(id: string, a: { decision: "approve" | "deny"; always?: boolean }, by: string): Promise<AnswerResult> {
    const current = await store.approvals.get(id);
    if (!current) return { ok: false, reason: "unknown" };
    const refused = (r: ApprovalRequest): AnswerResult => ({ ok: false, reason: r.status === "expired" ? "expired" : "answered", request: r });
    if (current.status !== "pending") return refused(current);
    if (current.expiresAt <= now()) return refused(await expire(current, "timeout"));
    const approved = a.decision === "approve";
    const answered = await store.approvals.answer(id, {
      status: approved ? "approved" : "denied", ...(approved ? { answer: a.always ? "always" : "once" } : {}), by, at: now(),
    });
    if (!answered) return refused((await store.approvals.get(id)) ?? current);
    if (approved && a.always) {
      const rule: ApprovalRule = { id: newId("rule"), agentId: answered.agentId, tool: answered.tool, subject: answered.subject, createdBy: by, createdAt: now(), fromRequest: id };
      await store.approvals.addRule(rule);
      await audit({
        kind: "approval.rule_added", runId: answered.runId, sessionKey: answered.sessionKey, tool: rule.tool,
        reason: `always allow ${rule.tool}${rule.subject ? ` with ${rule.subject}` : ""} for agent ${rule.agentId}`, detail: { ruleId: rule.id, subject: rule.subject, by, fromRequest: id },
      });
    }
    await answerAudit(answered);
    deliver(answered);
    return { ok: true, request: answered };
  }

  return {
    answer,
    async list(o = {}) {
      await sweep().catch((err: unknown) => log.warn({ err }, "expiring overdue approval requests failed"));
      return store.approvals.list({ ...(o.status ? { status: o.status } : {}), ...(o.sessionKey ? { sessionKey: o.sessionKey } : {}), ...(o.limit ? { limit: o.limit } : {}) });
    },
    rules: () => store.approvals.rules(),
    async revokeRule(id, by) {
      const rule = (await store.approvals.rules()).find((r) => r.id === id);
      if (!rule || !(await store.approvals.removeRule(id))) return false;
      await audit({
        kind: "approval.rule_revoked", runId: undefined, sessionKey: undefined, tool: rule.tool,
        reason: `revoked by ${by}`, detail: { ruleId: id, agentId: rule.agentId, subject: rule.subject, by },
      });
      return true;
    },
    elevate: (sessionKey, o) => requestElevation(elevationDeps, sessionKey, o),
    confirmElevation: (sessionKey, code, by) => confirmElevation(elevationDeps, sessionKey, code, by),
    endElevation: (sessionKey, by, reason) => endElevation(elevationDeps, sessionKey, by, reason),
    elevation: (sessionKey) => readElevation(elevationDeps, sessionKey),
    safetyFor,
    sweep,
    close() {
      answers.removeAllListeners();
    },
  };
}
