// Webhook mode of the Telegram adapter: registers the gateway's URL with setWebhook at start and receives Telegram's
// POSTs (secret header checked in constant time, body checked to be an Update) at /channels/telegram/<account>/webhook.
// Everything else (identity, sending, media) is TelegramChannel's.
import { createHash, timingSafeEqual } from "node:crypto";
import { readRequestBody } from "../../core/capped-body.ts";
import { ConfigError } from "../../core/errors.ts";
import { WEBHOOK_MAX_BODY_BYTES, type ChannelSink, type WebhookCapable } from "../kit/channel.ts";
import { TelegramChannel, grammySignal } from "./telegram-channel.ts";
import type { TelegramChannelOptions } from "./telegram-channel.ts";
import { ALLOWED_UPDATES } from "./telegram-inbound.ts";

const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/** A Telegram bot account fed by Telegram's webhook calls instead of getUpdates. */
export class TelegramWebhookChannel extends TelegramChannel implements WebhookCapable {
  readonly webhookPath: string;

  constructor(opts: TelegramChannelOptions) {
    super(opts);
    this.webhookPath = `/channels/telegram/${opts.account}/webhook`;
  }

  /** Contract: rejects with ConfigError when webhook_url or webhook_secret is missing, before any network call. */
  override async start(sink: ChannelSink): Promise<void> {
    const keyBase = `channels.telegram.accounts.${this.account}`;
    const missing = !this.config.webhook_url ? "webhook_url" : !this.config.webhook_secret ? "webhook_secret" : undefined;
    if (missing) {
      const fix =
        missing === "webhook_url"
          ? `set it to the public HTTPS URL that reaches the gateway's ${this.webhookPath} (e.g. https://bot.example.com${this.webhookPath}), or use mode: polling`
          : "set it to a random string of 1-256 letters, digits, _ and - (e.g. the output of 'openssl rand -hex 32')";
      const err = new ConfigError({ keyPath: `${keyBase}.${missing}`, problem: `webhook mode needs ${missing}`, fix });
      this.setState("failed", err.message);
      throw err;
    }
    return super.start(sink);
  }

  protected override async beginIntake(signal: AbortSignal): Promise<void> {
    const url = this.config.webhook_url ?? "";
    await this.retryTransient(
      "setWebhook",
      () => this.api.setWebhook(url, { secret_token: this.config.webhook_secret ?? "", allowed_updates: [...ALLOWED_UPDATES] }, grammySignal(signal)),
      signal,
    );
  }

  /** Contract: 401 without the right secret and 415 without a JSON content type, both before the body is read; 413
   * past WEBHOOK_MAX_BODY_BYTES; 400 for a body that is not JSON; 503 while not started; 200 for a wrongly shaped
   * update (reported, so Telegram does not send it again); otherwise 200 once the sink took the update, 500 when it
   * did not (Telegram then sends it again). */
  async handleWebhook(req: Request): Promise<Response> {
    if (req.method !== "POST") return problem(405, "use POST");
    const secret = req.headers.get(SECRET_HEADER);
    if (secret === null) return problem(401, "missing X-Telegram-Bot-Api-Secret-Token header");
    if (!secretMatches(secret, this.config.webhook_secret ?? "")) return problem(401, "wrong X-Telegram-Bot-Api-Secret-Token");
    if (!this.accepting) return problem(503, "the Telegram channel is not running");
    const type = req.headers.get("content-type") ?? "";
    if (!/^application\/json\b/i.test(type)) return problem(415, "expected Content-Type: application/json");

    const read = await readRequestBody(req, { maxBytes: WEBHOOK_MAX_BODY_BYTES });
    if (!read.ok) return read.response;
    let update: unknown;
    try {
      update = JSON.parse(new TextDecoder().decode(read.bytes));
    } catch {
      this.reportMalformed("the webhook body is not valid JSON");
      return problem(400, "the body is not valid JSON");
    }
    if (!(await this.deliverUpdate(update))) return problem(500, "the update could not be stored; Telegram will send it again");
    return new Response(null, { status: 200 });
  }
}

/** Compares digests, so neither the content nor the length of the secret leaks through timing. */
function secretMatches(given: string, expected: string): boolean {
  if (expected === "") return false;
  const digest = (s: string): Buffer => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function problem(status: number, reason: string): Response {
  return Response.json({ ok: false, error: reason }, { status });
}
