// Row ↔ domain mapping for every Store table: exactly one pure function per direction per table.
// `to*Row` takes a full record (insert) or a partial one (update: only keys present are written; present-but-undefined → NULL).
import type { Insertable, Selectable, Updateable } from "kysely";
import type {
  AuditDecision, AuditRecord, Delivery, DeliveryStatus, FireDeliveryStatus, JournalEntry, JournalStatus, Lease, Run, RunStatus, RunTrigger, Schedule,
  ScheduleCatchup, ScheduleConcurrency, ScheduleFire, ScheduleFireStatus, ScheduleKind, Session, TaintSource, TranscriptMessage, TranscriptRole, UsageRecord,
  ApprovalReason, ApprovalRequest, ApprovalRule, ApprovalStatus, Elevation,
} from "../core/domain.ts";
import type { ApprovedSender, GroupContextEntry, Notice, PairingRequest } from "../core/domain.ts";
import type { ActivationMode } from "../core/channel-config.ts";
import type { QueueMode } from "../core/config-schema.ts";
import type { ReplyRoute } from "../core/inbound.ts";
import type { SkillGrantEntry, SkillInstallEntry } from "./store.ts";
import type {
  ApprovedSendersTable, AuditTable, DeliveriesTable, GroupContextTable, JournalTable, LeasesTable, NoticesTable, PairingRequestsTable,
  ApprovalRulesTable, ApprovalsTable, ElevationsTable, RunsTable, ScheduleFiresTable, SchedulesTable, SessionsTable, SkillGrantsTable, SkillInstallsTable, TranscriptTable, UsageTable,
} from "./db-schema.ts";

// undefined ↔ NULL at the boundary; the domain never sees null.
const orNull = <T>(v: T | undefined): T | null => v ?? null;
const orUndefined = <T>(v: T | null): T | undefined => v ?? undefined;
const toJson = (v: unknown): string => JSON.stringify(v ?? null);

export function toSessionRow(s: Session): Insertable<SessionsTable>;
export function toSessionRow(s: Partial<Session>): Updateable<SessionsTable>;
export function toSessionRow(s: Partial<Session>): Updateable<SessionsTable> {
  const row: Updateable<SessionsTable> = {};
  if ("key" in s) row.key = s.key;
  if ("agentId" in s) row.agent_id = s.agentId;
  if ("channel" in s) row.channel = s.channel;
  if ("modelOverride" in s) row.model_override = orNull(s.modelOverride);
  if ("queueMode" in s) row.queue_mode = orNull(s.queueMode);
  if ("activation" in s) row.activation = orNull(s.activation);
  if ("title" in s) row.title = orNull(s.title);
  if ("createdAt" in s) row.created_at = s.createdAt;
  if ("updatedAt" in s) row.updated_at = s.updatedAt;
  if ("compaction" in s) {
    row.compaction_summary = s.compaction?.summary ?? null;
    row.compacted_through = s.compaction?.throughId ?? null;
    row.compacted_at = s.compaction?.at ?? null;
  }
  if ("taint" in s) row.taint = s.taint?.length ? toJson(s.taint) : null;
  return row;
}

export function fromSessionRow(row: Selectable<SessionsTable>): Session {
  return {
    key: row.key,
    agentId: row.agent_id,
    channel: row.channel,
    modelOverride: orUndefined(row.model_override),
    queueMode: orUndefined(row.queue_mode) as QueueMode | undefined,
    activation: orUndefined(row.activation) as ActivationMode | undefined,
    title: orUndefined(row.title),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.compaction_summary !== null && row.compacted_through !== null
      ? { compaction: { summary: row.compaction_summary, throughId: Number(row.compacted_through), at: Number(row.compacted_at ?? 0) } }
      : {}),
    ...(row.taint ? { taint: JSON.parse(row.taint) as TaintSource[] } : {}),
  };
}

