// JetStream layout of one instance: the work-queue stream, the dead-letter stream and the durable pull consumers —
// their desired configs, idempotent create-or-update (never deleting data), the diff `pincer doctor` reports, and
// reading dead letters back. Takes a JetStreamManager; connects nothing itself.
import type { ConsumerConfig, ConsumerInfo, JetStreamManager, StoredMsg, StreamConfig } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { BusError, groupConflict } from "./bus-error.ts";
import { DEAD_LETTER_HEADERS, DEAD_LETTER_MAX_AGE_MS, DEDUPE_WINDOW_MS, deadLetterSubject, type DeadLetter } from "./bus-subjects.ts";
import type { WorkTopic } from "./bus.ts";
import { classifyNatsError } from "./nats-connect.ts";

const NS_PER_MS = 1_000_000;

/** `PINCER_<instance>`: work-queue retention over the instance's inbound, runs and outbound subjects. */
export function workStreamName(instance: string): string {
  return `PINCER_${instance}`;
}

/** `PINCER_<instance>_DLQ`: limits retention (14 days) over `pincer.<instance>.dlq.>`. */
export function deadLetterStreamName(instance: string): string {
  return `PINCER_${instance}_DLQ`;
}

/** The stream fields the bus sets; everything else keeps the server's default (or the operator's choice). */
export type StreamSpec = Pick<StreamConfig, "name" | "description" | "subjects" | "retention" | "storage" | "duplicate_window"> & { max_age: number };

export function streamSpecs(instance: string): [StreamSpec, StreamSpec] {
  const p = `pincer.${instance}`;
  return [
    {
      name: workStreamName(instance),
      description: `Pincer work queues of instance ${instance}`,
      subjects: [`${p}.inbound`, `${p}.runs`, `${p}.outbound.>`],
      retention: "workqueue",
      storage: "file",
      duplicate_window: DEDUPE_WINDOW_MS * NS_PER_MS,
      max_age: 0,
    },
    {
      name: deadLetterStreamName(instance),
      description: `Pincer dead letters of instance ${instance}`,
      subjects: [`${p}.dlq.>`],
      retention: "limits",
      storage: "file",
      duplicate_window: DEDUPE_WINDOW_MS * NS_PER_MS,
      max_age: DEAD_LETTER_MAX_AGE_MS * NS_PER_MS,
    },
  ];
}

/** One field where the server's config differs from what the bus creates. */
export interface ConfigDiff {
  field: string;
  want: unknown;
  have: unknown;
  /** The bus changes it in place on start; false: only deleting and recreating would (which loses data). */
  updatable: boolean;
}

export function diffStream(want: StreamSpec, have: Partial<StreamConfig>): ConfigDiff[] {
  const out: ConfigDiff[] = [];
  const sameSet = (a: readonly string[] = [], b: readonly string[] = []) => a.length === b.length && a.every((s) => b.includes(s));
  if (!sameSet(want.subjects, have.subjects)) out.push({ field: "subjects", want: want.subjects, have: have.subjects ?? [], updatable: true });
  if (want.retention !== have.retention) out.push({ field: "retention", want: want.retention, have: have.retention, updatable: false });
  if (want.storage !== have.storage) out.push({ field: "storage", want: want.storage, have: have.storage, updatable: false });
  if (want.duplicate_window !== have.duplicate_window) out.push({ field: "duplicate_window", want: want.duplicate_window, have: have.duplicate_window, updatable: true });
  if (want.max_age !== (have.max_age ?? 0)) out.push({ field: "max_age", want: want.max_age, have: have.max_age, updatable: true });
  return out;
}

/** Renders diffs for a message: `retention: want workqueue, have limits`. */
export function describeDiffs(diffs: readonly ConfigDiff[]): string {
  return diffs.map((d) => `${d.field}: want ${JSON.stringify(d.want)}, have ${JSON.stringify(d.have)}`).join("; ");
}

/**
 * Creates the instance's two streams, or updates fields that differ from the spec. Never deletes a stream or its
 * messages: a difference that cannot be changed in place (retention, storage) throws BusError "config_conflict".
 */
export async function ensureStreams(jsm: JetStreamManager, instance: string, log: Logger): Promise<void> {
  for (const spec of streamSpecs(instance)) await ensureStream(jsm, spec, log);
}

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, log: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let have: StreamConfig;
    try {
      have = (await jsm.streams.info(spec.name)).config;
    } catch (err) {
      if (classifyNatsError(err) !== "stream_not_found") throw err;
      try {
        await jsm.streams.add(spec);
        log.info({ stream: spec.name }, "bus stream created");
        return;
      } catch (addErr) {
        // Another process created it in between: compare with what it made.
        if (attempt < 2 && classifyNatsError(addErr) === "api") continue;
        throw addErr;
      }
    }
    const diffs = diffStream(spec, have);
    if (diffs.length === 0) return;
    const fixed = diffs.filter((d) => !d.updatable);
    if (fixed.length > 0) {
      throw new BusError(
        "config_conflict",
        `stream ${spec.name} exists with a config the bus cannot change in place (${describeDiffs(fixed)}). Fix: drain or back up its messages, delete it ('nats stream rm ${spec.name}'), and start again; the bus recreates it`,
      );
    }
    await jsm.streams.update(spec.name, { subjects: spec.subjects, duplicate_window: spec.duplicate_window, max_age: spec.max_age, description: spec.description });
    log.info({ stream: spec.name, changed: diffs.map((d) => d.field) }, "bus stream updated");
    return;
  }
}

