// The in-process Bus (embedded runtime, unit tests): work queues with JetStream's semantics — one handler per
// message at a time, redelivery on failure or ack-wait expiry, max_deliver → dead letters, msgId dedupe — and live
// events with NATS wildcards. Nothing is persisted: a process restart loses queued work.
import pino, { type Logger } from "pino";
import { BusError, groupConflict } from "./bus-error.ts";
import { DEDUPE_WINDOW_MS, durableName, eventPattern, eventSubject, matchSubject, validateInstance, workSubject, type DeadLetter } from "./bus-subjects.ts";
import type { Bus, BusHealth, ConsumeOptions, Consumer, EventHandler, WorkHandler, WorkTopic } from "./bus.ts";
import { runDelivery, type DeliveryPolicy, type RawDelivery } from "./work-delivery.ts";

export interface MemoryBusOptions {
  instance: string;
  /** ms a delivery may go without ack or `working()` before it is redelivered. Default 30 000. */
  ackWaitMs?: number;
  /** Default 5. */
  maxDeliver?: number;
  /** ms; default [1000, 5000, 30000]. */
  backoffMs?: readonly number[];
  /** Shared between buses to model several processes on one server; default: a private one. */
  broker?: MemoryBroker;
  log?: Logger;
}

/** Dead letters kept per subject; the oldest go first (the NATS DLQ stream keeps 14 days instead). */
const MAX_DEAD_LETTERS = 1_000;

interface Entry {
  readonly seq: number;
  readonly payload: string;
  readonly msgId: string | undefined;
  deliveries: number;
  /** Identifies the current delivery; settlements of older deliveries only ack (like JetStream acks by sequence). */
  token: number;
  state: "ready" | "inflight" | "delayed";
  timer: NodeJS.Timeout | undefined;
}

interface Queue {
  readonly subject: string;
  readonly entries: Map<number, Entry>;
  /** The durable name that owns the topic once consumed, like a work-queue stream's single filtered consumer. */
  owner: string | undefined;
  readonly consumers: MemoryConsumer[];
  nextConsumer: number;
}

interface Subscriber {
  readonly pattern: string;
  readonly handler: EventHandler;
}

/** The shared in-process "server": queues, dedupe memory, dead letters and event subscribers of every instance. */
export class MemoryBroker {
  readonly queues = new Map<string, Queue>();
  readonly seen = new Map<string, number>(); // `${instance}\n${msgId}` → expiry epoch ms
  readonly deadLetters = new Map<string, DeadLetter[]>(); // dead-letter subject → entries
  readonly subscribers = new Set<Subscriber>();
  seq = 0;

  queue(subject: string): Queue {
    let q = this.queues.get(subject);
    if (!q) {
      q = { subject, entries: new Map(), owner: undefined, consumers: [], nextConsumer: 0 };
      this.queues.set(subject, q);
    }
    return q;
  }
}

export function createMemoryBroker(): MemoryBroker {
  return new MemoryBroker();
}

/** Opens an in-process bus for `instance`. Contract: the Bus contract, minus durability across restarts. */
export function openMemoryBus(opts: MemoryBusOptions): MemoryBus {
  validateInstance(opts.instance);
  return new MemoryBus(opts);
}

export class MemoryBus implements Bus {
  readonly instance: string;
  private readonly broker: MemoryBroker;
  private readonly policy: DeliveryPolicy & { ackWaitMs: number };
  private readonly log: Logger;
  private readonly consumers = new Set<MemoryConsumer>();
  private readonly subscriptions = new Set<Subscriber>();
  private closed = false;

  constructor(opts: MemoryBusOptions) {
    this.instance = opts.instance;
    this.broker = opts.broker ?? new MemoryBroker();
    this.policy = { ackWaitMs: opts.ackWaitMs ?? 30_000, maxDeliver: opts.maxDeliver ?? 5, backoffMs: opts.backoffMs ?? [1_000, 5_000, 30_000] };
    this.log = (opts.log ?? pino({ level: "silent" })).child({ component: "bus.memory", instance: opts.instance });
  }

  async publish(topic: WorkTopic, data: unknown, opts?: { msgId?: string }): Promise<void> {
    if (this.closed) throw closedError();
    const subject = workSubject(this.instance, topic);
    const payload = JSON.stringify(data) ?? "null";
    const msgId = opts?.msgId;
    if (msgId !== undefined) {
      const key = `${this.instance}\n${msgId}`;
      const now = Date.now();
      // Insertion order is expiry order (a fixed window after each first publish): drop the expired head.
      for (const [k, expiry] of this.broker.seen) {
        if (expiry > now) break;
        this.broker.seen.delete(k);
      }
      if (this.broker.seen.has(key)) return;
      this.broker.seen.set(key, now + DEDUPE_WINDOW_MS);
    }
    const q = this.broker.queue(subject);
    const seq = ++this.broker.seq;
    q.entries.set(seq, { seq, payload, msgId, deliveries: 0, token: 0, state: "ready", timer: undefined });
    pump(q);
  }

  consume<T>(topic: WorkTopic, group: string, handler: WorkHandler<T>, opts?: ConsumeOptions): Consumer {
    if (this.closed) throw closedError();
    const q = this.broker.queue(workSubject(this.instance, topic));
    const durable = durableName(topic, group);
    if (q.owner !== undefined && q.owner !== durable) throw groupConflict(topic, q.owner, durable);
    q.owner = durable;
    const consumer = new MemoryConsumer({
      queue: q,
      handler: handler as WorkHandler<unknown>,
      concurrency: Math.max(1, opts?.concurrency ?? 1),
      policy: this.policy,
      log: this.log,
      broker: this.broker,
      onStop: (c) => this.consumers.delete(c),
    });
    this.consumers.add(consumer);
    q.consumers.push(consumer);
    pump(q);
    return consumer;
  }

