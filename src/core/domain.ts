// Domain records persisted by the Store and passed between layers: sessions, runs, transcript, usage, audit, journal,
// and the cluster runtime's leases and deliveries.
// Plain data only; behaviour lives in the layers that own it.
import type { ActivationMode } from "./channel-config.ts";
import type { QueueMode } from "./config-schema.ts";
import type { ReplyRoute } from "./inbound.ts";

/** `waiting_approval`: running, paused on a tool call until an owner answers (still in flight: resumed after a restart). */
export type RunStatus = "pending" | "running" | "waiting_approval" | "succeeded" | "failed" | "cancelled" | "interrupted";
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "cancelled", "interrupted"];

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** USD; 0 when the model has no price entry. */
  costUsd: number;
}

export const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 };

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedTokens: a.cachedTokens + b.cachedTokens,
    costUsd: a.costUsd + b.costUsd,
  };
}

export interface Session {
  key: string;
  agentId: string;
  channel: string;
  /** Session-only model override (`provider/model` or tier). */
  modelOverride: string | undefined;
  queueMode: QueueMode | undefined;
  /** Group sessions: `/activation` override of mention gating. */
  activation: ActivationMode | undefined;
  /** Set from the first message of the conversation (cleared by /new and /reset), or renamed by the user. */
  title: string | undefined;
  createdAt: number; // epoch ms
  updatedAt: number; // epoch ms
  /** The latest compaction: what the model sees instead of the transcript up to `throughId`. Absent until one ran. */
  compaction?: SessionCompaction;
  /** Untrusted content the conversation holds (cleared by /new and /reset); every run of the session starts tainted by it. */
  taint?: TaintSource[] | undefined;
}

/**
 * Where untrusted content in a run's context came from. `message`: a non-owner's chat message; `web`: a web_fetch result;
 * `hook`: a webhook body; `file`: an inbound file; `mcp`: an untrusted MCP server's result; `agent`: another agent's message.
 */
export interface TaintSource {
  kind: "message" | "web" | "hook" | "file" | "mcp" | "agent";
  /** Human-readable and audit-ready, e.g. `web_fetch https://example.com/page`, `telegram group member 1234 (@bob)`. */
  label: string;
  at: number; // epoch ms
}

/** A compaction summary kept on a session. The transcript itself is never shortened by it. */
export interface SessionCompaction {
  /** Summary of the transcript messages with ids up to and including `throughId` (and of any earlier summary). */
  summary: string;
  throughId: number;
  /** When it ran, epoch ms. */
  at: number;
}

/**
 * What started a run: a chat or WebChat message, an API call (`/v1`, `pincer run`), a schedule fire, a heartbeat tick, a
 * webhook trigger (`hook`: its input came from an untrusted request body), or another agent (sub-agents, agent-to-agent).
 * Absent on runs created before triggers were recorded.
 */
export type RunTrigger = "message" | "api" | "schedule" | "heartbeat" | "hook" | "agent";
export const RUN_TRIGGERS: readonly RunTrigger[] = ["message", "api", "schedule", "heartbeat", "hook", "agent"];

export interface Run {
  id: string;
  sessionKey: string;
  agentId: string;
  parentRunId: string | undefined;
  status: RunStatus;
  input: string;
  reply: string | undefined;
  errorCode: string | undefined;
  error: string | undefined;
  /** `provider/model` that produced the final answer. */
  model: string | undefined;
  usage: Usage;
  createdAt: number; // epoch ms
  startedAt: number | undefined;
  finishedAt: number | undefined;
  /** How many times the run was claimed for execution (0 until the first claim; >1 means it was retried). */
  attempt: number;
  /** Who claimed it last (a worker or process id). */
  worker: string | undefined;
  /** Where the reply goes when the run came from a chat channel (or an automation delivering to one). */
  origin: ReplyRoute | undefined;
  /** What started it; undefined for runs recorded before triggers were. */
  trigger?: RunTrigger | undefined;
  /** Untrusted content this run holds (its input's, its session's, its tools' results'), oldest first. */
  taint?: TaintSource[] | undefined;
}

export type TranscriptRole = "user" | "assistant" | "tool";

