// Socket Mode inbound for one Slack account: the SDK's SocketModeClient speaks the protocol, this owns the reconnect
// loop (backoffDelay) and acknowledges each envelope only after its handler resolved (journal before ack).
//
// Why SocketModeClient directly, not Bolt's App with a Receiver: App.processEvent acknowledges an Events API envelope
// before any listener runs ("Events API requests are acknowledged right away" in bolt's App.js), so the ack would come
// before the journal; the client hands each envelope over with its own ack(), which we call after deliver resolved.
// Its auto-reconnect is off: when apps.connections.open fails during an automatic reconnect, the SDK rejects a promise
// nobody awaits (SocketModeClient.delayReconnectAttempt → start()), and it waits clientPingTimeout × attempts.
import { SocketModeClient } from "@slack/socket-mode";
import type { Logger as SlackLogger, WebClientOptions } from "@slack/web-api";
import type { Logger } from "pino";
import { ChannelError } from "../../core/errors.ts";
import { backoffDelay, sleep, type BackoffOptions } from "../kit/backoff.ts";
import { toChannelError } from "./slack-errors.ts";

/** What the client emits as `slack_event` for every envelope but hello/disconnect. */
interface SocketEnvelope {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  envelope_id: string;
  type: string;
  body: unknown;
  retry_num?: number;
}

const CONNECT_TIMEOUT_MS = 30_000;
/** A connection that lived this long resets the backoff; shorter ones keep counting up, ms. */
const STABLE_CONNECTION_MS = 60_000;

export interface SlackSocketOptions {
  appToken: string;
  /** Web API options for apps.connections.open (API root, no retries). */
  clientOptions: Omit<WebClientOptions, "logger" | "logLevel">;
  log: Logger;
  sdkLogger: SlackLogger;
  backoff?: BackoffOptions;
  clientPingTimeoutMs?: number;
  now: () => number;
  /** Contract: resolving lets the envelope be acknowledged; rejecting leaves it unacknowledged, so Slack redelivers. */
  onEvent(body: unknown): Promise<void>;
  onState(state: "connected" | "reconnecting" | "failed", detail?: string): void;
}

export class SlackSocket {
  private readonly opts: SlackSocketOptions;
  private readonly client: SocketModeClient;
  private readonly abort = new AbortController();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private inbound: Promise<void> = Promise.resolve();
  private onClosed: (() => void) | undefined;

  constructor(opts: SlackSocketOptions) {
    this.opts = opts;
    this.client = new SocketModeClient({
      appToken: opts.appToken,
      logger: opts.sdkLogger,
      autoReconnectEnabled: false,
      ...(opts.clientPingTimeoutMs ? { clientPingTimeout: opts.clientPingTimeoutMs } : {}),
      clientOptions: { ...opts.clientOptions },
    });
    // Envelopes are handled one at a time, in the order Slack sent them, so the journal keeps the chat's order.
    this.client.on("slack_event", (envelope: SocketEnvelope) => {
      this.inbound = this.inbound.then(() => this.handle(envelope));
    });
    this.client.on("disconnected", () => this.onClosed?.());
  }

  /**
   * Connects; resolves once Slack said hello (or when stopped first). Transient failures are retried with backoff
   * before resolving. Contract: rejects with ChannelError("auth_failed") when Slack refuses the app-level token.
   */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.loop = this.run(resolve, reject);
    });
  }

  /** Closes the connection and ends the reconnect loop. Contract: idempotent; no onEvent call starts afterwards. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await this.client.disconnect().catch(() => {});
    await this.loop;
  }

  private async run(connected: () => void, refused: (err: ChannelError) => void): Promise<void> {
    let first = true;
    let attempt = 0;
    while (!this.stopping) {
      const closed = new Promise<void>((resolve) => {
        this.onClosed = resolve;
      });
      try {
        await this.connect();
      } catch (err) {
        if (this.stopping) break;
        const e = err === undefined ? socketClosedError() : toChannelError(err, "apps.connections.open", "app");
        if (e.code === "auth_failed") {
          this.opts.log.error({ code: e.code, detail: e.message }, "slack socket mode refused");
          if (first) refused(e);
          else this.opts.onState("failed", e.message);
          return;
        }
        attempt += 1;
        this.opts.log.warn({ attempt, code: e.code, detail: e.message }, "slack socket mode connect failed");
        this.opts.onState("reconnecting", e.message);
        if (!(await this.pause(attempt))) break;
        continue;
      }
      if (this.stopping) {
        await this.client.disconnect().catch(() => {});
        break;
      }
      const since = this.opts.now();
      this.opts.onState("connected");
      if (first) {
        first = false;
        connected();
      }
      await closed;
      if (this.stopping) break;
      attempt = this.opts.now() - since >= STABLE_CONNECTION_MS ? 1 : attempt + 1;
      this.opts.log.warn({ attempt }, "slack socket mode connection closed");
      this.opts.onState("reconnecting", "Socket Mode connection closed; reconnecting");
      if (!(await this.pause(attempt))) break;
    }
    if (first) connected();
  }

  /** client.start(), bounded: a socket that opens but never says hello is dropped and retried. */
  private async connect(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const started = this.client.start();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ChannelError({ code: "network", message: "Slack Socket Mode sent no hello within 30 s", channel: "slack", method: "socket" })), CONNECT_TIMEOUT_MS);
    });
    try {
      await Promise.race([started, timeout]);
    } catch (err) {
      started.catch(() => {});
      if (err instanceof ChannelError) await this.client.disconnect().catch(() => {});
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async pause(attempt: number): Promise<boolean> {
    try {
      await sleep(backoffDelay(attempt, this.opts.backoff), this.abort.signal);
      return true;
    } catch {
      return false;
    }
  }

  private async handle(envelope: SocketEnvelope): Promise<void> {
    if (this.stopping) return; // not acknowledged: Slack sends it again on the next connection
    if (envelope.type === "events_api") {
      try {
        await this.opts.onEvent(envelope.body);
      } catch (err) {
        this.opts.log.warn({ envelopeId: envelope.envelope_id, err: err instanceof Error ? err.message : String(err) }, "slack event not acknowledged; Slack will redeliver it");
        return;
      }
    }
    // Interactivity and slash-command envelopes are acknowledged unanswered: this adapter handles neither.
    try {
      await envelope.ack();
    } catch (err) {
      this.opts.log.debug({ envelopeId: envelope.envelope_id, err: err instanceof Error ? err.message : String(err) }, "slack ack not sent; Slack will redeliver");
    }
  }
}

function socketClosedError(): ChannelError {
  return new ChannelError({ code: "network", message: "Slack Socket Mode connection closed before hello", channel: "slack", method: "socket" });
}