export function toTranscriptRow(m: Omit<TranscriptMessage, "id">): Insertable<TranscriptTable> {
  return {
    session_key: m.sessionKey,
    run_id: orNull(m.runId),
    role: m.role,
    content: toJson(m.content),
    created_at: m.createdAt,
  };
}

export function fromTranscriptRow(row: Selectable<TranscriptTable>): TranscriptMessage {
  return {
    id: row.id,
    sessionKey: row.session_key,
    runId: orUndefined(row.run_id),
    role: row.role as TranscriptRole,
    content: JSON.parse(row.content),
    createdAt: row.created_at,
  };
}

export function toRunRow(r: Run): Insertable<RunsTable>;
export function toRunRow(r: Partial<Run>): Updateable<RunsTable>;
export function toRunRow(r: Partial<Run>): Updateable<RunsTable> {
  const row: Updateable<RunsTable> = {};
  if ("id" in r) row.id = r.id;
  if ("sessionKey" in r) row.session_key = r.sessionKey;
  if ("agentId" in r) row.agent_id = r.agentId;
  if ("parentRunId" in r) row.parent_run_id = orNull(r.parentRunId);
  if ("status" in r) row.status = r.status;
  if ("input" in r) row.input = r.input;
  if ("reply" in r) row.reply = orNull(r.reply);
  if ("errorCode" in r) row.error_code = orNull(r.errorCode);
  if ("error" in r) row.error = orNull(r.error);
  if ("model" in r) row.model = orNull(r.model);
  if (r.usage) {
    row.input_tokens = r.usage.inputTokens;
    row.output_tokens = r.usage.outputTokens;
    row.cached_tokens = r.usage.cachedTokens;
    row.cost_usd = r.usage.costUsd;
  }
  if ("createdAt" in r) row.created_at = r.createdAt;
  if ("startedAt" in r) row.started_at = orNull(r.startedAt);
  if ("finishedAt" in r) row.finished_at = orNull(r.finishedAt);
  if ("attempt" in r) row.attempt = r.attempt;
  if ("worker" in r) row.worker = orNull(r.worker);
  if ("origin" in r) row.origin = r.origin === undefined ? null : toJson(r.origin);
  if ("trigger" in r) row.trigger = orNull(r.trigger);
  if ("taint" in r) row.taint = r.taint?.length ? toJson(r.taint) : null;
  return row;
}

export function fromRunRow(row: Selectable<RunsTable>): Run {
  return {
    id: row.id,
    sessionKey: row.session_key,
    agentId: row.agent_id,
    parentRunId: orUndefined(row.parent_run_id),
    status: row.status as RunStatus,
    input: row.input,
    reply: orUndefined(row.reply),
    errorCode: orUndefined(row.error_code),
    error: orUndefined(row.error),
    model: orUndefined(row.model),
    usage: {
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      cachedTokens: row.cached_tokens,
      costUsd: row.cost_usd,
    },
    createdAt: row.created_at,
    startedAt: orUndefined(row.started_at),
    finishedAt: orUndefined(row.finished_at),
    attempt: row.attempt,
    worker: orUndefined(row.worker),
    origin: row.origin === null ? undefined : (JSON.parse(row.origin) as ReplyRoute),
    trigger: orUndefined(row.trigger) as RunTrigger | undefined,
    ...(row.taint ? { taint: JSON.parse(row.taint) as TaintSource[] } : {}),
  };
}

/** Usage rows are written and aggregated, never read back one by one, so there is no `fromUsageRow`. */
export function toUsageRow(u: UsageRecord): Insertable<UsageTable> {
  return {
    run_id: orNull(u.runId),
    session_key: orNull(u.sessionKey),
    agent_id: orNull(u.agentId),
    provider: u.provider,
    model: u.model,
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
    cached_tokens: u.cachedTokens,
    cost_usd: u.costUsd,
    at: u.at,
    idempotency_key: orNull(u.idempotencyKey),
    sender: orNull(u.sender),
  };
}

