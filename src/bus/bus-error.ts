// Errors of the Bus port: one closed `code` per failure kind, a message naming the server or topic and the fix.
// Secrets never appear in messages (URLs are redacted by the adapter before building one).

export type BusErrorCode =
  /** The server cannot be reached, or did not confirm in time. Retrying later may help. */
  | "unavailable"
  /** The server refused the credentials. */
  | "auth_failed"
  /** The credentials are valid but not allowed this subject or JetStream API call. */
  | "permission_denied"
  /** The server (or the account) has no JetStream. */
  | "jetstream_disabled"
  /** A stream or consumer exists with a config the bus cannot change (retention, another group on the topic). */
  | "config_conflict"
  /** A topic, group, subject or instance id the bus cannot use. A caller bug. */
  | "invalid_name"
  /** The bus was closed. */
  | "closed";

/** A Bus operation failed. Callers branch on `code`; `retryable` says whether the same call may succeed later. */
export class BusError extends Error {
  override readonly name = "BusError";
  readonly code: BusErrorCode;

  constructor(code: BusErrorCode, message: string, opts?: { cause?: unknown }) {
    super(message, { cause: opts?.cause });
    this.code = code;
  }

  get retryable(): boolean {
    return this.code === "unavailable";
  }
}

export function isBusError(err: unknown): err is BusError {
  return err instanceof BusError;
}

/** The error every implementation gives when a second group tries to consume a topic that already has one. */
export function groupConflict(topic: string, existing: string, wanted: string): BusError {
  return new BusError(
    "config_conflict",
    `work topic "${topic}" is already consumed by durable "${existing}"; a work queue has one consumer group per topic, so "${wanted}" cannot be added. Fix: consume with the same group, or remove the stale durable (NATS: 'nats consumer rm <stream> ${existing}')`,
  );
}
