// POST /api/v1/messages: a message the owner sends first (`pincer message send`), delivered by the channel account
// running in this gateway through the same idempotent reply sender as run replies. Authentication happens before
// this route; the Idempotency-Key header (or a generated key) makes a retried request send nothing twice.
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { z } from "zod";
import { CHANNEL_NAMES } from "../core/channel-config.ts";
import { ChannelError } from "../core/errors.ts";
import { ownEntry } from "../core/own-entry.ts";
import type { ChannelsView, GatewayContext } from "./gateway-context.ts";
import { parseJsonBody } from "./api-input.ts";

/** Largest body read (bytes): room for a long message. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** Longest text accepted (characters); the channel splits it into platform-sized messages. */
const MAX_TEXT_CHARS = 32_000;

const PLAIN_ID = /^[^\s\p{Cc}]{1,256}$/u;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

const messageSchema = z.strictObject({
  channel: z.enum(CHANNEL_NAMES, { error: `must be one of ${CHANNEL_NAMES.join(", ")}` }),
  account: z.string().regex(PLAIN_ID, "must be an account id: 1-256 characters without spaces").optional(),
  to: z.string().regex(PLAIN_ID, "must be the chat id on the platform: 1-256 characters without spaces"),
  text: z.string().min(1, "must not be empty").max(MAX_TEXT_CHARS, `must be at most ${MAX_TEXT_CHARS} characters`),
});

/** What the route needs of the running channels; ChannelManager has it. */
export interface MessageSending {
  sendMessage(msg: { channel: string; account: string; to: string; text: string; idempotencyKey: string }): Promise<
    | { status: "sent"; messages: number }
    | { status: "duplicate" }
    | { status: "empty" }
    | { status: "failed"; error: string }
    | { status: "unavailable"; state: string; detail?: string }
  >;
}

export function canSendMessages(view: ChannelsView | undefined): view is ChannelsView & MessageSending {
  return view !== undefined && typeof (view as Partial<MessageSending>).sendMessage === "function";
}

const fail = (status: 400 | 404 | 409 | 502 | 503, type: string, message: string, opts: { param?: string; headers?: Record<string, string> } = {}): Response =>
  Response.json({ error: { type, message, ...(opts.param ? { param: opts.param } : {}) } }, { status, ...(opts.headers ? { headers: opts.headers } : {}) });

export function createMessageRoutes(opts: { ctx: GatewayContext; now: () => number }): Hono {
  const { ctx } = opts;
  const log = ctx.log.child({ component: "gateway.messages" });
  const routes = new Hono();

  routes.post("/messages", async (c) => {
    const headerKey = c.req.header("idempotency-key")?.trim();
    if (headerKey !== undefined && !IDEMPOTENCY_KEY.test(headerKey)) {
      return fail(400, "invalid_request", "Idempotency-Key: must be 1-128 letters, digits, '.', '_', ':' or '-'", { param: "Idempotency-Key" });
    }
    const body = await parseJsonBody(c, messageSchema, MAX_MESSAGE_BYTES);
    if (!body.ok) return body.response;
    const { channel, to, text } = body.value;

    const accounts = (ctx.config.channels[channel]?.accounts ?? {}) as Record<string, { enabled: boolean }>;
    const names = Object.keys(accounts);
    // Without --account: `default` when configured, else the only account there is.
    const account = body.value.account ?? (ownEntry(accounts, "default") ? "default" : names.length === 1 ? names[0]! : undefined);
    if (account === undefined) {
      return names.length === 0
        ? fail(404, "not_found", `no ${channel} account is configured. Fix: 'pincer channels add ${channel}'`, { param: "channel" })
        : fail(400, "invalid_request", `account: ${channel} has several accounts (${names.join(", ")}); name one`, { param: "account" });
    }
    const cfg = ownEntry(accounts, account);
    if (!cfg) return fail(404, "not_found", `channel account ${channel}/${account} is not configured. Fix: 'pincer channels list' shows the configured ones`, { param: "account" });
    if (!cfg.enabled) return fail(409, "channel_unavailable", `channel account ${channel}/${account} is disabled (channels.${channel}.accounts.${account}.enabled)`);
    if (!canSendMessages(ctx.channels)) return fail(503, "channel_unavailable", "the chat channels of this gateway have not started yet; retry in a moment");

    const idempotencyKey = headerKey ?? randomUUID();
    let outcome;
    try {
      outcome = await ctx.channels.sendMessage({ channel, account, to, text, idempotencyKey });
    } catch (err) {
      if (!(err instanceof ChannelError)) throw err;
      log.warn({ channel, account, code: err.code }, "proactive message not delivered yet");
      const retryAfter = String(Math.max(1, Math.ceil((err.retryAfterMs ?? 5_000) / 1000)));
      const message = `${channel}/${account}: ${err.message}. Retry with the same Idempotency-Key; what was sent is not sent again`;
      return fail(503, "channel_unavailable", message, { headers: { "Retry-After": retryAfter } });
    }
    switch (outcome.status) {
      case "unavailable":
        return fail(503, "channel_unavailable", `${channel}/${account} is ${outcome.state}${outcome.detail ? `: ${outcome.detail}` : ""}. Fix: see 'pincer channels status'`);
      case "empty":
        return fail(400, "invalid_request", "text: nothing to send once reply directives are removed", { param: "text" });
      case "failed":
        return fail(502, "delivery_failed", `${channel}/${account} refused the message: ${outcome.error}`);
    }
    const duplicate = outcome.status === "duplicate";
    const messages = outcome.status === "sent" ? outcome.messages : 0;
    await ctx.store.audit.write({
      at: opts.now(), kind: "message.sent", decision: "info", runId: undefined, sessionKey: undefined, tool: undefined,
      reason: duplicate ? "repeated request; nothing sent again" : "sent through the API",
      detail: { channel, account, to, chars: text.length, idempotencyKey, duplicate },
    });
    log.info({ channel, account, chars: text.length, duplicate }, "proactive message sent");
    return c.json({ status: duplicate ? "duplicate" : "sent", channel, account, to, messages, idempotencyKey });
  });
  return routes;
}
