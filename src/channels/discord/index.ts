// Public surface of the Discord adapter: the factory the channel registry loads, its options and the class.
export { createDiscordChannel, DiscordChannel } from "./discord-channel.ts";
export type { DiscordChannelOptions } from "./discord-channel.ts";
