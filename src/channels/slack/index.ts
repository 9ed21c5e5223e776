// Public surface of the Slack adapter: the factory the channel registry loads, and its options type.
import { SlackChannel, checkSlackConfig, type SlackChannelOptions } from "./slack-channel.ts";
import { SlackEventsChannel } from "./slack-events-channel.ts";

export type { SlackChannelOptions } from "./slack-channel.ts";
export { SlackChannel } from "./slack-channel.ts";
export { SlackEventsChannel } from "./slack-events-channel.ts";

/** Builds one Slack account: Socket Mode by default, the HTTP Events API (a WebhookCapable channel) with `mode: http`.
 * Throws ConfigError naming the key when the mode's credential is missing. */
export function createSlackChannel(opts: SlackChannelOptions): SlackChannel {
  checkSlackConfig(opts);
  return opts.config.mode === "http" ? new SlackEventsChannel(opts) : new SlackChannel(opts);
}
