// Which adapter implements which channel, loaded on first use: no platform SDK is imported unless that channel is
// configured (or a command asks for it).
import type { Logger } from "pino";
import type {
  CHANNEL_NAMES, ChannelName, DiscordAccountConfig, SlackAccountConfig, TelegramAccountConfig, WhatsappAccountConfig,
} from "../core/channel-config.ts";
import type { Channel } from "./kit/channel.ts";

/** What every adapter factory receives. */
export interface ChannelFactoryOptions<C> {
  /** The account key under `channels.<channel>.accounts`. */
  account: string;
  /** That account's validated config. */
  config: C;
  log: Logger;
  /** Pincer's state dir (for adapters that keep files, e.g. WhatsApp's linked-device credentials). */
  stateDir: string;
  now?: () => number;
  fetch?: typeof fetch;
}

export interface AccountConfigs {
  telegram: TelegramAccountConfig;
  slack: SlackAccountConfig;
  discord: DiscordAccountConfig;
  whatsapp: WhatsappAccountConfig;
}

export type ChannelFactory<N extends ChannelName> = (opts: ChannelFactoryOptions<AccountConfigs[N]>) => Channel;

const LOADERS: { [N in (typeof CHANNEL_NAMES)[number]]: () => Promise<ChannelFactory<N>> } = {
  telegram: async () => (await import("./telegram/index.ts")).createTelegramChannel,
  slack: async () => (await import("./slack/index.ts")).createSlackChannel,
  discord: async () => (await import("./discord/index.ts")).createDiscordChannel,
  whatsapp: async () => (await import("./whatsapp/index.ts")).createWhatsappChannel,
};

/** Imports the adapter of `name` and returns its factory. */
export function loadChannelFactory<N extends ChannelName>(name: N): Promise<ChannelFactory<N>> {
  return LOADERS[name]();
}
