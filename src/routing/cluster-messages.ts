// The cluster runtime's bus payloads (inbound messages, run jobs, stop requests), validated with zod on receipt,
// and the ids that make redelivery idempotent: a journaled message always becomes the same run id.
import { z } from "zod";
import { QUEUE_MODES } from "../core/config-schema.ts";
import { RUN_TRIGGERS, type Run, type RunTrigger } from "../core/domain.ts";
import { taintSourcesSchema } from "../core/taint-sources.ts";
import type { RunOutcome } from "../agent/run-agent.ts";

/** `pincer.<instance>.inbound`: a journaled message waiting to become a run. */
export const inboundJobSchema = z.object({
  journalId: z.number().int().positive(),
  sessionKey: z.string().min(1),
  agentId: z.string().min(1),
  channel: z.string().min(1),
  text: z.string(),
  queueMode: z.enum(QUEUE_MODES).optional(),
  /** Where the reply goes (channel messages). */
  origin: z.object({
    channel: z.string(), account: z.string(), chatKind: z.enum(["dm", "group"]), chatId: z.string(),
    threadId: z.string().optional(), messageId: z.string().optional(), senderId: z.string().optional(),
  }).optional(),
  trigger: z.enum(RUN_TRIGGERS as readonly [RunTrigger, ...RunTrigger[]]).optional(),
  /** Untrusted content the text carries (trust labels), recorded on the run. */
  taint: taintSourcesSchema.optional(),
});
export type InboundJob = z.infer<typeof inboundJobSchema>;

/** `pincer.<instance>.inbound` too: an agent-to-agent message from another instance (send_agent_message). The sender
 * is as its instance's Pincer declares it; NATS permissions decide which instances may publish here at all. */
export const a2aJobSchema = z.object({
  kind: z.literal("a2a"),
  /** The sender's id for this message: dedupes redeliveries, and names the run it becomes. */
  msgId: z.string().regex(/^a2a_[0-9a-z]{1,40}$/),
  from: z.object({ instance: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/), agent: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i) }),
  to: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i),
  text: z.string().min(1).max(20_000),
  /** Messages so far in this conversation between agents, this one included (a2a.max_turns). */
  turn: z.number().int().min(1).max(1000),
});
export type A2aJob = z.infer<typeof a2aJobSchema>;

/** `pincer.<instance>.outbound.<channel>.<account>`: a finished run whose reply the channel's holder delivers. */
export const replyJobSchema = z.object({ runId: z.string().min(1) });
export type ReplyJob = z.infer<typeof replyJobSchema>;

/** `pincer.<instance>.runs`: a run record waiting for a worker. */
export const runJobSchema = z.object({ runId: z.string().min(1) });
export type RunJob = z.infer<typeof runJobSchema>;

/** `pincer.<instance>.control.stop` (live event): stop a session's active run. */
export const stopRequestSchema = z.object({
  sessionKey: z.string().min(1),
  reason: z.enum(["cancelled", "interrupted"]),
});
export type StopRequest = z.infer<typeof stopRequestSchema>;

export const EVENTS_PREFIX = "events";
export const STOP_SUBJECT = "control.stop";

/** The live-event subject of one run. */
export function eventSubject(runId: string): string {
  return `${EVENTS_PREFIX}.${runId}`;
}

/** The run id a journal entry becomes: deterministic, so a redelivered inbound message cannot start a second run. */
export function runIdForJournal(journalId: number): string {
  return `run_j${journalId}`;
}

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled", "interrupted"]);

/** A finished run record as the outcome its waiters expect. */
export function outcomeOf(run: Run): RunOutcome {
  return {
    runId: run.id,
    status: run.status,
    reply: run.reply ?? "",
    usage: run.usage,
    model: run.model,
    errorCode: run.errorCode,
    error: run.error,
  };
}
