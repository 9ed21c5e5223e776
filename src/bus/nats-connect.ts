// The NATS connection for the bus: lazy import of the client packages, authentication (user/password, nkey seed,
// creds file), infinite jittered reconnects, a per-instance inbox prefix, status logging, and the one mapping from
// NATS client errors to BusError codes. No streams or consumers here.
import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import { redactSecrets } from "../config/redact.ts";
import { BusError } from "./bus-error.ts";

export type NatsCore = typeof import("@nats-io/transport-node");
export type NatsJetStream = typeof import("@nats-io/jetstream");
export type NatsConnection = import("@nats-io/transport-node").NatsConnection;

/** The client packages, imported on first use so the embedded runtime never loads them. */
export interface NatsModules {
  core: NatsCore;
  js: NatsJetStream;
}

export async function loadNats(): Promise<NatsModules> {
  const [core, js] = await Promise.all([import("@nats-io/transport-node"), import("@nats-io/jetstream")]);
  return { core, js };
}

export interface NatsConnectOptions {
  /** `nats://host:port[,nats://…]`, optionally with `user:password@`. */
  url: string;
  user?: string;
  password?: string;
  /** An NKey user seed (`SU…`). */
  nkeySeed?: string;
  /** Path of a `.creds` file (JWT + seed). */
  credsFile?: string;
  /** Client name shown by the server's monitoring. */
  name: string;
  /** Inbox prefix, e.g. `_INBOX_<instance>`, so permissions can be scoped to it. */
  inboxPrefix: string;
  log: Logger;
  /** Keep reconnecting forever after the first connection (true for the bus; doctor probes use false). */
  reconnect?: boolean;
  /** ms for the first connection handshake. Default 10 000. */
  connectTimeoutMs?: number;
}

/** What a failed NATS call amounts to. */
export type NatsFailure =
  | "auth"
  | "permission"
  | "no_jetstream"
  | "no_responders"
  | "timeout"
  | "unreachable"
  | "closed"
  | "stream_not_found"
  | "consumer_not_found"
  | "group_conflict"
  | "api"
  | "other";

/** The server list with any `user:password@` removed, for connecting and for messages. */
export function natsServers(url: string): string[] {
  return url
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.replace(/^(nats:\/\/)[^@/]*@/, "$1"));
}

/** The URL for messages and logs: credentials masked. */
export function displayUrl(url: string): string {
  return redactSecrets(url);
}

/**
 * Connects with the configured authentication. Rejects with BusError "auth_failed" or "unavailable" naming the
 * server and the fix; never puts a secret in the message.
 */
export async function connectNats(core: NatsCore, opts: NatsConnectOptions): Promise<NatsConnection> {
  const where = displayUrl(opts.url);
  const fromUrl = /^nats:\/\/([^:@/]+)(?::([^@/]*))?@/.exec(opts.url.split(",")[0]?.trim() ?? "");
  const user = opts.user ?? (fromUrl?.[1] ? decodeURIComponent(fromUrl[1]) : undefined);
  const pass = opts.password ?? (fromUrl?.[2] ? decodeURIComponent(fromUrl[2]) : undefined);
  const authenticator = [];
  if (opts.nkeySeed) authenticator.push(core.nkeyAuthenticator(new TextEncoder().encode(opts.nkeySeed.trim())));
  if (opts.credsFile) {
    let creds: Uint8Array;
    try {
      creds = await readFile(opts.credsFile);
    } catch (err) {
      throw new BusError("auth_failed", `cannot read the NATS credentials file ${opts.credsFile} (${(err as NodeJS.ErrnoException).code ?? "error"}). Fix: correct bus.creds_file or the file's permissions`, { cause: err });
    }
    authenticator.push(core.credsAuthenticator(creds));
  }
  const reconnect = opts.reconnect ?? true;
  try {
    return await core.connect({
      servers: natsServers(opts.url),
      name: opts.name,
      inboxPrefix: opts.inboxPrefix,
      ...(user !== undefined ? { user, pass: pass ?? "" } : {}),
      ...(authenticator.length > 0 ? { authenticator } : {}),
      reconnect,
      maxReconnectAttempts: reconnect ? -1 : 0,
      reconnectTimeWait: 1_000,
      reconnectJitter: 1_000,
      pingInterval: 20_000,
      maxPingOut: 3,
      timeout: opts.connectTimeoutMs ?? 10_000,
    });
  } catch (err) {
    throw connectError(err, where);
  }
}

/** Logs connection status changes until the connection closes; calls `onReconnect` after each reconnect. */
export function watchStatus(nc: NatsConnection, log: Logger, handlers: { onDisconnect(): void; onReconnect(): void }): void {
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case "disconnect":
          handlers.onDisconnect();
          log.warn({ server: s.server }, "bus disconnected; reconnecting");
          break;
        case "reconnect":
          log.info({ server: s.server }, "bus reconnected");
          handlers.onReconnect();
          break;
        case "ldm":
          log.info({ server: s.server }, "bus server is entering lame duck mode; will move to another server");
          break;
        case "staleConnection":
          log.warn("bus connection is stale; reconnecting");
          break;
        case "error":
          log.warn({ err: redactSecrets(s.error.message) }, "bus server reported an error");
          break;
        default:
          break;
      }
    }
  })().catch(() => {
    // The iterator ends when the connection closes.
  });
}

