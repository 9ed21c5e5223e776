// The Slack account in `mode: http`: Slack POSTs Events API requests to the gateway's webhook path. Owns the v0
// signature check (HMAC-SHA256 with the signing secret, 5-minute window) and the webhook's status codes; the mapping
// and delivery are SlackChannel's.
import { verifySlackRequest } from "@slack/bolt";
import type { WebhookCapable } from "../kit/channel.ts";
import { SlackChannel, type SlackChannelOptions } from "./slack-channel.ts";

/** Slack's replay window: a request signed more than this far from now is refused, seconds. */
const MAX_SKEW_S = 5 * 60;
const MAX_BODY_BYTES = 1 << 20;

export type EventsRequestCheck =
  | { ok: true; kind: "url_verification"; challenge: string }
  | { ok: true; kind: "event_callback"; body: Record<string, unknown> }
  | { ok: true; kind: "app_rate_limited" }
  | { ok: false; status: 400 | 401; reason: string };

/** Verifies the signature first, then the payload's shape. Pure apart from the HMAC. */
export function verifyEventsRequest(opts: { headers: Headers; rawBody: string; signingSecret: string; nowMs: number }): EventsRequestCheck {
  const signature = opts.headers.get("x-slack-signature");
  const timestamp = opts.headers.get("x-slack-request-timestamp");
  if (!signature || !timestamp) return { ok: false, status: 401, reason: "missing X-Slack-Signature or X-Slack-Request-Timestamp header" };
  const ts = Number(timestamp);
  if (!Number.isInteger(ts)) return { ok: false, status: 401, reason: "X-Slack-Request-Timestamp is not a number of seconds" };
  if (Math.abs(opts.nowMs / 1000 - ts) > MAX_SKEW_S) return { ok: false, status: 401, reason: "stale request: X-Slack-Request-Timestamp is more than 5 minutes from now" };
  try {
    // HMAC-SHA256 over "v0:<timestamp>:<raw body>", compared in constant time (tsscmp).
    verifySlackRequest({
      signingSecret: opts.signingSecret,
      body: opts.rawBody,
      headers: { "x-slack-signature": signature, "x-slack-request-timestamp": ts },
      nowMilliseconds: opts.nowMs,
    });
  } catch {
    return { ok: false, status: 401, reason: "signature mismatch: check the signing secret" };
  }
  let body: unknown;
  try {
    body = JSON.parse(opts.rawBody);
  } catch {
    return { ok: false, status: 400, reason: "body is not JSON" };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, status: 400, reason: "body is not a JSON object" };
  const payload = body as Record<string, unknown>;
  if (payload.type === "url_verification" && typeof payload.challenge === "string") return { ok: true, kind: "url_verification", challenge: payload.challenge };
  if (payload.type === "event_callback" && typeof payload.event === "object" && payload.event !== null) return { ok: true, kind: "event_callback", body: payload };
  if (payload.type === "app_rate_limited") return { ok: true, kind: "app_rate_limited" };
  return { ok: false, status: 400, reason: "expected an event_callback or url_verification payload" };
}

const text = (status: number, body: string): Response => new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

export class SlackEventsChannel extends SlackChannel implements WebhookCapable {
  readonly webhookPath: string;

  constructor(opts: SlackChannelOptions) {
    super(opts);
    this.webhookPath = `/channels/slack/${opts.account}/events`;
  }

  /** 401 unverified, 400 malformed, 200 once journaled, 500 when not (Slack retries), 503 while not running. */
  async handleWebhook(req: Request): Promise<Response> {
    if (req.method !== "POST") return text(405, "POST only");
    if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) return text(413, "body too large");
    const rawBody = await req.text();
    if (rawBody.length > MAX_BODY_BYTES) return text(413, "body too large");
    const check = verifyEventsRequest({ headers: req.headers, rawBody, signingSecret: this.config.signing_secret ?? "", nowMs: this.now() });
    if (!check.ok) {
      this.log.warn({ status: check.status, reason: check.reason }, "slack webhook request refused");
      return text(check.status, check.reason);
    }
    if (check.kind === "url_verification") return Response.json({ challenge: check.challenge });
    if (check.kind === "app_rate_limited") {
      this.log.warn({}, "slack is dropping events: the app exceeded 30,000 events per workspace per hour");
      return text(200, "ok");
    }
    if (!this.isReceiving()) return text(503, "the Slack channel is not running");
    try {
      await this.receiveEvent(check.body);
      return text(200, "ok");
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, "slack event not delivered; answering 500 so Slack retries");
      return text(500, "not delivered");
    }
  }

  protected override async startInbound(): Promise<void> {
    this.setState("connected", `receiving Events API requests at ${this.webhookPath}`);
  }
}
