// The outbound queue of finished channel runs: `outbound.<channel>.<account>` on the instance's bus, consumed by
// the process holding that channel account. Small on purpose: every executor imports it.
import type { Bus } from "../bus/bus.ts";
import type { Run } from "../core/domain.ts";

/** The outbound topic of one channel account. */
export const outboundTopic = (channel: string, account: string) => `outbound.${channel}.${account}` as const;

/** Publishes a finished run's reply job when it came from a channel; the executor's onRunFinished. */
export async function queueReply(bus: Bus, run: Run): Promise<void> {
  if (!run.origin) return;
  await bus.publish(outboundTopic(run.origin.channel, run.origin.account), { runId: run.id }, { msgId: `reply-${run.id}-${run.attempt}` });
}
