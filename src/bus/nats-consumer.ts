// One `consume()` on NATS: `concurrency` slots, each pulling one message at a time from the durable consumer
// (so the process never holds more unacknowledged messages than it is handling), running it through runDelivery,
// and re-attaching by itself after errors, reconnects and server restarts.
import type { ConsumerInfo, ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { isBusError } from "./bus-error.ts";
import type { Consumer, WorkHandler } from "./bus.ts";
import { classifyNatsError, errorText, isTransient, type NatsFailure } from "./nats-connect.ts";
import { runDelivery, type DeliveryPolicy, type RawDelivery } from "./work-delivery.ts";

export interface NatsConsumerDeps {
  js: JetStreamClient;
  durable: string;
  handler: WorkHandler<unknown>;
  concurrency: number;
  policy: DeliveryPolicy;
  log: Logger;
  /** ms a pull request waits on the server before it is renewed. */
  pullExpiresMs: number;
  /** ms an ack waits for the server's confirmation. */
  ackTimeoutMs: number;
  /** Creates or updates the durable (and the streams when missing); idempotent. */
  ensure(): Promise<ConsumerInfo>;
  /** Decodes a delivery's payload and publisher msgId; throws on a payload that is not JSON. */
  decode(m: JsMsg): { data: unknown; msgId: string | undefined };
  /** Stores `m` as a dead letter and removes it from the work queue. */
  deadLetter(m: JsMsg, reason: string, deliveries: number): Promise<void>;
}

const RETRY_MS = [250, 500, 1_000, 2_000, 5_000];
const STUCK_RETRY_MS = 30_000; // permission or config problems: a human must act; retry slowly meanwhile

export class NatsWorkConsumer implements Consumer {
  private readonly deps: NatsConsumerDeps;
  private readonly slots: Promise<void>[] = [];
  /** Pull requests waiting for a message (not yet handling one): stopped on stop() and after reconnects. */
  private readonly waiting = new Set<ConsumerMessages>();
  private readonly sleeps = new Set<() => void>();
  private attached: Promise<ReturnType<JetStreamClient["consumers"]["getConsumerFromInfo"]>> | undefined;
  private failures = 0;
  private stopped = false;

  constructor(deps: NatsConsumerDeps) {
    this.deps = deps;
    for (let i = 0; i < Math.max(1, deps.concurrency); i++) this.slots.push(this.runSlot());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const batch of this.waiting) batch.stop();
    for (const wake of this.sleeps) wake();
    await Promise.all(this.slots);
  }

  /** After a reconnect: drop pull requests the server may have forgotten and pull again at once. */
  repull(): void {
    for (const batch of this.waiting) batch.stop();
  }

  private async runSlot(): Promise<void> {
    while (!this.stopped) {
      try {
        const m = await this.pullOne();
        this.recovered();
        if (!m) continue;
        if (this.stopped) {
          m.nak(); // handed to another consumer at once instead of after ack wait
          break;
        }
        await this.deliver(m);
      } catch (err) {
        if (this.stopped) break;
        await this.pause(this.failed(err));
      }
    }
  }

  private async pullOne(): Promise<JsMsg | undefined> {
    this.attached ??= this.deps.ensure().then((ci) => this.deps.js.consumers.getConsumerFromInfo(ci));
    const consumer = await this.attached.catch((err: unknown) => {
      this.attached = undefined;
      throw err;
    });
    const batch = await consumer.fetch({ max_messages: 1, expires: this.deps.pullExpiresMs });
    this.waiting.add(batch);
    if (this.stopped) batch.stop(); // stop() ran while this pull was being set up
    try {
      for await (const m of batch) return m;
      return undefined;
    } finally {
      this.waiting.delete(batch);
    }
  }

  private async deliver(m: JsMsg): Promise<void> {
    const { deps } = this;
    let decoded: { data: unknown; msgId: string | undefined };
    try {
      decoded = deps.decode(m);
    } catch (err) {
      await deps.deadLetter(m, `payload is not JSON: ${errorText(err)}`, m.info.deliveryCount).catch(() => m.nak());
      return;
    }
    const raw: RawDelivery = {
      data: decoded.data,
      subject: m.subject,
      deliveryCount: m.info.deliveryCount,
      msgId: decoded.msgId,
      ack: async () => {
        await m.ackAck({ timeout: deps.ackTimeoutMs });
      },
      nak: (delayMs) => m.nak(delayMs),
      working: () => m.working(),
      deadLetter: (reason, deliveries) => deps.deadLetter(m, reason, deliveries),
    };
    await runDelivery(raw, deps.handler, deps.policy, deps.log);
  }

  /** Records a failure; returns the ms to wait before the next pull. */
  private failed(err: unknown): number {
    const kind: NatsFailure = classifyNatsError(err);
    // Whatever failed, check the durable (and the streams) again before the next pull: it may have been deleted,
    // or the server restarted without its store.
    this.attached = undefined;
    this.failures++;
    const needsHuman = isBusError(err) ? !err.retryable : kind === "permission" || kind === "group_conflict" || kind === "auth";
    const stuck = needsHuman || (!isTransient(kind) && this.failures > RETRY_MS.length);
    const fields = { durable: this.deps.durable, kind, failures: this.failures, err: errorText(err) };
    if (this.failures === 1) {
      if (stuck) this.deps.log.error(fields, "bus consumer cannot pull; retrying slowly until fixed");
      else this.deps.log.warn(fields, "bus consumer pull failed; retrying");
    } else this.deps.log.debug(fields, "bus consumer pull failed again");
    return stuck ? STUCK_RETRY_MS : (RETRY_MS[Math.min(this.failures, RETRY_MS.length) - 1] ?? 5_000);
  }

  private recovered(): void {
    if (this.failures === 0) return;
    this.deps.log.info({ durable: this.deps.durable, failures: this.failures }, "bus consumer resumed");
    this.failures = 0;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeps.add(wake);
    });
  }
}
