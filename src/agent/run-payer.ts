// Who pays for a run's model calls, as budgets see it: the run's session and agent, and the sender of the chat message
// that started it — for a sub-agent, the message that started its nearest ancestor with an origin.
import type { Run } from "../core/domain.ts";
import type { ReplyRoute } from "../core/inbound.ts";
import type { BudgetPayer } from "../models/model-events.ts";
import type { Store } from "../store/store.ts";

/** Ancestors read at most to find a sub-agent's origin (sub-agent depth is capped well below this by policy). */
const MAX_ANCESTORS = 8;

/** The payer of `run`'s model calls. Reads the store only for a sub-agent (one run per ancestor up to its origin). */
export async function payerOfRun(store: Store, run: Run): Promise<BudgetPayer> {
  let origin: ReplyRoute | undefined = run.origin;
  let parentId = run.parentRunId;
  for (let depth = 0; !origin && parentId !== undefined && depth < MAX_ANCESTORS; depth++) {
    const parent = await store.runs.get(parentId);
    origin = parent?.origin;
    parentId = parent?.parentRunId;
  }
  return {
    runId: run.id, sessionKey: run.sessionKey, agentId: run.agentId,
    ...(origin?.senderId ? { sender: `${origin.channel}:${origin.senderId}` } : {}),
    ...(origin ? { origin } : {}),
  };
}
