// Subject naming shared by every Bus implementation: work topics, dead-letter subjects, event subjects, durable
// names, NATS wildcard matching and the dead-letter headers. Pure; no transport here.
import { BusError } from "./bus-error.ts";
import type { WorkTopic } from "./bus.ts";

/** Same rule as the config's `instance`: 1-63 lowercase letters, digits, '-' or '_'. */
const INSTANCE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const NAME_TOKEN = /^[A-Za-z0-9_-]+$/;
// First tokens of an instance's subjects that belong to work queues and the dead-letter stream, never to events.
const WORK_TOKENS: ReadonlySet<string> = new Set(["inbound", "runs", "outbound", "dlq"]);

/** How long a `msgId` is remembered for dedupe. */
export const DEDUPE_WINDOW_MS = 120_000;
/** How long dead letters are kept. */
export const DEAD_LETTER_MAX_AGE_MS = 14 * 24 * 3_600_000;

/** Headers a dead letter carries besides the original payload (and its `Nats-Msg-Id`, when it had one). */
export const DEAD_LETTER_HEADERS = {
  subject: "Pincer-Dlq-Subject",
  deliveries: "Pincer-Dlq-Deliveries",
  reason: "Pincer-Dlq-Reason",
  msgId: "Pincer-Dlq-Msg-Id",
} as const;

/** A message moved to `pincer.<instance>.dlq.<topic>`. */
export interface DeadLetter {
  /** The original work subject, e.g. `pincer.default.runs`. */
  subject: string;
  data: unknown;
  /** Why it was given up: the handler's error, the term() reason, or "no answer within ack wait". */
  reason: string;
  /** Deliveries made before it was moved. */
  deliveries: number;
  msgId: string | undefined;
}

/** Throws BusError("invalid_name") unless `instance` is a valid instance id. */
export function validateInstance(instance: string): void {
  if (!INSTANCE.test(instance)) {
    throw new BusError("invalid_name", `bus instance id "${instance}" is invalid: expected 1-63 lowercase letters, digits, '-' or '_'. Fix: set 'instance' in pincer.yaml to such an id`);
  }
}

/** Validates a work topic: `inbound`, `runs` or `outbound.<channel>.<account>` (tokens of letters, digits, '-', '_'). */
export function validateTopic(topic: string): asserts topic is WorkTopic {
  const tokens = topic.split(".");
  const ok = topic === "inbound" || topic === "runs" || (tokens.length === 3 && tokens[0] === "outbound" && NAME_TOKEN.test(tokens[1] ?? "") && NAME_TOKEN.test(tokens[2] ?? ""));
  if (!ok) {
    throw new BusError("invalid_name", `"${topic}" is not a work topic: expected inbound, runs or outbound.<channel>.<account> (letters, digits, '-', '_')`);
  }
}

/** `pincer.<instance>.<topic>`. */
export function workSubject(instance: string, topic: WorkTopic): string {
  validateTopic(topic);
  return `pincer.${instance}.${topic}`;
}

/** `pincer.<instance>.dlq.<topic>`. */
export function deadLetterSubject(instance: string, topic: WorkTopic): string {
  validateTopic(topic);
  return `pincer.${instance}.dlq.${topic}`;
}

/** The durable consumer name of (topic, group): `<group>_<topic with '.' as '_'>`, e.g. `workers_runs`. */
export function durableName(topic: WorkTopic, group: string): string {
  validateTopic(topic);
  if (!NAME_TOKEN.test(group)) {
    throw new BusError("invalid_name", `consumer group "${group}" is invalid: expected letters, digits, '-' or '_'`);
  }
  return `${group}_${topic.replaceAll(".", "_")}`;
}

/** The full subject of a live event; refuses wildcards and the work/dead-letter subjects. */
export function eventSubject(instance: string, subject: string): string {
  checkEventTokens(subject, false);
  return `pincer.${instance}.${subject}`;
}

/** The full subject pattern of an event subscription (`*` and a final `>` allowed). */
export function eventPattern(instance: string, pattern: string): string {
  checkEventTokens(pattern, true);
  return `pincer.${instance}.${pattern}`;
}

/** True for a relative subject (`runs`, `dlq.runs`, …) that carries work or dead letters rather than events. */
export function isWorkSubject(relative: string): boolean {
  return WORK_TOKENS.has(relative.split(".", 1)[0] ?? "");
}

/** NATS subject matching: `*` matches one token, a final `>` one or more. */
export function matchSubject(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length || (p[i] !== "*" && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** The redelivery delay after a failed delivery `deliveryCount` (1-based): the schedule's entry, the last repeating. */
export function backoffFor(backoffMs: readonly number[], deliveryCount: number): number {
  if (backoffMs.length === 0) return 0;
  return backoffMs[Math.min(Math.max(deliveryCount, 1), backoffMs.length) - 1] ?? 0;
}

function checkEventTokens(subject: string, wildcards: boolean): void {
  const tokens = subject.split(".");
  const bad = tokens.some((t, i) => t === "" || /\s/.test(t) || (t.includes("*") && !(wildcards && t === "*")) || (t.includes(">") && !(wildcards && t === ">" && i === tokens.length - 1)));
  if (bad) {
    throw new BusError("invalid_name", `"${subject}" is not a valid event ${wildcards ? "pattern" : "subject"}: dot-separated tokens without spaces${wildcards ? "; '*' for one token, a final '>' for the rest" : " or wildcards"}`);
  }
  if (WORK_TOKENS.has(tokens[0] ?? "")) {
    throw new BusError("invalid_name", `"${subject}" is a work or dead-letter subject, not an event: use publish()/consume() for work topics; events live under other names, e.g. events.<runId>`);
  }
}
