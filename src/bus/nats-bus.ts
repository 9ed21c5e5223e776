// The Bus on NATS JetStream (cluster runtime): durable work queues in the instance's work-queue stream, dead letters
// in its DLQ stream, live events as core NATS messages under `pincer.<instance>.`. Publishes survive short outages.
import { setTimeout as sleep } from "node:timers/promises";
import type { JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { MsgHdrs, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { BusError, groupConflict } from "./bus-error.ts";
import { DEAD_LETTER_HEADERS, deadLetterSubject, durableName, eventPattern, eventSubject, isWorkSubject, validateInstance, workSubject } from "./bus-subjects.ts";
import type { Bus, BusHealth, ConsumeOptions, Consumer, CrossInstancePublisher, EventHandler, WorkHandler, WorkTopic } from "./bus.ts";
import { keepWorking } from "./keep-working.ts";
import { classifyNatsError, connectNats, displayUrl, errorText, isTransient, jetStreamMissing, loadNats, toBusError, watchStatus, type NatsConnection, type NatsModules } from "./nats-connect.ts";
import { NatsWorkConsumer } from "./nats-consumer.ts";
import { ensureStreams, ensureWorkConsumer, workStreamName } from "./nats-streams.ts";
import type { DeliveryPolicy } from "./work-delivery.ts";

/** Marks a msgId the bus generated for retry dedupe, so consumers still see `msgId: undefined`. */
const AUTO_ID_HEADER = "Pincer-Auto-Msg-Id";
const PUBLISH_RETRY_MS = [100, 250, 500, 1_000, 2_000];

export interface NatsBusOptions {
  /** Scopes every subject, stream and the inbox prefix. */
  instance: string;
  /** `nats://host:port[,nats://…]` (bus.url). */
  url: string;
  user?: string;
  password?: string;
  nkeySeed?: string;
  credsFile?: string;
  /** ms a handler may go without ack or `working()` before redelivery (bus.ack_wait_ms). */
  ackWaitMs: number;
  /** Deliveries before a message is dead-lettered (bus.max_deliver). */
  maxDeliver: number;
  /** Redelivery delays (ms) after failures (bus.backoff_ms); the last repeats. */
  backoffMs: readonly number[];
  log: Logger;
  /** Client name shown by the server; default `pincer-<instance>`. */
  name?: string;
  /** ms a publish keeps retrying through an outage (same msgId) before it rejects. Default 30 000. */
  publishTimeoutMs?: number;
  /** ms a pull request waits on the server before being renewed. Default 30 000 (min 1 000). */
  pullExpiresMs?: number;
}

/**
 * Connects, creates or updates the instance's streams, and returns the bus. Loads the NATS packages on first call.
 * Rejects with BusError (unavailable, auth_failed, permission_denied, jetstream_disabled, config_conflict) whose
 * message names the server (credentials masked) and the fix.
 */
export async function openNatsBus(opts: NatsBusOptions): Promise<NatsBus> {
  validateInstance(opts.instance);
  const log = opts.log.child({ component: "bus.nats", instance: opts.instance });
  const mods = await loadNats();
  const nc = await connectNats(mods.core, {
    url: opts.url,
    user: opts.user,
    password: opts.password,
    nkeySeed: opts.nkeySeed,
    credsFile: opts.credsFile,
    name: opts.name ?? `pincer-${opts.instance}`,
    inboxPrefix: `_INBOX_${opts.instance}`,
    log,
  });
  const ctx = { url: opts.url, instance: opts.instance };
  try {
    const jsm = await mods.js.jetstreamManager(nc).catch((err: unknown) => {
      throw jetStreamMissing(err, ctx);
    });
    await ensureStreams(jsm, opts.instance, log).catch((err: unknown) => {
      throw err instanceof BusError ? err : toBusError(err, `creating the streams of instance ${opts.instance}`, ctx);
    });
    log.info({ server: displayUrl(opts.url), version: nc.info?.version }, "bus connected");
    return new NatsBus({ opts, log, mods, nc, jsm });
  } catch (err) {
    await nc.close().catch(() => {});
    throw err;
  }
}

interface NatsBusParts {
  opts: NatsBusOptions;
  log: Logger;
  mods: NatsModules;
  nc: NatsConnection;
  jsm: JetStreamManager;
}

export class NatsBus implements Bus, CrossInstancePublisher {
  readonly instance: string;
  private readonly opts: NatsBusOptions;
  private readonly log: Logger;
  private readonly mods: NatsModules;
  private readonly nc: NatsConnection;
  private readonly jsm: JetStreamManager;
  private readonly js: JetStreamClient;
  private readonly policy: DeliveryPolicy;
  private readonly consumers = new Set<NatsWorkConsumer>();
  private readonly owners = new Map<string, string>(); // topic → durable consumed by this process
  private readonly subscriptions = new Set<Subscription>();
  private connected = true;
  private closing: Promise<void> | undefined;

  constructor(parts: NatsBusParts) {
    this.opts = parts.opts;
    this.instance = parts.opts.instance;
    this.log = parts.log;
    this.mods = parts.mods;
    this.nc = parts.nc;
    this.jsm = parts.jsm;
    this.js = parts.mods.js.jetstream(parts.nc);
    this.policy = { maxDeliver: parts.opts.maxDeliver, backoffMs: parts.opts.backoffMs };
    watchStatus(this.nc, this.log, {
      onDisconnect: () => (this.connected = false),
      onReconnect: () => {
        this.connected = true;
        for (const c of this.consumers) c.repull();
      },
    });
  }

  async publish(topic: WorkTopic, data: unknown, opts?: { msgId?: string }): Promise<void> {
    if (this.closing) throw closedError();
    const subject = workSubject(this.instance, topic);
    const h = this.mods.core.headers();
    let msgId = opts?.msgId;
    if (msgId === undefined) {
      msgId = `auto-${this.mods.core.nuid.next()}`;
      h.set(AUTO_ID_HEADER, "1");
    }
    await this.publishDurable(subject, JSON.stringify(data) ?? "null", msgId, h);
  }

  async publishInbound(instance: string, data: unknown, opts: { msgId: string }): Promise<void> {
    if (this.closing) throw closedError();
    validateInstance(instance);
    await this.publishDurable(workSubject(instance, "inbound"), JSON.stringify(data) ?? "null", opts.msgId, this.mods.core.headers());
  }

  consume<T>(topic: WorkTopic, group: string, handler: WorkHandler<T>, opts?: ConsumeOptions): Consumer {
    if (this.closing) throw closedError();
    const subject = workSubject(this.instance, topic);
    const durable = durableName(topic, group);
    const owner = this.owners.get(topic);
    if (owner !== undefined && owner !== durable) throw groupConflict(topic, owner, durable);
    this.owners.set(topic, durable);
    const spec = { stream: workStreamName(this.instance), durable, topic, subject, ackWaitMs: this.opts.ackWaitMs };
    const ctx = { url: this.opts.url, instance: this.instance };
    const consumer = new NatsWorkConsumer({
      js: this.js,
      durable,
      handler: handler as WorkHandler<unknown>,
      concurrency: opts?.concurrency ?? 1,
      policy: this.policy,
      log: this.log.child({ durable }),
      pullExpiresMs: Math.max(1_000, this.opts.pullExpiresMs ?? 30_000),
      ackTimeoutMs: 5_000,
      ensure: async () => {
        try {
          return await ensureWorkConsumer(this.jsm, spec, this.log);
        } catch (err) {
          if (classifyNatsError(err) !== "stream_not_found") throw err instanceof BusError ? err : toBusError(err, `creating consumer ${durable}`, ctx);
          await ensureStreams(this.jsm, this.instance, this.log);
          return ensureWorkConsumer(this.jsm, spec, this.log);
        }
      },
      decode: (m) => ({ data: m.json(), msgId: m.headers?.has(AUTO_ID_HEADER) ? undefined : m.headers?.get("Nats-Msg-Id") || undefined }),
      deadLetter: (m, reason, deliveries) => this.deadLetter(m, topic, reason, deliveries),
    });
    this.consumers.add(consumer);
    return {
      stop: async () => {
        await consumer.stop();
        this.consumers.delete(consumer);
      },
    };
  }

  emit(subject: string, data: unknown): void {
    const full = eventSubject(this.instance, subject);
    if (this.closing) return;
    try {
      this.nc.publish(full, JSON.stringify(data) ?? "null");
    } catch (err) {
      this.log.debug({ subject, err: errorText(err) }, "event not sent");
    }
  }

  subscribe(pattern: string, handler: EventHandler): () => void {
    if (this.closing) throw closedError();
    const prefix = `pincer.${this.instance}.`;
    const sub = this.nc.subscribe(eventPattern(this.instance, pattern), {
      callback: (err, msg) => {
        if (err) {
          this.log.error({ pattern, err: errorText(err) }, "event subscription ended by the server");
          return;
        }
        const relative = msg.subject.slice(prefix.length);
        if (isWorkSubject(relative)) return; // work publishes share the prefix; they are not events
        let data: unknown;
        try {
          data = msg.json();
        } catch {
          this.log.debug({ subject: relative }, "event payload is not JSON; dropped");
          return;
        }
        try {
          handler(data, relative);
        } catch (handlerErr) {
          this.log.warn({ subject: relative, err: errorText(handlerErr) }, "event handler threw");
        }
      },
    });
    this.subscriptions.add(sub);
    return () => {
      this.subscriptions.delete(sub);
      sub.unsubscribe();
    };
  }

  health(): BusHealth {
    const where = displayUrl(this.opts.url);
    if (this.closing || this.nc.isClosed()) return { connected: false, detail: `NATS ${where}: closed` };
    const info = this.nc.info;
    const server = info ? `${info.server_name || info.server_id} v${info.version}${info.jetstream ? ", JetStream" : ""}` : "unknown server";
    return this.connected ? { connected: true, detail: `NATS ${this.nc.getServer()} (${server}): connected` } : { connected: false, detail: `NATS ${where}: disconnected, reconnecting` };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.consumers].map((c) => c.stop()));
      this.consumers.clear();
      for (const sub of this.subscriptions) sub.unsubscribe();
      this.subscriptions.clear();
      try {
        await this.nc.drain();
      } catch {
        await this.nc.close().catch(() => {});
      }
      this.log.info("bus closed");
    })();
    return this.closing;
  }

  /**
   * Publishes to JetStream and waits for the stored confirmation, retrying with the same msgId (so a retry of a
   * stored message is deduplicated) until `publishTimeoutMs`; then rejects with BusError "unavailable".
   */
  private async publishDurable(subject: string, payload: string | Uint8Array, msgId: string, headers: MsgHdrs): Promise<void> {
    const timeoutMs = this.opts.publishTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.js.publish(subject, payload, { msgID: msgId, headers, timeout: Math.min(5_000, Math.max(500, deadline - Date.now())) });
        if (attempt > 0) this.log.info({ subject, attempts: attempt + 1 }, "publish confirmed after retrying");
        return;
      } catch (err) {
        const kind = classifyNatsError(err);
        const wait = PUBLISH_RETRY_MS[Math.min(attempt, PUBLISH_RETRY_MS.length - 1)] ?? 2_000;
        if (this.nc.isClosed() || !isTransient(kind) || Date.now() + wait >= deadline) {
          if (isTransient(kind)) {
            throw new BusError(
              "unavailable",
              `publish to ${subject} was not confirmed by NATS at ${displayUrl(this.opts.url)} within ${Math.round(timeoutMs / 1000)} s (${errorText(err)}); it may or may not be stored. Fix: check that nats-server runs with JetStream and stream ${workStreamName(this.instance)} exists ('pincer doctor'); publish again with the same msgId to stay deduplicated`,
              { cause: err },
            );
          }
          throw toBusError(err, `publishing to ${subject}`, { url: this.opts.url, instance: this.instance });
        }
        if (attempt === 0) this.log.warn({ subject, kind, err: errorText(err) }, "publish not confirmed; retrying with the same msgId");
        await sleep(wait);
      }
    }
  }

  /** Publishes `m` with reason headers to `pincer.<instance>.dlq.<topic>`, then terminates it in the work queue. */
  private async deadLetter(m: JsMsg, topic: WorkTopic, reason: string, deliveries: number): Promise<void> {
    const h = this.mods.core.headers();
    h.set(DEAD_LETTER_HEADERS.subject, m.subject);
    h.set(DEAD_LETTER_HEADERS.deliveries, String(deliveries));
    h.set(DEAD_LETTER_HEADERS.reason, reason.replace(/[\r\n]+/g, " ").slice(0, 1_000));
    const msgId = m.headers?.has(AUTO_ID_HEADER) ? undefined : m.headers?.get("Nats-Msg-Id");
    if (msgId) h.set(DEAD_LETTER_HEADERS.msgId, msgId);
    const stopHeartbeat = keepWorking(m, Math.max(250, this.opts.ackWaitMs / 3));
    try {
      // The work stream's sequence makes a retried dead-lettering of the same message a duplicate.
      await this.publishDurable(deadLetterSubject(this.instance, topic), m.data, `dlq-${m.info.stream}-${m.seq}`, h);
    } catch (err) {
      m.nak(this.opts.backoffMs[0] ?? 1_000);
      throw err;
    } finally {
      stopHeartbeat();
    }
    // term() removes it from the work-queue stream and raises JetStream's "terminated" advisory. No reason argument:
    // servers before 2.10 do not recognise `+TERM <reason>` (the reason is in the dead letter's headers). If the
    // term is lost, the next delivery is past max_deliver and lands here again, deduplicated by the msgId above.
    m.term();
    this.log.warn({ subject: m.subject, deliveries, reason }, "work message moved to the dead-letter stream");
  }
}

function closedError(): BusError {
  return new BusError("closed", "the bus is closed. Fix: open a new bus; a closed one accepts no work");
}