  emit(subject: string, data: unknown): void {
    eventSubject(this.instance, subject);
    if (this.closed) return;
    const payload = JSON.stringify(data) ?? "null";
    for (const sub of this.broker.subscribers) {
      if (!matchSubject(sub.pattern, `pincer.${this.instance}.${subject}`)) continue;
      setImmediate(() => {
        if (!this.broker.subscribers.has(sub)) return;
        try {
          sub.handler(JSON.parse(payload), subject);
        } catch (err) {
          this.log.warn({ subject, err: err instanceof Error ? err.message : String(err) }, "event handler threw");
        }
      });
    }
  }

  subscribe(pattern: string, handler: EventHandler): () => void {
    if (this.closed) throw closedError();
    const sub: Subscriber = { pattern: eventPattern(this.instance, pattern), handler };
    this.broker.subscribers.add(sub);
    this.subscriptions.add(sub);
    return () => {
      this.broker.subscribers.delete(sub);
      this.subscriptions.delete(sub);
    };
  }

  health(): BusHealth {
    return { connected: !this.closed, detail: this.closed ? "in-process bus closed" : `in-process bus (instance ${this.instance})` };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const sub of this.subscriptions) this.broker.subscribers.delete(sub);
    this.subscriptions.clear();
    await Promise.all([...this.consumers].map((c) => c.stop()));
  }

  /** Dead letters of `topic` (or of every topic), oldest first. */
  deadLetters(topic?: WorkTopic): DeadLetter[] {
    const prefix = `pincer.${this.instance}.dlq.`;
    const out: DeadLetter[] = [];
    for (const [subject, entries] of this.broker.deadLetters) {
      if (topic === undefined ? subject.startsWith(prefix) : subject === `${prefix}${topic}`) out.push(...entries);
    }
    return out;
  }
}

interface ConsumerDeps {
  queue: Queue;
  handler: WorkHandler<unknown>;
  concurrency: number;
  policy: DeliveryPolicy & { ackWaitMs: number };
  log: Logger;
  broker: MemoryBroker;
  onStop: (c: MemoryConsumer) => void;
}

class MemoryConsumer implements Consumer {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly queue: Queue;
  private readonly deps: ConsumerDeps;
  private stopped = false;

  constructor(deps: ConsumerDeps) {
    this.deps = deps;
    this.queue = deps.queue;
  }

  get free(): boolean {
    return !this.stopped && this.inFlight.size < this.deps.concurrency;
  }

  deliver(entry: Entry): void {
    const q = this.queue;
    entry.deliveries++;
    const token = ++entry.token;
    entry.state = "inflight";
    const current = () => entry.token === token && q.entries.get(entry.seq) === entry;
    const arm = () => {
      clearTimeout(entry.timer);
      entry.timer = setTimeout(() => {
        if (!current() || entry.state !== "inflight") return;
        entry.state = "ready";
        pump(q);
      }, this.deps.policy.ackWaitMs);
      entry.timer.unref();
    };
    const remove = () => {
      clearTimeout(entry.timer);
      if (q.entries.get(entry.seq) === entry) q.entries.delete(entry.seq);
    };
    arm();
    const raw: RawDelivery = {
      data: JSON.parse(entry.payload),
      subject: q.subject,
      deliveryCount: entry.deliveries,
      msgId: entry.msgId,
      ack: async () => remove(),
      nak: (delayMs) => {
        if (!current()) return;
        clearTimeout(entry.timer);
        entry.state = "delayed";
        entry.timer = setTimeout(() => {
          if (!current()) return;
          entry.state = "ready";
          pump(q);
        }, delayMs);
        entry.timer.unref();
      },
      working: () => {
        if (current() && entry.state === "inflight") arm();
      },
      deadLetter: async (reason, deliveries) => {
        if (q.entries.get(entry.seq) !== entry) return;
        remove();
        const dlq = q.subject.replace(/^(pincer\.[^.]+)\./, "$1.dlq.");
        const list = this.deps.broker.deadLetters.get(dlq) ?? [];
        list.push({ subject: q.subject, data: JSON.parse(entry.payload), reason, deliveries, msgId: entry.msgId });
        if (list.length > MAX_DEAD_LETTERS) list.splice(0, list.length - MAX_DEAD_LETTERS);
        this.deps.broker.deadLetters.set(dlq, list);
        this.deps.log.warn({ subject: q.subject, deliveries, reason }, "work message moved to the dead-letter subject");
      },
    };
    const run = runDelivery(raw, this.deps.handler, this.deps.policy, this.deps.log).finally(() => {
      this.inFlight.delete(run);
      pump(q);
    });
    this.inFlight.add(run);
  }

  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      const i = this.queue.consumers.indexOf(this);
      if (i >= 0) this.queue.consumers.splice(i, 1);
      this.deps.onStop(this);
    }
    await Promise.all(this.inFlight);
  }
}

/** Hands ready messages (oldest first) to consumers with a free slot, round-robin. */
function pump(q: Queue): void {
  for (const entry of q.entries.values()) {
    if (entry.state !== "ready") continue;
    const consumer = nextFree(q);
    if (!consumer) return;
    consumer.deliver(entry);
  }
}

function nextFree(q: Queue): MemoryConsumer | undefined {
  for (let i = 0; i < q.consumers.length; i++) {
    const idx = (q.nextConsumer + i) % q.consumers.length;
    const c = q.consumers[idx];
    if (c?.free) {
      q.nextConsumer = idx + 1;
      return c;
    }
  }
  return undefined;
}

function closedError(): BusError {
  return new BusError("closed", "the bus is closed. Fix: open a new bus; a closed one accepts no work");
}