/** `id` is assigned by the database and ignored here. */
export function toAuditRow(a: AuditRecord): Insertable<AuditTable> {
  return {
    at: a.at,
    kind: a.kind,
    decision: a.decision,
    run_id: orNull(a.runId),
    session_key: orNull(a.sessionKey),
    tool: orNull(a.tool),
    reason: orNull(a.reason),
    detail: a.detail === undefined ? null : toJson(a.detail),
  };
}

export function fromAuditRow(row: Selectable<AuditTable>): AuditRecord {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    decision: row.decision as AuditDecision,
    runId: orUndefined(row.run_id),
    sessionKey: orUndefined(row.session_key),
    tool: orUndefined(row.tool),
    reason: orUndefined(row.reason),
    detail: row.detail === null ? undefined : (JSON.parse(row.detail) as Record<string, unknown>),
  };
}

export function toJournalRow(j: Omit<JournalEntry, "id">): Insertable<JournalTable> {
  return {
    channel: j.channel,
    account: j.account,
    platform_message_id: j.platformMessageId,
    session_key: orNull(j.sessionKey),
    payload: toJson(j.payload),
    status: j.status,
    received_at: j.receivedAt,
    run_id: orNull(j.runId),
  };
}

export function fromJournalRow(row: Selectable<JournalTable>): JournalEntry {
  return {
    id: row.id,
    channel: row.channel,
    account: row.account,
    platformMessageId: row.platform_message_id,
    sessionKey: orUndefined(row.session_key),
    payload: JSON.parse(row.payload),
    status: row.status as JournalStatus,
    receivedAt: row.received_at,
    runId: orUndefined(row.run_id),
  };
}

export function toLeaseRow(l: Lease): Insertable<LeasesTable> {
  return { key: l.key, holder: l.holder, acquired_at: l.acquiredAt, expires_at: l.expiresAt };
}

export function fromLeaseRow(row: Selectable<LeasesTable>): Lease {
  return { key: row.key, holder: row.holder, acquiredAt: row.acquired_at, expiresAt: row.expires_at };
}

export function toDeliveryRow(d: Delivery): Insertable<DeliveriesTable> {
  return {
    key: d.key,
    owner: d.owner,
    status: d.status,
    attempts: d.attempts,
    platform_message_id: orNull(d.platformMessageId),
    error: orNull(d.error),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  };
}

