// The Store port: everything Pincer persists. Implementations: SQLite (embedded) and PostgreSQL (cluster).
// Data access is written once against Kysely; a backend only supplies a dialect and its migrations' types.
import type {
  ApprovalRequest, ApprovalRule, ApprovalStatus, Elevation, TaintSource,
  ApprovedSender, AuditDecision, AuditRecord, Delivery, GroupContextEntry, Notice, PairingRequest, JournalEntry, JournalStatus, Lease, Run, RunStatus, RunTrigger, Schedule,
  ScheduleFire, Session, SessionCompaction, Spend, TranscriptMessage, TranscriptRole, Usage, UsageRecord, UsageTotals,
} from "../core/domain.ts";
import type { ReplyRoute } from "../core/inbound.ts";

export interface SessionRepo {
  /** Returns the session, creating it on first use. Contract: idempotent for the same key. */
  ensure(input: { key: string; agentId: string; channel: string }): Promise<Session>;
  get(key: string): Promise<Session | undefined>;
  /** Newest first. `query`: only sessions whose title, key or transcript contains it (case-insensitive for ASCII). */
  list(opts?: { agentId?: string; limit?: number; query?: string }): Promise<Session[]>;
  update(key: string, patch: Partial<Pick<Session, "modelOverride" | "queueMode" | "activation" | "title" | "taint">>): Promise<void>;
  /** Deletes transcript messages (for /new and /reset), the title that came from them, the compaction summary and the taint;
   * keeps runs, usage and audit. */
  clearTranscript(key: string): Promise<void>;
  /** Keeps `compaction` as the session's latest compaction (the previous one is replaced; its summary is part of this one). */
  saveCompaction(key: string, compaction: SessionCompaction): Promise<void>;
  /** Deletes the session with its transcript, runs and quiet group context; usage and audit records stay.
   * Returns false when there was no such session. */
  delete(key: string): Promise<boolean>;
}

export interface TranscriptRepo {
  /** Appends in order; returns the stored rows with ids. The first user message of a session without a title gives
   * it one (titleFromText). */
  append(sessionKey: string, runId: string | undefined, messages: Array<{ role: TranscriptRole; content: unknown }>): Promise<TranscriptMessage[]>;
  /** Oldest first; `limit` keeps the newest N; `afterId` only messages with a greater id (after a compaction point). */
  list(sessionKey: string, opts?: { limit?: number; afterId?: number }): Promise<TranscriptMessage[]>;
  /**
   * Deletes every message appended under `runId` (its input, replies, tool results, steering) and returns
   * how many. For re-executing a run after a crash: the new attempt appends the input again as its first
   * message, so the transcript ends up as one clean attempt would leave it. Contract: idempotent.
   */
  deleteRun(runId: string): Promise<number>;
  /** The messages appended under one run of a session, oldest first (its input, replies, tool calls and results). */
  listRun(sessionKey: string, runId: string): Promise<TranscriptMessage[]>;
  /** How many transcript messages each of the sessions holds (sessions without any are absent). */
  countPerSession(sessionKeys: readonly string[]): Promise<Map<string, number>>;
}

/** Fields `runs.update` and `runs.claim` may write; `attempt` only changes through `claim`. */
export type RunPatch = Partial<Omit<Run, "id" | "sessionKey" | "agentId" | "input" | "createdAt" | "attempt">>;

export interface RunClaim {
  /** The claim applies only while the run's status is one of these. */
  from: RunStatus[];
  /** Who takes the run; stored as `worker`. */
  worker: string;
  /** Written together with the claim, typically `{ status: "running", startedAt }`. */
  patch?: Omit<RunPatch, "worker">;
}

/** What a run leaves behind at one point of its execution, written by `runs.record` in one transaction. */
export interface RunProgress {
  /** A model call for the usage ledger, as `usage.record` takes it (an already recorded `idempotencyKey` is ignored). */
  usage?: UsageRecord;
  /** Appended to the run's session transcript under the run, in order, as `transcript.append` does. */
  messages?: Array<{ role: TranscriptRole; content: unknown }>;
  /** Written to the run after the rest, as `update` does. */
  patch?: RunPatch;
}

