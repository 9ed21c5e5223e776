// The Store port: everything Pincer persists. Implementations: SQLite (embedded), PostgreSQL later.
// Data access is written once against Kysely; a backend only supplies a dialect and its migrations' types.
import type {
  AuditRecord, JournalEntry, JournalStatus, Run, RunStatus, Session, TranscriptMessage, TranscriptRole, Usage, UsageRecord, UsageTotals,
} from "../core/domain.ts";

export interface SessionRepo {
  /** Returns the session, creating it on first use. Contract: idempotent for the same key. */
  ensure(input: { key: string; agentId: string; channel: string }): Promise<Session>;
  get(key: string): Promise<Session | undefined>;
  /** Newest first. */
  list(opts?: { agentId?: string; limit?: number }): Promise<Session[]>;
  update(key: string, patch: Partial<Pick<Session, "modelOverride" | "queueMode">>): Promise<void>;
  /** Deletes transcript messages (for /reset); keeps runs, usage and audit. */
  clearTranscript(key: string): Promise<void>;
}

export interface TranscriptRepo {
  /** Appends in order; returns the stored rows with ids. */
  append(sessionKey: string, runId: string | undefined, messages: Array<{ role: TranscriptRole; content: unknown }>): Promise<TranscriptMessage[]>;
  /** Oldest first; `limit` keeps the newest N. */
  list(sessionKey: string, opts?: { limit?: number }): Promise<TranscriptMessage[]>;
}

export interface RunRepo {
  /** Creates a run, `pending` unless created already started (`status: "running"` with `startedAt`). */
  create(run: Pick<Run, "id" | "sessionKey" | "agentId" | "input"> & { parentRunId?: string; createdAt?: number; status?: "pending" | "running"; startedAt?: number }): Promise<Run>;
  get(id: string): Promise<Run | undefined>;
  /** Sets status and whichever of the other fields are given. */
  update(id: string, patch: Partial<Omit<Run, "id" | "sessionKey" | "agentId" | "input" | "createdAt">>): Promise<void>;
  /** Newest first. */
  list(opts?: { sessionKey?: string; status?: RunStatus[]; limit?: number }): Promise<Run[]>;
}

export interface UsageRepo {
  record(entry: UsageRecord): Promise<void>;
  /** Totals grouped by provider/model; `since` in epoch ms. */
  totals(opts?: { since?: number; sessionKey?: string }): Promise<UsageTotals[]>;
  /** Sum for one session (for /status, /usage). */
  sessionTotal(sessionKey: string): Promise<Usage>;
}

export interface AuditRepo {
  write(record: AuditRecord): Promise<void>;
  /** Newest first. */
  list(opts?: { runId?: string; kind?: string; limit?: number }): Promise<AuditRecord[]>;
}

export interface JournalRepo {
  /** Journals an inbound message. Contract: returns `duplicate: true` (and the existing entry) when the
   * same channel + account + platformMessageId was already journaled; never throws for a duplicate. */
  append(entry: Omit<JournalEntry, "id" | "status" | "receivedAt"> & { receivedAt?: number }): Promise<{ entry: JournalEntry; duplicate: boolean }>;
  mark(id: number, status: JournalStatus): Promise<void>;
  /** Entries not yet processed, oldest first (for replay after a crash). */
  pending(): Promise<JournalEntry[]>;
}

/** Everything Pincer persists. Contract: all methods are safe to call concurrently. */
export interface Store {
  sessions: SessionRepo;
  transcript: TranscriptRepo;
  runs: RunRepo;
  usage: UsageRepo;
  audit: AuditRepo;
  journal: JournalRepo;
  /** Applies pending migrations; returns the names applied. Idempotent. */
  migrate(): Promise<string[]>;
  /** Names of migrations not yet applied (for `pincer doctor`). */
  pendingMigrations(): Promise<string[]>;
  close(): Promise<void>;
}
