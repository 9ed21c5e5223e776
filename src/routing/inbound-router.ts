// Cluster ingress: consumes `pincer.<instance>.inbound` and turns each journaled message (or accepted agent message
// from another instance) into a run record and a run job. Idempotent under redelivery: a journal id always maps to the same run id, and the job is deduped by it.
import type { Logger } from "pino";
import type { Bus, Consumer } from "../bus/bus.ts";
import type { Store } from "../store/store.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { a2aJobSchema, inboundJobSchema, runIdForJournal, type InboundJob, type RunJob } from "./cluster-messages.ts";

export interface InboundRouterOptions {
  store: Store;
  bus: Bus;
  now: () => number;
  log: Logger;
  concurrency?: number;
  /** The running config, for agent-to-agent messages from other instances (a2a.allow_from); none are accepted without it. */
  config?: () => PincerConfig;
}

/** Starts routing; every control process may run one (they share the `router` consumer group). */
export function startInboundRouter(opts: InboundRouterOptions): Consumer {
  const log = opts.log.child({ component: "router" });
  return opts.bus.consume<unknown>("inbound", "router", async (msg) => {
    if ((msg.data as { kind?: unknown } | null)?.kind === "a2a") {
      const a2a = a2aJobSchema.safeParse(msg.data);
      if (!a2a.success || !opts.config) {
        log.warn({ subject: msg.subject, issue: a2a.error?.issues[0]?.message }, "agent message dropped: malformed, or not accepted here");
        return msg.term(a2a.success ? "agent messages are not accepted by this router" : `malformed agent message: ${a2a.error.issues[0]?.message ?? "invalid"}`);
      }
      const { acceptA2aMessage } = await import("./agent-messages.ts");
      await acceptA2aMessage({ store: opts.store, bus: opts.bus, config: opts.config, now: opts.now }, a2a.data);
      return msg.ack();
    }
    const parsed = inboundJobSchema.safeParse(msg.data);
    if (!parsed.success) {
      log.error({ subject: msg.subject, issue: parsed.error.issues[0]?.message }, "malformed inbound job; dead-lettered");
      return msg.term(`malformed inbound job: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    }
    await route(opts, parsed.data);
    await msg.ack();
  }, { concurrency: opts.concurrency ?? 8 });
}

async function route(opts: InboundRouterOptions, job: InboundJob): Promise<void> {
  const runId = runIdForJournal(job.journalId);
  if (!(await opts.store.runs.get(runId))) {
    await opts.store.sessions.ensure({ key: job.sessionKey, agentId: job.agentId, channel: job.channel });
    try {
      await opts.store.runs.create({
        id: runId, sessionKey: job.sessionKey, agentId: job.agentId, input: job.text, createdAt: opts.now(), ...(job.origin ? { origin: job.origin } : {}),
        ...(job.trigger ? { trigger: job.trigger } : {}), ...(job.taint?.length ? { taint: job.taint } : {}),
      });
    } catch (err) {
      // Another router took the same redelivered message first; the run exists, which is all we need.
      if (!(await opts.store.runs.get(runId))) throw err;
    }
  }
  await opts.store.journal.mark(job.journalId, "processed", runId);
  await opts.bus.publish("runs", { runId } satisfies RunJob, { msgId: runId });
}