/** Which runs `runs.list` returns; every field narrows the result. */
export interface RunFilter {
  sessionKey?: string;
  /** Runs of sessions whose key starts with this text (a session's sub-agents: `<key>:sub:`). */
  sessionKeyPrefix?: string;
  /** true: only sub-agent runs (with a parent run); false: only top-level runs. */
  hasParent?: boolean;
  status?: RunStatus[];
  agentId?: string;
  /** `provider/model` that produced the final answer. */
  model?: string;
  errorCode?: string;
  /** Created at or after, epoch ms. */
  since?: number;
  /** Created before, epoch ms. */
  until?: number;
  /** Paging: only runs listed after this run id (older, in list order); none when the id is unknown. */
  before?: string;
  limit?: number;
}

export interface RunRepo {
  /**
   * Creates a run, `pending` unless created already started (`status: "running"` with `startedAt`). With `worker`
   * it is created claimed by that worker: `attempt` 1, as a `claim` right after creating it would leave it.
   * `messages` are appended to the session's transcript under the run (as `transcript.append` does) and the journal
   * entries `journalIds` marked `processed` by it (as `journal.mark` does), in the same transaction as the run.
   */
  create(run: Pick<Run, "id" | "sessionKey" | "agentId" | "input"> & {
    parentRunId?: string; createdAt?: number; status?: "pending" | "running"; startedAt?: number; origin?: ReplyRoute; worker?: string; trigger?: RunTrigger;
    taint?: TaintSource[];
    messages?: Array<{ role: TranscriptRole; content: unknown }>; journalIds?: number[];
  }): Promise<Run>;
  get(id: string): Promise<Run | undefined>;
  /** Sets status and whichever of the other fields are given. */
  update(id: string, patch: RunPatch): Promise<void>;
  /**
   * Writes a step of the run: its model call's usage, its messages and a patch of the run, one commit for all.
   * Contract: atomic; after a crash either all of `progress` is stored or none of it.
   */
  record(run: Pick<Run, "id" | "sessionKey">, progress: RunProgress): Promise<void>;
  /**
   * Compare-and-set: if the run's status is in `from`, writes `patch` and `worker` and increments `attempt`.
   * Returns the run as updated, or undefined when it is missing or in another status.
   * Contract: atomic; of concurrent claims that all expect a status the claim changes, exactly one applies.
   */
  claim(id: string, claim: RunClaim): Promise<Run | undefined>;
  /** Newest first (created_at, then id, descending). */
  list(opts?: RunFilter): Promise<Run[]>;
}

export interface UsageRepo {
  /** Contract: an entry whose `idempotencyKey` was already recorded is ignored (never throws, never counts twice). */
  record(entry: UsageRecord): Promise<void>;
  /** Totals grouped by provider/model; `since` in epoch ms. */
  totals(opts?: { since?: number; sessionKey?: string }): Promise<UsageTotals[]>;
  /** Sum for one session (for /status, /usage). */
  sessionTotal(sessionKey: string): Promise<Usage>;
  /** Sums for each of the sessions (sessions without usage are absent). */
  totalsPerSession(sessionKeys: readonly string[]): Promise<Map<string, Usage>>;
  /**
   * Usage summed per time bucket and group, for charts: bucket `n` covers `[since + n·bucketMs, since + (n+1)·bucketMs)`.
   * Records without the grouped value (no agent, no session) have key `""`. Ordered by bucket, then key (in the database's collation).
   */
  buckets(opts: { since: number; until: number; bucketMs: number; by: UsageGroup }): Promise<UsageBucket[]>;
  /** Spend recorded at or after `since` (before `until` when given), narrowed by every field given: one query. */
  spend(opts: { since: number; until?: number; agentId?: string; sessionKey?: string; sender?: string }): Promise<Spend>;
}