export interface WorkConsumerSpec {
  stream: string;
  durable: string;
  topic: WorkTopic;
  /** The topic's full subject, the consumer's filter. */
  subject: string;
  ackWaitMs: number;
}

/**
 * The durable pull consumer of one (topic, group). `max_deliver` is unlimited and `backoff` unset on purpose: the
 * bus counts deliveries itself and dead-letters on the last one (JetStream would leave a message past max_deliver
 * stranded in a work-queue stream), and JetStream's `backoff` would replace `ack_wait` as the time a handler has to
 * heartbeat; the backoff schedule is applied as `nak(delay)` instead.
 */
export function workConsumerConfig(spec: WorkConsumerSpec): Partial<ConsumerConfig> {
  return {
    durable_name: spec.durable,
    description: `Pincer ${spec.topic} consumer`,
    ack_policy: "explicit",
    ack_wait: spec.ackWaitMs * NS_PER_MS,
    max_deliver: -1,
    filter_subject: spec.subject,
    deliver_policy: "all",
    replay_policy: "instant",
  };
}

export function diffConsumer(spec: WorkConsumerSpec, have: Partial<ConsumerConfig>): ConfigDiff[] {
  const want = workConsumerConfig(spec);
  const out: ConfigDiff[] = [];
  if (have.filter_subject !== want.filter_subject) out.push({ field: "filter_subject", want: want.filter_subject, have: have.filter_subject, updatable: false });
  if (have.ack_policy !== want.ack_policy) out.push({ field: "ack_policy", want: want.ack_policy, have: have.ack_policy, updatable: false });
  if (have.ack_wait !== want.ack_wait) out.push({ field: "ack_wait", want: want.ack_wait, have: have.ack_wait, updatable: true });
  if ((have.max_deliver ?? -1) !== want.max_deliver) out.push({ field: "max_deliver", want: want.max_deliver, have: have.max_deliver, updatable: true });
  if ((have.backoff?.length ?? 0) > 0) out.push({ field: "backoff", want: [], have: have.backoff, updatable: true });
  return out;
}

/**
 * Creates the durable consumer, or updates ack_wait / max_deliver / backoff to the spec. A second group on the same
 * topic (refused by work-queue streams) or a durable reused for another subject throws BusError "config_conflict".
 */
export async function ensureWorkConsumer(jsm: JetStreamManager, spec: WorkConsumerSpec, log: Logger): Promise<ConsumerInfo> {
  let have: ConsumerInfo;
  try {
    have = await jsm.consumers.info(spec.stream, spec.durable);
  } catch (err) {
    if (classifyNatsError(err) !== "consumer_not_found") throw err;
    try {
      const created = await jsm.consumers.add(spec.stream, workConsumerConfig(spec));
      log.info({ stream: spec.stream, durable: spec.durable }, "bus consumer created");
      return created;
    } catch (addErr) {
      if (classifyNatsError(addErr) !== "group_conflict") throw addErr;
      throw groupConflict(spec.topic, (await findConsumerOf(jsm, spec)) ?? "another durable", spec.durable);
    }
  }
  const diffs = diffConsumer(spec, have.config);
  if (diffs.length === 0) return have;
  const fixed = diffs.filter((d) => !d.updatable);
  if (fixed.length > 0) {
    throw new BusError(
      "config_conflict",
      `consumer ${spec.durable} of stream ${spec.stream} exists with a config the bus cannot change (${describeDiffs(fixed)}). Fix: remove it ('nats consumer rm ${spec.stream} ${spec.durable}'); unacknowledged messages stay in the stream`,
    );
  }
  const want = workConsumerConfig(spec);
  const updated = await jsm.consumers.update(spec.stream, spec.durable, { ack_wait: want.ack_wait, max_deliver: want.max_deliver, backoff: [] });
  log.info({ stream: spec.stream, durable: spec.durable, changed: diffs.map((d) => d.field) }, "bus consumer updated");
  return updated;
}

async function findConsumerOf(jsm: JetStreamManager, spec: WorkConsumerSpec): Promise<string | undefined> {
  try {
    for await (const ci of jsm.consumers.list(spec.stream)) {
      if (ci.config.filter_subject === spec.subject) return ci.name;
    }
  } catch {
    // Listing may be forbidden; the conflict is reported without the name.
  }
  return undefined;
}

/** Dead letters of the instance (of one topic when given), oldest first, at most `limit`. */
export async function readDeadLetters(jsm: JetStreamManager, instance: string, topic?: WorkTopic, limit = 1_000): Promise<DeadLetter[]> {
  const stream = deadLetterStreamName(instance);
  let state;
  try {
    state = (await jsm.streams.info(stream)).state;
  } catch (err) {
    if (classifyNatsError(err) === "stream_not_found") return [];
    throw err;
  }
  const subject = topic ? deadLetterSubject(instance, topic) : undefined;
  const out: DeadLetter[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && seq > 0 && out.length < limit; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (m && (subject === undefined || m.subject === subject)) out.push(toDeadLetter(m));
  }
  return out;
}

function toDeadLetter(m: StoredMsg): DeadLetter {
  let data: unknown;
  try {
    data = m.json();
  } catch {
    data = m.string();
  }
  const h = m.header;
  return {
    subject: h.get(DEAD_LETTER_HEADERS.subject) || m.subject,
    data,
    reason: h.get(DEAD_LETTER_HEADERS.reason),
    deliveries: Number(h.get(DEAD_LETTER_HEADERS.deliveries) || 0),
    msgId: h.get(DEAD_LETTER_HEADERS.msgId) || undefined,
  };
}
