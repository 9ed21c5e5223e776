// Where a finished fire's answer goes. A chat target was the run's origin, so the normal reply path has delivered it
// (idempotently, keyed by the run); a webhook target gets one JSON POST here; `NO_REPLY` sends nothing either way.
import type { RunOutcome } from "../agent/run-agent.ts";
import { planReply } from "../channels/kit/reply-directives.ts";
import { parseDeliverTarget } from "../core/automation-config.ts";
import type { FireDeliveryStatus, Schedule } from "../core/domain.ts";
import { postRunResult, type PostResultOptions } from "./deliver-webhook.ts";

export interface FireDelivery {
  delivery: FireDeliveryStatus;
  deliveryError?: string;
}

/** The JSON a `webhook:<url>` target receives for each finished fire. Receivers dedupe on `schedule.id` + `fireAt`. */
export interface FireWebhookPayload {
  schedule: { id: string; name: string };
  fireAt: number;
  runId: string | null;
  status: string;
  reply: string | null;
  error: string | null;
}

/** Whether the fire's delivery starts `pending` (something may be sent once the run ends) or is `none` from the start. */
export function initialDelivery(deliver: string): FireDeliveryStatus {
  const target = parseDeliverTarget(deliver);
  return !target || target.kind === "none" ? "none" : "pending";
}

/**
 * Delivers a finished fire and says what became of it. Chat: `sent` when the reply path has something to send (an answer
 * that is not `NO_REPLY`, or a failure notice), `none` otherwise. Webhook: POSTed unless the answer is `NO_REPLY`.
 * Contract: never throws.
 */
export async function deliverFire(
  schedule: Pick<Schedule, "id" | "name" | "deliver">,
  fireAt: number,
  outcome: Pick<RunOutcome, "runId" | "status" | "reply" | "error" | "errorCode">,
  opts: PostResultOptions = {},
): Promise<FireDelivery> {
  const target = parseDeliverTarget(schedule.deliver);
  if (!target || target.kind === "none") return { delivery: "none" };
  const plan = planReply(outcome.reply ?? "");
  const succeeded = outcome.status === "succeeded";
  if (succeeded && plan.silent) return { delivery: "none" };
  if (target.kind === "chat") return { delivery: succeeded || outcome.status === "failed" ? "sent" : "none" };
  const payload: FireWebhookPayload = {
    schedule: { id: schedule.id, name: schedule.name }, fireAt, runId: outcome.runId || null, status: outcome.status,
    reply: succeeded ? plan.text : null, error: succeeded ? null : (outcome.error ?? outcome.errorCode ?? null),
  };
  const posted = await postRunResult(target.url, payload, { userAgent: "pincer-schedule", ...opts });
  return posted.ok ? { delivery: "sent" } : { delivery: "failed", deliveryError: `${posted.error} after ${posted.attempts} attempt(s)` };
}