/** What usage is grouped by: `model` is `provider/model`; `channel` is the channel of the usage's session. */
export type UsageGroup = "model" | "provider" | "agent" | "channel";

export interface UsageBucket extends Usage {
  /** Start of the bucket, epoch ms. */
  at: number;
  key: string;
  calls: number;
}

/** Which audit records `audit.list` returns; every field narrows the result. */
export interface AuditFilter {
  runId?: string;
  kind?: string;
  tool?: string;
  decision?: AuditDecision;
  /** At or after, epoch ms. */
  since?: number;
  /** Before, epoch ms. */
  until?: number;
  /** Paging: only records listed after the record with this id (older, in list order); none when the id is unknown. */
  before?: number;
  limit?: number;
}

export interface AuditRepo {
  write(record: AuditRecord): Promise<void>;
  /** Newest first (at, then id, descending). */
  list(opts?: AuditFilter): Promise<AuditRecord[]>;
  /** How many records of `kind` each of the runs has (runs without any are absent). */
  countPerRun(kind: string, runIds: readonly string[]): Promise<Map<string, number>>;
}

export interface JournalRepo {
  /** Journals an inbound message. Contract: returns `duplicate: true` (and the existing entry) when the
   * same channel + account + platformMessageId was already journaled; never throws for a duplicate. */
  append(entry: Omit<JournalEntry, "id" | "status" | "receivedAt" | "runId"> & { receivedAt?: number }): Promise<{ entry: JournalEntry; duplicate: boolean }>;
  /** Sets the entry's status and, when given, the run that took the message (kept when omitted). */
  mark(id: number, status: JournalStatus, runId?: string): Promise<void>;
  /** Entries not yet processed, oldest first (for replay after a crash). */
  pending(): Promise<JournalEntry[]>;
}

/**
 * Per-key leases with a holder and an expiry, e.g. "one active run per session" across processes. Time is the
 * store's clock, so holders on different hosts rely on their clocks agreeing to well under the TTL.
 */
