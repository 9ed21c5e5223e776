// Public surface of the Telegram adapter: the factory the channel registry loads, and its options type.
export { createTelegramChannel } from "./telegram-factory.ts";
export type { TelegramChannelOptions } from "./telegram-channel.ts";