/** Classifies an error thrown by the NATS client, looking through `cause` chains. */
export function classifyNatsError(err: unknown): NatsFailure {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    switch (e.name) {
      case "PermissionViolationError":
        return "permission";
      case "AuthorizationError":
      case "UserAuthenticationExpiredError":
        return "auth";
      case "ClosedConnectionError":
      case "DrainingConnectionError":
        return "closed";
      case "StreamNotFoundError":
        return "stream_not_found";
      case "ConsumerNotFoundError":
        return "consumer_not_found";
      case "TimeoutError":
        return "timeout";
      case "NoResponders":
        return "no_responders";
      case "JetStreamApiError":
        if (code === 10039) return "no_jetstream";
        if (code === 10100) return "group_conflict";
        if (code === 10014) return "consumer_not_found";
        if (code === 10059) return "stream_not_found";
        return "api";
      case "JetStreamStatusError":
        if (code === 503) return "no_responders";
        if (code === 409 && /consumer (is )?deleted/i.test(e.message)) return "consumer_not_found";
        return "other";
      case "JetStreamError":
        if (/heartbeats missed/i.test(e.message)) return "timeout";
        break;
      case "ConnectionError":
        return "unreachable";
      default:
        break;
    }
    if (typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|ETIMEDOUT|EPIPE)$/.test(code)) return "unreachable";
    if (e.name === "JetStreamNotEnabled") {
      // The client reports "no responders" on a JetStream request this way: JetStream is off, still starting, or no
      // stream listens on the subject.
      return "no_responders";
    }
  }
  return "other";
}

/** Failures worth retrying: the server is restarting, unreachable for a moment, or slow to answer. */
export function isTransient(kind: NatsFailure): boolean {
  return kind === "timeout" || kind === "no_responders" || kind === "unreachable";
}

/** The message of an error without secrets. */
export function errorText(err: unknown): string {
  return redactSecrets(err instanceof Error ? err.message : String(err));
}

/** A BusError for a failed JetStream call on `what` (e.g. `creating stream PINCER_x`), with the fix. */
export function toBusError(err: unknown, what: string, ctx: { url: string; instance: string }): BusError {
  const where = displayUrl(ctx.url);
  const detail = errorText(err);
  switch (classifyNatsError(err)) {
    case "permission":
      return new BusError("permission_denied", `NATS at ${where} denied ${what} (${detail}). Fix: give this user the permissions from natsPermissionsFor("${ctx.instance}") (see docs/nats.md)`, { cause: err });
    case "auth":
      return new BusError("auth_failed", `NATS at ${where} refused the credentials while ${what} (${detail}). Fix: check bus.user/bus.password, bus.nkey_seed or bus.creds_file`, { cause: err });
    case "no_jetstream":
      return new BusError("jetstream_disabled", `NATS at ${where} has no JetStream for this account (${what}). Fix: start nats-server with -js (or a jetstream {} block) and enable JetStream for the account`, { cause: err });
    case "closed":
      return new BusError("closed", `the bus connection to ${where} is closed (${what})`, { cause: err });
    case "timeout":
    case "no_responders":
    case "unreachable":
      return new BusError("unavailable", `NATS at ${where} did not answer ${what} (${detail}). Fix: check that nats-server is running with JetStream ('pincer doctor' checks it)`, { cause: err });
    default:
      return new BusError("config_conflict", `NATS at ${where} refused ${what}: ${detail}. Fix: run 'pincer doctor' to compare the server's streams with what the bus expects`, { cause: err });
  }
}

/** The error for a failed JetStream API check: no answer from `$JS.API.INFO` means JetStream is off. */
export function jetStreamMissing(err: unknown, ctx: { url: string; instance: string }): BusError {
  const kind = classifyNatsError(err);
  if (kind !== "no_responders" && kind !== "no_jetstream") return toBusError(err, "the JetStream API check", ctx);
  return new BusError("jetstream_disabled", `NATS at ${displayUrl(ctx.url)} does not answer JetStream requests (${errorText(err)}). Fix: start nats-server with -js (or a jetstream {} block) and enable JetStream for the account`, { cause: err });
}

function connectError(err: unknown, where: string): BusError {
  const detail = errorText(err);
  if (classifyNatsError(err) === "auth") {
    return new BusError("auth_failed", `NATS at ${where} refused the credentials (${detail}). Fix: check bus.user/bus.password, bus.nkey_seed or bus.creds_file against the server's authorization config`, { cause: err });
  }
  return new BusError("unavailable", `cannot connect to NATS at ${where} (${detail}). Fix: start nats-server with JetStream (nats-server -js), or correct bus.url`, { cause: err });
}