/** One message of a session's transcript. `content` is the model message (AI SDK ModelMessage shape) as JSON. */
export interface TranscriptMessage {
  id: number;
  sessionKey: string;
  runId: string | undefined;
  role: TranscriptRole;
  content: unknown;
  createdAt: number; // epoch ms
}

export interface UsageRecord {
  runId: string | undefined;
  sessionKey: string | undefined;
  agentId: string | undefined;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
  at: number; // epoch ms
  /** Recording again with a key already recorded is a no-op (e.g. `<runId>:<attempt>:<step>`). */
  idempotencyKey?: string;
  /** Who the call was made for, `<channel>:<senderId>` (from the run's origin), for `sender:` budgets. */
  sender?: string;
}

/** Spend in a window of the usage ledger, for budgets. */
export interface Spend {
  /** Input + output tokens. */
  tokens: number;
  costUsd: number;
  calls: number;
  /** Calls whose model has no price (they count 0 USD; token limits still see them). */
  unpricedCalls: number;
}

export interface UsageTotals extends Usage {
  provider: string;
  model: string;
  calls: number;
}

export type AuditDecision = "allow" | "deny" | "info";

export interface AuditRecord {
  id?: number;
  at: number; // epoch ms
  /** e.g. `tool.call`, `queue.preempt`, `run.interrupted`. */
  kind: string;
  decision: AuditDecision;
  runId: string | undefined;
  sessionKey: string | undefined;
  tool: string | undefined;
  reason: string | undefined;
  /** Redacted, size-capped detail (arguments, command, exit code). */
  detail: Record<string, unknown> | undefined;
}

export type JournalStatus = "received" | "processed" | "failed";

export interface JournalEntry {
  id: number;
  channel: string;
  account: string;
  platformMessageId: string;
  sessionKey: string | undefined;
  payload: unknown;
  status: JournalStatus;
  receivedAt: number; // epoch ms
  /** The run that took this message, once one did (for a resend: which run answers it). */
  runId: string | undefined;
}

/** A per-key lease (e.g. one active run per session across processes). Valid while `now < expiresAt`. */
export interface Lease {
  key: string;
  holder: string;
  acquiredAt: number; // epoch ms, when this holder took it
  expiresAt: number; // epoch ms
}

/** `claimed`: someone is sending; `sent`: done; `retryable`: failed, may be claimed again; `failed`: failed for good. */
export type DeliveryStatus = "claimed" | "sent" | "retryable" | "failed";

/** One outbound effect (a reply chunk, a notice), keyed so a retry never repeats it. */
export interface Delivery {
  key: string;
  owner: string;
  status: DeliveryStatus;
  /** Claims so far, including the current one. */
  attempts: number;
  platformMessageId: string | undefined;
  error: string | undefined;
  createdAt: number; // epoch ms
  updatedAt: number; // epoch ms
}

/** An unknown sender's pending request to talk to the bot in DMs, approved with `pincer pairing approve`. */
export interface PairingRequest {
  channel: string;
  account: string;
  senderId: string;
  senderName: string | undefined;
  /** 8 characters, no look-alikes (no 0/O, 1/I/L). */
  code: string;
  /** The DM chat to notify on approval. */
  chatId: string;
  createdAt: number; // epoch ms
  expiresAt: number; // epoch ms
}

/** A sender allowed in DMs through pairing (in addition to the config's allow_from). */
export interface ApprovedSender {
  channel: string;
  account: string;
  senderId: string;
  senderName: string | undefined;
  approvedAt: number; // epoch ms
}

/** An unanswered group message kept as context for the next answered one. */
export interface GroupContextEntry {
  id: number;
  sessionKey: string;
  sender: string;
  text: string;
  at: number; // epoch ms
}

/** A message for a chat that no run produced (pairing approval, notices), sent by whichever process holds the channel. */
export interface Notice {
  id: number;
  channel: string;
  account: string;
  chatId: string;
  text: string;
  createdAt: number; // epoch ms
  sentAt: number | undefined;
}

export type ScheduleKind = "cron" | "every" | "at";
export type ScheduleConcurrency = "forbid" | "allow" | "replace";
export type ScheduleCatchup = "skip" | "once";

