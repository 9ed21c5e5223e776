// createSlackChannel: picks the account's inbound variant. Lives apart from both classes because the HTTP variant
// extends SlackChannel (a factory inside slack-channel.ts would import its own subclass in a cycle).
import { SlackChannel, checkSlackConfig, type SlackChannelOptions } from "./slack-channel.ts";
import { SlackEventsChannel } from "./slack-events-channel.ts";

/** Builds one Slack account: Socket Mode by default, the HTTP Events API (a WebhookCapable channel) with `mode: http`.
 * Throws ConfigError naming the key when the mode's credential is missing. */
export function createSlackChannel(opts: SlackChannelOptions): SlackChannel {
  checkSlackConfig(opts);
  return opts.config.mode === "http" ? new SlackEventsChannel(opts) : new SlackChannel(opts);
}
