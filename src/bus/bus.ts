// The Bus port: durable work queues (inbound messages, runs, outbound replies) and live run events, scoped to one
// instance. Implementations: in-process (memory-bus.ts, embedded runtime) and NATS JetStream (nats-bus.ts, cluster).

/** Durable work-queue topics of an instance. Subject: `pincer.<instance>.<topic>`. */
export type WorkTopic = "inbound" | "runs" | `outbound.${string}.${string}`;

export interface WorkMessage<T = unknown> {
  readonly data: T;
  /** The full subject, e.g. `pincer.default.runs`. */
  readonly subject: string;
  /** 1 on the first delivery; grows with every redelivery. */
  readonly deliveryCount: number;
  /** The publisher's dedupe id, when it gave one. */
  readonly msgId: string | undefined;
  /** Done: the message is removed from the queue. */
  ack(): Promise<void>;
  /** Failed for now: redelivered after `delayMs`, or after the configured backoff for this delivery count. */
  nak(delayMs?: number): void;
  /** Still working: resets the redelivery timer (call well within `bus.ack_wait_ms`). */
  working(): void;
  /** Never redeliver: the message goes to the dead-letter subject with `reason`. */
  term(reason: string): Promise<void>;
}

export type WorkHandler<T> = (msg: WorkMessage<T>) => Promise<void>;

export interface ConsumeOptions {
  /** Most unacknowledged messages this process holds at once. Default 1. */
  concurrency?: number;
}

export interface Consumer {
  /** Stops pulling and waits for the handlers in flight to return. Unacked messages are redelivered elsewhere. */
  stop(): Promise<void>;
}

export type EventHandler = (data: unknown, subject: string) => void;

export interface BusHealth {
  connected: boolean;
  /** Human-readable server / state description for `pincer doctor` and /readyz. */
  detail: string;
}

/**
 * Contract:
 * - `publish` resolves only once the message is durably stored; the same `msgId` published twice within the
 *   dedupe window is stored once.
 * - Each published work message is handled by exactly one consumer of the topic at a time; a handler that throws,
 *   naks, or stops heartbeating past ack_wait gets the message redelivered (to any consumer) until `max_deliver`,
 *   after which it is moved to `pincer.<instance>.dlq.<topic>` and never redelivered.
 * - Events are live only: a subscriber sees events emitted after it subscribed while connected; nothing is replayed.
 * - An instance's bus never delivers another instance's messages or events.
 */
export interface Bus {
  readonly instance: string;
  publish(topic: WorkTopic, data: unknown, opts?: { msgId?: string }): Promise<void>;
  /** `group` names the durable consumer: every process consuming `topic` with the same group shares its messages. */
  consume<T>(topic: WorkTopic, group: string, handler: WorkHandler<T>, opts?: ConsumeOptions): Consumer;
  /** Publishes a live event on `pincer.<instance>.<subject>`, e.g. `events.run_abc`. Fire and forget. */
  emit(subject: string, data: unknown): void;
  /** Subscribes to live events by relative pattern (NATS wildcards `*`, `>`), e.g. `events.>`. Returns unsubscribe. */
  subscribe(pattern: string, handler: EventHandler): () => void;
  health(): BusHealth;
  /** Drains: stops consumers, flushes pending publishes, closes the connection. */
  close(): Promise<void>;
}

/** Optional capability (cluster runtime): a durable publish on another instance's inbound subject, for agent-to-agent
 * messages. The NATS user must be allowed to publish there (a2a.allow_to). */
export interface CrossInstancePublisher {
  /** Contract: resolves once the target instance's stream stored the message; `msgId` dedupes as `publish` does. */
  publishInbound(instance: string, data: unknown, opts: { msgId: string }): Promise<void>;
}

export function canPublishToInstance(bus: Bus): bus is Bus & CrossInstancePublisher {
  return typeof (bus as Partial<CrossInstancePublisher>).publishInbound === "function";
}
