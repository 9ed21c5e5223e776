// The Slack account in `mode: http`: Slack POSTs Events API requests to the gateway's webhook path. Owns the v0
// signature check (headers and 5-minute window before the body is read, then HMAC-SHA256 with the signing secret over
// the capped body) and the webhook's status codes; the mapping and delivery are SlackChannel's.
import { createHmac, timingSafeEqual } from "node:crypto";
import { readRequestBody } from "../../core/capped-body.ts";
import { WEBHOOK_MAX_BODY_BYTES, type WebhookCapable } from "../kit/channel.ts";
import { SlackChannel, type SlackChannelOptions } from "./slack-channel.ts";

/** Slack's replay window: a request signed more than this far from now is refused, seconds. */
const MAX_SKEW_S = 5 * 60;

export type EventsHeadersCheck = { ok: true; signature: string; timestamp: number } | { ok: false; status: 401 | 415; reason: string };

/** What can be checked before the body is read: both signature headers, a timestamp within 5 minutes of now, and a
 * JSON content type (Slack posts Events API requests as application/json). Pure. */
export function checkEventsHeaders(headers: Headers, nowMs: number): EventsHeadersCheck {
  const signature = headers.get("x-slack-signature");
  const timestamp = headers.get("x-slack-request-timestamp");
  if (!signature || !timestamp) return { ok: false, status: 401, reason: "missing X-Slack-Signature or X-Slack-Request-Timestamp header" };
  const ts = Number(timestamp);
  if (!Number.isInteger(ts)) return { ok: false, status: 401, reason: "X-Slack-Request-Timestamp is not a number of seconds" };
  if (Math.abs(nowMs / 1000 - ts) > MAX_SKEW_S) return { ok: false, status: 401, reason: "stale request: X-Slack-Request-Timestamp is more than 5 minutes from now" };
  if (!/^application\/json\b/i.test(headers.get("content-type") ?? "")) return { ok: false, status: 415, reason: "expected Content-Type: application/json" };
  return { ok: true, signature, timestamp: ts };
}

/**
 * Slack's v0 request signature: `X-Slack-Signature` is `v0=` + hex HMAC-SHA256 of "v0:<timestamp>:<raw body>" with the
 * signing secret (https://api.slack.com/authentication/verifying-requests-from-slack). Compared in constant time; a
 * timestamp more than 5 minutes from now, an empty secret or another version never matches. Pure.
 */
export function signatureMatches(opts: { signature: string; timestamp: number; rawBody: string; signingSecret: string; nowMs: number }): boolean {
  if (!opts.signingSecret) return false;
  if (!Number.isInteger(opts.timestamp) || Math.abs(opts.nowMs / 1000 - opts.timestamp) > MAX_SKEW_S) return false;
  const expected = Buffer.from(`v0=${createHmac("sha256", opts.signingSecret).update(`v0:${opts.timestamp}:${opts.rawBody}`).digest("hex")}`);
  const given = Buffer.from(opts.signature);
  // timingSafeEqual needs equal lengths; the length of a signature says nothing about the secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export type EventsPayload =
  | { kind: "url_verification"; challenge: string }
  | { kind: "event_callback"; body: Record<string, unknown> }
  | { kind: "app_rate_limited" }
  | { kind: "malformed"; reason: string };

/** The kind of a verified body; the event inside is checked by readMessageEvent. Pure. */
export function parseEventsPayload(rawBody: string): EventsPayload {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return { kind: "malformed", reason: "body is not JSON" };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { kind: "malformed", reason: "body is not a JSON object" };
  const payload = body as Record<string, unknown>;
  if (payload.type === "url_verification" && typeof payload.challenge === "string") return { kind: "url_verification", challenge: payload.challenge };
  if (payload.type === "event_callback") return { kind: "event_callback", body: payload };
  if (payload.type === "app_rate_limited") return { kind: "app_rate_limited" };
  return { kind: "malformed", reason: "expected an event_callback or url_verification payload" };
}

const text = (status: number, body: string): Response => new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

export class SlackEventsChannel extends SlackChannel implements WebhookCapable {
  readonly webhookPath: string;

  constructor(opts: SlackChannelOptions) {
    super(opts);
    this.webhookPath = `/channels/slack/${opts.account}/events`;
  }

  /** 401 unsigned or stale and 415 not JSON, both before the body is read; 413 past WEBHOOK_MAX_BODY_BYTES; 401 wrong
   * signature; 400 not an Events API payload; 200 for a wrongly shaped event (reported, so Slack does not retry it);
   * 200 once journaled, 500 when not (Slack retries); 503 while not running. */
  async handleWebhook(req: Request): Promise<Response> {
    if (req.method !== "POST") return text(405, "POST only");
    const nowMs = this.now();
    const head = checkEventsHeaders(req.headers, nowMs);
    if (!head.ok) return this.refuse(head.status, head.reason);
    const read = await readRequestBody(req, { maxBytes: WEBHOOK_MAX_BODY_BYTES });
    if (!read.ok) return read.response;
    const rawBody = new TextDecoder().decode(read.bytes);
    if (!signatureMatches({ signature: head.signature, timestamp: head.timestamp, rawBody, signingSecret: this.config.signing_secret ?? "", nowMs })) {
      return this.refuse(401, "signature mismatch: check the signing secret");
    }
    const payload = parseEventsPayload(rawBody);
    if (payload.kind === "malformed") {
      this.reportMalformed(`Slack webhook: ${payload.reason}`);
      return text(400, payload.reason);
    }
    if (payload.kind === "url_verification") return Response.json({ challenge: payload.challenge });
    if (payload.kind === "app_rate_limited") {
      this.log.warn({}, "slack is dropping events: the app exceeded 30,000 events per workspace per hour");
      return text(200, "ok");
    }
    if (!this.isReceiving()) return text(503, "the Slack channel is not running");
    try {
      await this.receiveEvent(payload.body);
      return text(200, "ok");
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, "slack event not delivered; answering 500 so Slack retries");
      return text(500, "not delivered");
    }
  }

  private refuse(status: number, reason: string): Response {
    this.log.warn({ status, reason }, "slack webhook request refused");
    return text(status, reason);
  }

  protected override async startInbound(): Promise<void> {
    this.setState("connected", `receiving Events API requests at ${this.webhookPath}`);
  }
}
