// One delivery of a work message through a handler, shared by every Bus implementation: turns the handler's
// outcome (return, throw, ack, nak, term, silence) into exactly one settlement, applying backoff and max_deliver.
import type { Logger } from "pino";
import { backoffFor } from "./bus-subjects.ts";
import type { WorkHandler, WorkMessage } from "./bus.ts";

export interface DeliveryPolicy {
  /** Deliveries that run the handler; a failure on the last one moves the message to the dead-letter subject. */
  maxDeliver: number;
  /** Redelivery delays (ms) after a failed delivery, in order; the last repeats. */
  backoffMs: readonly number[];
}

/** What a transport provides for one delivery; `runDelivery` calls at most one of ack / nak / deadLetter. */
export interface RawDelivery {
  data: unknown;
  subject: string;
  deliveryCount: number;
  msgId: string | undefined;
  ack(): Promise<void>;
  nak(delayMs: number): void;
  working(): void;
  /** Stores the message in the dead-letter subject with `reason`, then removes it from the queue. */
  deadLetter(reason: string, deliveries: number): Promise<void>;
}

/**
 * Runs `handler` on one delivery and settles it once: a handler that returns without settling acks; one that throws
 * or naks is redelivered after the backoff, or dead-lettered when this was delivery `maxDeliver`; `term(reason)`
 * dead-letters at once. A delivery past `maxDeliver` (the previous attempt never answered within ack wait, e.g. its
 * process died) is dead-lettered without running the handler.
 * Contract: never throws; resolves once the handler returned and the settlement was sent.
 */
export async function runDelivery(raw: RawDelivery, handler: WorkHandler<unknown>, policy: DeliveryPolicy, log: Logger): Promise<void> {
  const count = raw.deliveryCount;
  if (count > policy.maxDeliver) {
    await settleSafely(raw.deadLetter(`no answer within ack wait after ${policy.maxDeliver} deliveries`, count - 1), raw, log);
    return;
  }
  let settled = false;
  let pending: Promise<void> | undefined;
  const fail = (reason: string, delayMs?: number): void => {
    if (count >= policy.maxDeliver) pending = settleSafely(raw.deadLetter(reason, count), raw, log);
    else raw.nak(delayMs ?? backoffFor(policy.backoffMs, count));
  };
  const msg: WorkMessage = {
    data: raw.data,
    subject: raw.subject,
    deliveryCount: count,
    msgId: raw.msgId,
    async ack() {
      if (settled) return;
      settled = true;
      await raw.ack();
    },
    nak(delayMs?: number) {
      if (settled) return;
      settled = true;
      fail(`nak on delivery ${count} of ${policy.maxDeliver}`, delayMs);
    },
    working() {
      if (!settled) raw.working();
    },
    async term(reason: string) {
      if (settled) return;
      settled = true;
      await raw.deadLetter(reason, count);
    },
  };
  try {
    await handler(msg);
    if (!settled) {
      settled = true;
      await settleSafely(raw.ack(), raw, log);
    }
  } catch (err) {
    if (!settled) {
      settled = true;
      const message = err instanceof Error ? err.message : String(err);
      log.debug({ subject: raw.subject, deliveryCount: count, err: message }, "work handler failed");
      fail(`handler failed on delivery ${count} of ${policy.maxDeliver}: ${message}`);
    }
  }
  await pending;
}

async function settleSafely(settlement: Promise<void>, raw: RawDelivery, log: Logger): Promise<void> {
  try {
    await settlement;
  } catch (err) {
    // The message stays unsettled on the server and comes back after ack wait; the next delivery settles it.
    log.warn({ subject: raw.subject, deliveryCount: raw.deliveryCount, err: err instanceof Error ? err.message : String(err) }, "work message settlement failed; it will be redelivered");
  }
}
