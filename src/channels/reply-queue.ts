// The outbound queue of finished channel runs: `outbound.<channel>.<account>` on the instance's bus, consumed by
// the process holding that channel account. Small on purpose: every executor imports it.
import type { Bus } from "../bus/bus.ts";
import type { Run } from "../core/domain.ts";
import { isHeartbeatOk } from "./kit/reply-directives.ts";

/** The outbound topic of one channel account. */
export const outboundTopic = (channel: string, account: string) => `outbound.${channel}.${account}` as const;

/**
 * A heartbeat run with nothing for the chat: it answered HEARTBEAT_OK, or it did not succeed (a failure is recorded on the
 * heartbeat's tick and in the log; repeating it in the chat every tick would only be noise).
 */
export function isQuietHeartbeat(run: Pick<Run, "trigger" | "status" | "reply">): boolean {
  return run.trigger === "heartbeat" && (run.status !== "succeeded" || isHeartbeatOk(run.reply ?? ""));
}

/** Publishes a finished run's reply job when it came from a channel and has something to say; the executor's onRunFinished. */
export async function queueReply(bus: Bus, run: Run): Promise<void> {
  if (!run.origin || isQuietHeartbeat(run)) return;
  await bus.publish(outboundTopic(run.origin.channel, run.origin.account), { runId: run.id }, { msgId: `reply-${run.id}-${run.attempt}` });
}
