// The factory the channel registry calls: a polling TelegramChannel, or the webhook subclass for `mode: webhook`.
import type { Channel } from "../kit/channel.ts";
import { TelegramChannel } from "./telegram-channel.ts";
import type { TelegramChannelOptions } from "./telegram-channel.ts";
import { TelegramWebhookChannel } from "./telegram-webhook.ts";

/** Builds the adapter of one `channels.telegram.accounts.<id>`. Nothing connects before `start()`.
 * Contract: only a webhook-mode account is WebhookCapable (so the gateway mounts no route for polling accounts). */
export function createTelegramChannel(opts: TelegramChannelOptions): Channel & TelegramChannel {
  return opts.config.mode === "webhook" ? new TelegramWebhookChannel(opts) : new TelegramChannel(opts);
}
