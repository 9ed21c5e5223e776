// Public surface of the Slack adapter: the factory the channel registry loads, its options type and the classes.
export { createSlackChannel } from "./slack-factory.ts";
export { SlackChannel, type SlackChannelOptions } from "./slack-channel.ts";
export { SlackEventsChannel } from "./slack-events-channel.ts";