/** A stored schedule (`pincer cron add`, the API, the `schedule` tool). = `ClawSchedule`. */
export interface Schedule {
  id: string;
  /** Unique per instance. */
  name: string;
  kind: ScheduleKind;
  /** `cron`: a cron expression (5 or 6 fields); `every`: a duration (`30m`); `at`: an ISO 8601 date-time. */
  expr: string;
  /** IANA time zone for `cron` and for an `at` without offset; undefined = the host's. */
  tz: string | undefined;
  /** The run's input. */
  message: string;
  agentId: string;
  /** `isolated` (a fresh session per fire), `main`, or a session key. */
  session: string;
  /** A delivery target (`none`, `<channel>:<account>:<peer>`, `webhook:<url>`). */
  deliver: string;
  concurrency: ScheduleConcurrency;
  catchup: ScheduleCatchup;
  suspended: boolean;
  /** `cli`, `api`, `ui`, or `tool:<sessionKey>` for reminders an agent created. */
  createdBy: string;
  createdAt: number; // epoch ms
  updatedAt: number; // epoch ms
  /** Next time it fires, epoch ms; undefined when it never will again (a past `at`). */
  nextFireAt: number | undefined;
  lastFireAt: number | undefined;
}

/** `started`: a run was created; `skipped`: not run (concurrency forbid, catch-up skip, heartbeat precheck); the rest
 * are the run's outcome. */
export type ScheduleFireStatus = "started" | "skipped" | "succeeded" | "failed" | "cancelled";
export type FireDeliveryStatus = "none" | "pending" | "sent" | "failed";

/** One fire of a schedule (or tick of a heartbeat, `scheduleId` `heartbeat:<agent>`), unique per schedule and time. */
export interface ScheduleFire {
  scheduleId: string;
  /** The planned fire time, epoch ms: with `scheduleId` the fire's identity across processes. */
  fireAt: number;
  status: ScheduleFireStatus;
  /** Why it was skipped or failed. */
  reason: string | undefined;
  runId: string | undefined;
  sessionKey: string | undefined;
  createdAt: number; // epoch ms
  finishedAt: number | undefined;
  delivery: FireDeliveryStatus;
  deliveryError: string | undefined;
}

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired";
/** Why a call waits for approval: a `policy.tools.ask` rule, `policy.exec.level: ask`, or taint. */
export type ApprovalReason = "ask" | "exec" | "taint";

/** A tool call waiting for (or answered by) an owner. */
export interface ApprovalRequest {
  /** Short and typeable in a chat: `/approve <id>`. */
  id: string;
  runId: string;
  sessionKey: string;
  agentId: string;
  /** The model's tool call id: with `runId`, the call's identity, so a resumed run never asks twice. */
  callId: string;
  tool: string;
  /** What an `always` answer allows from now on with `tool`: the binary (exec), the host (web_fetch), or undefined (the tool). */
  subject: string | undefined;
  /** A redacted, size-capped view of the arguments, shown to the approver. */
  summary: string;
  reason: ApprovalReason;
  /** For `taint`: the untrusted sources that tainted the run. */
  taintSources: TaintSource[] | undefined;
  status: ApprovalStatus;
  /** Set when approved: `once` or `always` (a rule was added). */
  answer: "once" | "always" | undefined;
  /** Who answered: `telegram:1234`, `operator:ui`, `operator:cli`, `operator:api`, or `timeout`. */
  answeredBy: string | undefined;
  createdAt: number; // epoch ms
  expiresAt: number; // epoch ms
  answeredAt: number | undefined;
}

/** A narrow standing approval added by an `always` answer: `tool` with `subject` (or any call of `tool` when none). */
export interface ApprovalRule {
  id: string;
  /** The agent it applies to. */
  agentId: string;
  tool: string;
  subject: string | undefined;
  createdBy: string;
  createdAt: number; // epoch ms
  /** The request whose answer created it. */
  fromRequest: string | undefined;
}

/** Elevated mode of one session: asked for (`pending`, with a confirmation code), `active` until `expiresAt`, or `ended`. */
export interface Elevation {
  sessionKey: string;
  status: "pending" | "active" | "ended";
  /** What `/elevate confirm <code>` must repeat (pending only). */
  code: string | undefined;
  minutes: number;
  reason: string | undefined;
  requestedBy: string;
  requestedAt: number; // epoch ms
  startedAt: number | undefined;
  expiresAt: number | undefined;
  endedAt: number | undefined;
  /** `expired`, `ended by <who>`, `/new`. */
  endReason: string | undefined;
}