export interface LeaseRepo {
  /** Takes the lease for `ttlMs` if it is free, expired, or already held by `holder` (then it is extended).
   * Contract: atomic; of concurrent acquirers exactly one gets a free lease. */
  acquire(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease to now + `ttlMs`. False when `holder` no longer holds it (someone else took it over). */
  renew(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up. Contract: a no-op unless `holder` holds it. */
  release(key: string, holder: string): Promise<void>;
  /** The lease as stored, possibly expired (compare `expiresAt` with the clock), or undefined. */
  get(key: string): Promise<Lease | undefined>;
}

/** Idempotency for outbound effects: a key (e.g. `<runId>:<chunk>`) is sent at most once. */
export interface DeliveryRepo {
  /**
   * Claims `key` for `owner` to send. `claimed: true` when the key is new, was marked `retryable`, or is
   * already claimed by the same owner; otherwise `claimed: false` and `record` says what happened before
   * (claimed by someone else, sent, or failed for good). Contract: atomic; of concurrent owners exactly one claims.
   */
  claim(key: string, owner: string): Promise<{ claimed: boolean; record: Delivery }>;
  /** Marks the delivery `sent`, with the platform's id for the message when known. */
  complete(key: string, result: { platformMessageId?: string }): Promise<void>;
  /** Marks it `failed` (permanent: never retried) or `retryable` (the next claim may take it). */
  fail(key: string, failure: { error: string; permanent: boolean }): Promise<void>;
  get(key: string): Promise<Delivery | undefined>;
}

/** DM pairing: codes for unknown senders, and the senders approved with them. */
export interface PairingRepo {
  /**
   * Issues `code` to the sender unless it already has an unexpired request (`existing`, with its code) or the account
   * has `maxPending` unexpired requests (`full`). Expired requests are dropped first.
   */
  request(input: {
    channel: string; account: string; senderId: string; senderName: string | undefined; chatId: string; code: string; ttlMs: number; maxPending: number;
  }): Promise<{ status: "created" | "existing"; request: PairingRequest } | { status: "full" }>;
  /** Unexpired requests, oldest first. */
  pending(opts?: { channel?: string }): Promise<PairingRequest[]>;
  /** Approves an unexpired code (case-insensitive): the request is removed and its sender approved. Undefined if unknown. */
  approve(channel: string, code: string): Promise<PairingRequest | undefined>;
  /** Removes a request; undefined if unknown. */
  deny(channel: string, code: string): Promise<PairingRequest | undefined>;
  isApproved(channel: string, account: string, senderId: string): Promise<boolean>;
  approved(opts?: { channel?: string }): Promise<ApprovedSender[]>;
  /** Removes an approved sender; false if it was not approved. */
  revoke(channel: string, account: string, senderId: string): Promise<boolean>;
}

/** Unanswered group messages, kept per session as context for the next answered message. */
export interface GroupContextRepo {
  /** Appends, keeping only the newest `keep` entries of the session. */
  append(entry: Omit<GroupContextEntry, "id">, keep: number): Promise<void>;
  /** Returns the session's entries, oldest first, and removes them. */
  take(sessionKey: string): Promise<GroupContextEntry[]>;
  clear(sessionKey: string): Promise<void>;
}

/** Messages to chats that no run produced (pairing approvals), sent by the process holding the channel. */
export interface NoticeRepo {
  enqueue(notice: Pick<Notice, "channel" | "account" | "chatId" | "text">): Promise<Notice>;
  /** Unsent notices of one channel account, oldest first (at most 50). */
  pending(channel: string, account: string): Promise<Notice[]>;
  markSent(id: number): Promise<void>;
}

/** Largest skill bundle the store keeps, bytes: the installer's download cap (a ClawHub skill is at most 50 MB). */
export const SKILL_BUNDLE_MAX_BYTES = 50 * 1024 * 1024;

/** Where an installed skill came from, as the skills lock file records it. */
export interface SkillInstallEntry {
  registry: string;
  slug: string;
  version: string;
  /** sha256 (hex) of the bundle, the key of `skills.getBundle`. */
  sha256: string;
  /** The scanner's fingerprint of the files as installed. */
  fingerprint: string;
  /** ISO 8601, as in the lock file. */
  installedAt: string;
}

/** What a skill was granted (binaries, env vars), as the skills lock file records it. */
export interface SkillGrantEntry {
  bins: string[];
  env: string[];
  /** ISO 8601. */
  grantedAt: string;
}

/** Every installed skill and every grant, and the generation they were read at. */
export interface SkillsSnapshot {
  installs: Map<string, SkillInstallEntry>;
  grants: Map<string, SkillGrantEntry>;
  /** `skills.generation()` as it was before the rest was read: the data is at least this new. */
  generation: number;
}

/** Installed skills shared by every node of a cluster: their bundles, content-addressed, and the lock's entries. */
export interface SkillRepo {
  /** Keeps `bytes` under `sha256` (lowercase hex). Contract: idempotent; throws RangeError when the bytes do not hash
   * to `sha256` or are larger than SKILL_BUNDLE_MAX_BYTES. */
  putBundle(sha256: string, bytes: Uint8Array): Promise<void>;
  /** The bundle's bytes, or undefined when no bundle has that hash. */
  getBundle(sha256: string): Promise<Uint8Array | undefined>;
  /** Records (or with undefined, forgets) the install of skill `name`; bundles no install refers to and put over an
   * hour ago are dropped. Contract: changes the generation. */
  setInstall(name: string, entry: SkillInstallEntry | undefined): Promise<void>;
  /** Records (or with undefined, forgets) the grants of skill `name`. Contract: changes the generation. */
  setGrant(name: string, grant: SkillGrantEntry | undefined): Promise<void>;
  /** A number that changes with every setInstall and setGrant (0 before the first): one small query. */
  generation(): Promise<number>;
  snapshot(): Promise<SkillsSnapshot>;
}

/** One indexed memory file of an agent, as last indexed. */
export interface MemoryFileRecord {
  /** `MEMORY.md`, `memory/2025-01-31.md`, or an absolute path under one of `memory.extra_paths`. */
  path: string;
  /** sha256 of the content, hex. */
  hash: string;
  size: number;
  mtimeMs: number;
  indexedAt: number;
  chunks: number;
}

/** A chunk of a memory file: lines `startLine..endLine` (1-based, inclusive). */
export interface MemoryChunkInput {
  startLine: number;
  endLine: number;
  /** sha256 of `content`, hex: the embedding cache key. */
  hash: string;
  content: string;
}

export interface MemoryChunk extends MemoryChunkInput {
  id: number;
  path: string;
}

/** A full-text hit: `score` is higher for better matches (BM25 negated on SQLite, ts_rank_cd on PostgreSQL). */
export interface MemoryTextHit extends MemoryChunk {
  score: number;
}

/** The memory index of each agent: files, Markdown chunks, full-text search, and embeddings cached by chunk hash. */
export interface MemoryRepo {
  /** The indexed files of an agent, by path. */
  files(agentId: string): Promise<MemoryFileRecord[]>;
  /** Replaces a file's record and chunks. Contract: atomic; searches see the old chunks or the new ones, never a mix. */
  putFile(agentId: string, file: Omit<MemoryFileRecord, "chunks">, chunks: readonly MemoryChunkInput[]): Promise<void>;
  /** Updates size and mtime of a file whose content did not change (its chunks stay). */
  touchFile(agentId: string, file: Pick<MemoryFileRecord, "path" | "size" | "mtimeMs">): Promise<void>;
  /** Deletes files' records and chunks (embeddings stay cached by hash). */
  removeFiles(agentId: string, paths: readonly string[]): Promise<void>;
  /**
   * Chunks matching any of `terms` (words: letters, digits, `_`), best first. Contract: terms are data, never query
   * syntax; no terms → no hits.
   */
  searchText(agentId: string, terms: readonly string[], limit: number): Promise<MemoryTextHit[]>;
  /** Every chunk of an agent, with its vector under `model` when one is cached (`vector` absent otherwise). */
  chunks(agentId: string, opts?: { model?: string }): Promise<Array<MemoryChunk & { vector?: Float32Array }>>;
  /** Caches vectors by model and chunk hash. Contract: idempotent (an existing entry is kept). */
  putEmbeddings(model: string, entries: ReadonlyArray<{ hash: string; vector: Float32Array }>): Promise<void>;
}

/** Schedules and the record of their fires (and heartbeat ticks). */
export interface ScheduleRepo {
  /** Throws ScheduleNameTaken when the name is in use. */
  create(schedule: Omit<Schedule, "createdAt" | "updatedAt" | "lastFireAt"> & { createdAt?: number }): Promise<Schedule>;
  /** By id, or by name when no schedule has that id. */
  get(idOrName: string): Promise<Schedule | undefined>;
  /** Ordered by name. `createdBy` narrows to one creator (an agent's own reminders: `tool:<sessionKey>`). */
  list(opts?: { createdBy?: string }): Promise<Schedule[]>;
  /** Writes the given fields (and updatedAt). Returns the schedule as updated, undefined when unknown. Throws
   * ScheduleNameTaken on a rename to a name in use. */
  update(id: string, patch: Partial<Pick<Schedule, "name" | "kind" | "expr" | "tz" | "message" | "agentId" | "session" | "deliver" | "concurrency" | "catchup" | "suspended" | "nextFireAt" | "lastFireAt">>): Promise<Schedule | undefined>;
  /** Deletes the schedule and its fire records; false when unknown. */
  remove(id: string): Promise<boolean>;
  /** Schedules not suspended whose nextFireAt is at or before `now`, soonest first. */
  due(now: number): Promise<Schedule[]>;
  /** The soonest nextFireAt of any schedule not suspended, or undefined. */
  nextDue(): Promise<number | undefined>;
  /**
   * Records a fire. Contract: atomic and unique on (scheduleId, fireAt): false (nothing written) when that fire was
   * recorded already, by this process or another — so of two schedulers racing for one fire exactly one gets true.
   */
  recordFire(fire: Omit<ScheduleFire, "createdAt" | "finishedAt" | "deliveryError"> & { createdAt?: number }): Promise<boolean>;
  updateFire(scheduleId: string, fireAt: number, patch: Partial<Pick<ScheduleFire, "status" | "reason" | "runId" | "sessionKey" | "finishedAt" | "delivery" | "deliveryError">>): Promise<void>;
  /** Newest first. `before`: only fires planned before this time (paging). */
  fires(scheduleId: string, opts?: { limit?: number; before?: number }): Promise<ScheduleFire[]>;
  /** Fires of any schedule whose delivery is still `pending` (for re-delivery after a restart), oldest first. */
  pendingDeliveries(limit?: number): Promise<ScheduleFire[]>;
}

/** Approval requests for tool calls and the standing rules `always` answers add. */
export interface ApprovalRepo {
  /** Stores a new pending request. Contract: unique on (runId, callId): when that call already has a request, returns
   * the existing one (`created: false`) and writes nothing — a resumed run never asks twice. */
  create(req: Omit<ApprovalRequest, "status" | "answer" | "answeredBy" | "answeredAt">): Promise<{ request: ApprovalRequest; created: boolean }>;
  get(id: string): Promise<ApprovalRequest | undefined>;
  /** The request of one tool call, if any. */
  forCall(runId: string, callId: string): Promise<ApprovalRequest | undefined>;
  /** Newest first. */
  list(opts?: { status?: ApprovalStatus[]; sessionKey?: string; runId?: string; limit?: number }): Promise<ApprovalRequest[]>;
  /**
   * Answers a pending request (compare-and-set from `pending`): returns it as answered, or undefined when it is unknown or
   * was answered (or expired) already. Contract: of concurrent answers exactly one applies.
   */
  answer(id: string, answer: { status: "approved" | "denied" | "expired"; answer?: "once" | "always"; by: string; at: number }): Promise<ApprovalRequest | undefined>;
  /** Pending requests whose expiresAt is at or before `now`, oldest first. */
  overdue(now: number): Promise<ApprovalRequest[]>;
  addRule(rule: ApprovalRule): Promise<void>;
  /** Ordered by creation. */
  rules(opts?: { agentId?: string }): Promise<ApprovalRule[]>;
  /** False when unknown. */
  removeRule(id: string): Promise<boolean>;
}

/** Elevated mode, one record per session (the latest). */
export interface ElevationRepo {
  get(sessionKey: string): Promise<Elevation | undefined>;
  /** Replaces the session's record. */
  put(elevation: Elevation): Promise<void>;
  /** Active elevations (status active, whatever their expiry), for expiry sweeps and the UI. */
  active(): Promise<Elevation[]>;
}

/** A schedule name already used by another schedule. */
export class ScheduleNameTaken extends Error {
  readonly scheduleName: string;
  constructor(name: string) {
    super(`a schedule named "${name}" exists already`);
    this.name = "ScheduleNameTaken";
    this.scheduleName = name;
  }
}

/** Everything Pincer persists. Contract: all methods are safe to call concurrently. */
export interface Store {
  sessions: SessionRepo;
  transcript: TranscriptRepo;
  runs: RunRepo;
  usage: UsageRepo;
  audit: AuditRepo;
  journal: JournalRepo;
  leases: LeaseRepo;
  deliveries: DeliveryRepo;
  pairing: PairingRepo;
  groupContext: GroupContextRepo;
  notices: NoticeRepo;
  skills: SkillRepo;
  memory: MemoryRepo;
  schedules: ScheduleRepo;
  approvals: ApprovalRepo;
  elevations: ElevationRepo;
  /** Applies pending migrations; returns the names applied. Idempotent. */
  migrate(): Promise<string[]>;
  /** Names of migrations not yet applied (for `pincer doctor`). */
  pendingMigrations(): Promise<string[]>;
  close(): Promise<void>;
}