export function fromDeliveryRow(row: Selectable<DeliveriesTable>): Delivery {
  return {
    key: row.key,
    owner: row.owner,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    platformMessageId: orUndefined(row.platform_message_id),
    error: orUndefined(row.error),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toPairingRow(p: PairingRequest): Insertable<PairingRequestsTable> {
  return {
    channel: p.channel, account: p.account, sender_id: p.senderId, sender_name: orNull(p.senderName), code: p.code, chat_id: p.chatId,
    created_at: p.createdAt, expires_at: p.expiresAt,
  };
}

export function fromPairingRow(row: Selectable<PairingRequestsTable>): PairingRequest {
  return {
    channel: row.channel, account: row.account, senderId: row.sender_id, senderName: orUndefined(row.sender_name), code: row.code,
    chatId: row.chat_id, createdAt: row.created_at, expiresAt: row.expires_at,
  };
}

export function toApprovedRow(a: ApprovedSender): Insertable<ApprovedSendersTable> {
  return { channel: a.channel, account: a.account, sender_id: a.senderId, sender_name: orNull(a.senderName), approved_at: a.approvedAt };
}

export function fromApprovedRow(row: Selectable<ApprovedSendersTable>): ApprovedSender {
  return { channel: row.channel, account: row.account, senderId: row.sender_id, senderName: orUndefined(row.sender_name), approvedAt: row.approved_at };
}

export function toGroupContextRow(e: Omit<GroupContextEntry, "id">): Insertable<GroupContextTable> {
  return { session_key: e.sessionKey, sender: e.sender, text: e.text, at: e.at };
}

export function fromGroupContextRow(row: Selectable<GroupContextTable>): GroupContextEntry {
  return { id: row.id, sessionKey: row.session_key, sender: row.sender, text: row.text, at: row.at };
}

export function toNoticeRow(n: Omit<Notice, "id">): Insertable<NoticesTable> {
  return { channel: n.channel, account: n.account, chat_id: n.chatId, text: n.text, created_at: n.createdAt, sent_at: orNull(n.sentAt) };
}

export function fromNoticeRow(row: Selectable<NoticesTable>): Notice {
  return {
    id: row.id, channel: row.channel, account: row.account, chatId: row.chat_id, text: row.text, createdAt: row.created_at,
    sentAt: orUndefined(row.sent_at),
  };
}

export function toSkillInstallRow(name: string, e: SkillInstallEntry): Insertable<SkillInstallsTable> {
  return { name, registry: e.registry, slug: e.slug, version: e.version, sha256: e.sha256, fingerprint: e.fingerprint, installed_at: e.installedAt };
}

export function fromSkillInstallRow(row: Selectable<SkillInstallsTable>): SkillInstallEntry {
  return { registry: row.registry, slug: row.slug, version: row.version, sha256: row.sha256, fingerprint: row.fingerprint, installedAt: row.installed_at };
}

export function toSkillGrantRow(name: string, g: SkillGrantEntry): Insertable<SkillGrantsTable> {
  return { name, bins: JSON.stringify(g.bins), env: JSON.stringify(g.env), granted_at: g.grantedAt };
}

export function fromSkillGrantRow(row: Selectable<SkillGrantsTable>): SkillGrantEntry {
  return { bins: parseStringList(row.bins), env: parseStringList(row.env), grantedAt: row.granted_at };
}

/** A JSON array of strings as stored; anything else reads as empty (grants only ever narrow on a bad row). */
function parseStringList(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export function toScheduleRow(s: Partial<Schedule>): Updateable<SchedulesTable> {
  const row: Updateable<SchedulesTable> = {};
  if ("id" in s) row.id = s.id;
  if ("name" in s) row.name = s.name;
  if ("kind" in s) row.kind = s.kind;
  if ("expr" in s) row.expr = s.expr;
  if ("tz" in s) row.tz = orNull(s.tz);
  if ("message" in s) row.message = s.message;
  if ("agentId" in s) row.agent_id = s.agentId;
  if ("session" in s) row.session = s.session;
  if ("deliver" in s) row.deliver = s.deliver;
  if ("concurrency" in s) row.concurrency = s.concurrency;
  if ("catchup" in s) row.catchup = s.catchup;
  if ("suspended" in s) row.suspended = s.suspended ? 1 : 0;
  if ("createdBy" in s) row.created_by = s.createdBy;
  if ("createdAt" in s) row.created_at = s.createdAt;
  if ("updatedAt" in s) row.updated_at = s.updatedAt;
  if ("nextFireAt" in s) row.next_fire_at = orNull(s.nextFireAt);
  if ("lastFireAt" in s) row.last_fire_at = orNull(s.lastFireAt);
  return row;
}

export function fromScheduleRow(row: Selectable<SchedulesTable>): Schedule {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ScheduleKind,
    expr: row.expr,
    tz: orUndefined(row.tz),
    message: row.message,
    agentId: row.agent_id,
    session: row.session,
    deliver: row.deliver,
    concurrency: row.concurrency as ScheduleConcurrency,
    catchup: row.catchup as ScheduleCatchup,
    suspended: Number(row.suspended) === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    nextFireAt: orUndefined(row.next_fire_at),
    lastFireAt: orUndefined(row.last_fire_at),
  };
}

export function toScheduleFireRow(f: Partial<ScheduleFire>): Updateable<ScheduleFiresTable> {
  const row: Updateable<ScheduleFiresTable> = {};
  if ("scheduleId" in f) row.schedule_id = f.scheduleId;
  if ("fireAt" in f) row.fire_at = f.fireAt;
  if ("status" in f) row.status = f.status;
  if ("reason" in f) row.reason = orNull(f.reason);
  if ("runId" in f) row.run_id = orNull(f.runId);
  if ("sessionKey" in f) row.session_key = orNull(f.sessionKey);
  if ("createdAt" in f) row.created_at = f.createdAt;
  if ("finishedAt" in f) row.finished_at = orNull(f.finishedAt);
  if ("delivery" in f) row.delivery = f.delivery;
  if ("deliveryError" in f) row.delivery_error = orNull(f.deliveryError);
  return row;
}

export function fromScheduleFireRow(row: Selectable<ScheduleFiresTable>): ScheduleFire {
  return {
    scheduleId: row.schedule_id,
    fireAt: row.fire_at,
    status: row.status as ScheduleFireStatus,
    reason: orUndefined(row.reason),
    runId: orUndefined(row.run_id),
    sessionKey: orUndefined(row.session_key),
    createdAt: row.created_at,
    finishedAt: orUndefined(row.finished_at),
    delivery: row.delivery as FireDeliveryStatus,
    deliveryError: orUndefined(row.delivery_error),
  };
}

export function toApprovalRow(a: ApprovalRequest): Insertable<ApprovalsTable> {
  return {
    id: a.id, run_id: a.runId, session_key: a.sessionKey, agent_id: a.agentId, call_id: a.callId, tool: a.tool, subject: orNull(a.subject),
    summary: a.summary, reason: a.reason, taint_sources: a.taintSources?.length ? toJson(a.taintSources) : null, status: a.status,
    answer: orNull(a.answer), answered_by: orNull(a.answeredBy), created_at: a.createdAt, expires_at: a.expiresAt, answered_at: orNull(a.answeredAt),
  };
}

export function fromApprovalRow(row: Selectable<ApprovalsTable>): ApprovalRequest {
  return {
    id: row.id, runId: row.run_id, sessionKey: row.session_key, agentId: row.agent_id, callId: row.call_id, tool: row.tool, subject: orUndefined(row.subject),
    summary: row.summary, reason: row.reason as ApprovalReason, taintSources: row.taint_sources ? (JSON.parse(row.taint_sources) as TaintSource[]) : undefined,
    status: row.status as ApprovalStatus, answer: orUndefined(row.answer) as "once" | "always" | undefined, answeredBy: orUndefined(row.answered_by),
    createdAt: row.created_at, expiresAt: row.expires_at, answeredAt: orUndefined(row.answered_at),
  };
}

export function toApprovalRuleRow(r: ApprovalRule): Insertable<ApprovalRulesTable> {
  return { id: r.id, agent_id: r.agentId, tool: r.tool, subject: orNull(r.subject), created_by: r.createdBy, created_at: r.createdAt, from_request: orNull(r.fromRequest) };
}

export function fromApprovalRuleRow(row: Selectable<ApprovalRulesTable>): ApprovalRule {
  return { id: row.id, agentId: row.agent_id, tool: row.tool, subject: orUndefined(row.subject), createdBy: row.created_by, createdAt: row.created_at, fromRequest: orUndefined(row.from_request) };
}

export function toElevationRow(e: Elevation): Insertable<ElevationsTable> {
  return {
    session_key: e.sessionKey, status: e.status, code: orNull(e.code), minutes: e.minutes, reason: orNull(e.reason), requested_by: e.requestedBy,
    requested_at: e.requestedAt, started_at: orNull(e.startedAt), expires_at: orNull(e.expiresAt), ended_at: orNull(e.endedAt), end_reason: orNull(e.endReason),
  };
}

export function fromElevationRow(row: Selectable<ElevationsTable>): Elevation {
  return {
    sessionKey: row.session_key, status: row.status as Elevation["status"], code: orUndefined(row.code), minutes: row.minutes, reason: orUndefined(row.reason),
    requestedBy: row.requested_by, requestedAt: row.requested_at, startedAt: orUndefined(row.started_at), expiresAt: orUndefined(row.expires_at),
    endedAt: orUndefined(row.ended_at), endReason: orUndefined(row.end_reason),
  };
}
