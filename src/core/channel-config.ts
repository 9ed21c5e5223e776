// The channels part of the pincer.yaml schema (zod): per-platform accounts with their access rules, routing
// bindings, session scoping and media settings. Keys are snake_case; defaults live here, nowhere else.
import { z } from "zod";

export const CHANNEL_NAMES = ["telegram", "slack", "discord", "whatsapp"] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

export const DM_POLICIES = ["pairing", "allowlist", "open", "disabled"] as const;
export type DmPolicy = (typeof DM_POLICIES)[number];
export const GROUP_POLICIES = ["allowlist", "open", "disabled"] as const;
export type GroupPolicy = (typeof GROUP_POLICIES)[number];
export const DM_SCOPES = ["main", "per-peer", "per-channel-peer"] as const;
export type DmScope = (typeof DM_SCOPES)[number];
export const TYPING_MODES = ["instant", "never"] as const;
export type TypingMode = (typeof TYPING_MODES)[number];
export const REPLY_TO_MODES = ["off", "first", "all"] as const;
export type ReplyToMode = (typeof REPLY_TO_MODES)[number];
export const ACTIVATION_MODES = ["mention", "always"] as const;
export type ActivationMode = (typeof ACTIVATION_MODES)[number];

const ACCOUNT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

/** A regular expression as written in the config; compiled case-insensitively. */
const regexSource = z.string().refine((v) => {
  try {
    new RegExp(v, "i");
    return true;
  } catch {
    return false;
  }
}, { error: (iss) => `expected a regular expression, got ${JSON.stringify(iss.input)} (it does not compile)` });

/** Platform ids: YAML reads `-100123` or `12345` as numbers; they are ids, so they become strings. */
const platformId = z.union([z.string().min(1), z.number()]).transform(String);

export const groupSettingsSchema = z.strictObject({
  /** false: never answer in this group (its messages are still journaled). */
  enabled: z.boolean().default(true),
  /** Overrides the account's `require_mention` for this group. */
  require_mention: z.boolean().optional(),
  /** Senders allowed to trigger the bot here (ids or @usernames); unset = anyone in the group. */
  allow_from: z.array(platformId).optional(),
  /** Extra regular expressions (case-insensitive) that count as a mention here. */
  mention_patterns: z.array(regexSource).optional(),
});
export type GroupSettings = z.infer<typeof groupSettingsSchema>;

/** Access and delivery rules every channel account has. */
const accountFields = {
  enabled: z.boolean().default(true),
  /** Who may talk to the bot in direct messages: unknown senders get a pairing code (`pairing`), are ignored
   * unless listed (`allowlist`), are answered (`open`), or DMs are off (`disabled`). */
  dm_policy: z.enum(DM_POLICIES).default("pairing"),
  /** Senders (ids or @usernames) allowed in DMs without pairing; `"*"` = anyone. Approved pairings add to this. */
  allow_from: z.array(platformId).default([]),
  /** Groups: only those listed under `groups` (`allowlist`), any group (`open`), or none (`disabled`). */
  group_policy: z.enum(GROUP_POLICIES).default("allowlist"),
  /** Per-group settings keyed by the platform's group/channel id; `"*"` applies to every group. */
  groups: z.record(z.string(), groupSettingsSchema).default({}),
  /** In groups, answer only when mentioned (a reply to the bot counts). `/activation always` changes it per group. */
  require_mention: z.boolean().default(true),
  /** Extra regular expressions (case-insensitive) that count as a mention, e.g. the bot's nickname. */
  mention_patterns: z.array(regexSource).default([]),
  /** Sender ids or @usernames allowed to run state-changing chat commands everywhere (/activation, /model in groups…). */
  owners: z.array(platformId).default([]),
  /** Answer messages from other bots (never their replies to this bot: that would loop). */
  allow_bots: z.boolean().default(false),
  /** Show "typing…" from the moment a message is accepted until the reply is sent, or never. */
  typing_mode: z.enum(TYPING_MODES).default("instant"),
  /** Reply-to threading: quote the triggering message on the first chunk, on every chunk, or never. */
  reply_to_mode: z.enum(REPLY_TO_MODES).default("first"),
  /** Largest inbound or outbound file, in MB. */
  media_max_mb: z.number().positive().max(2000).default(20),
  /** Characters per outbound message; default and maximum are the platform's limit. */
  text_chunk_limit: z.number().int().min(100).optional(),
  /** Unmentioned group messages kept as context for the next answered one. */
  group_history_limit: z.number().int().min(0).max(200).default(20),
};

export const telegramAccountSchema = z.strictObject({
  ...accountFields,
  /** The bot token from @BotFather, usually `${env:TELEGRAM_BOT_TOKEN}`. */
  token: z.string().min(1),
  /** Bot API root, e.g. a self-hosted telegram-bot-api server. Default https://api.telegram.org. */
  api_root: z.url().optional(),
  /** `polling` (long polling, works behind NAT) or `webhook` (Telegram calls the gateway; needs a public URL). */
  mode: z.enum(["polling", "webhook"]).default("polling"),
  /** Webhook mode: the public HTTPS URL that reaches the gateway's `/channels/telegram/<account>/webhook`. */
  webhook_url: z.url().optional(),
  /** Webhook mode: the secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -). */
  webhook_secret: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, "expected 1-256 characters of A-Z, a-z, 0-9, _ and -").optional(),
});
export type TelegramAccountConfig = z.infer<typeof telegramAccountSchema>;

export const slackAccountSchema = z.strictObject({
  ...accountFields,
  /** Bot token (xoxb-…). */
  bot_token: z.string().min(1),
  /** App-level token (xapp-…) with connections:write, for Socket Mode. */
  app_token: z.string().min(1).optional(),
  /** Signing secret, for the HTTP Events API (`mode: http`). */
  signing_secret: z.string().min(1).optional(),
  /** `socket` (Socket Mode: outbound WebSocket, no public URL) or `http` (Events API at /channels/slack/<account>/events). */
  mode: z.enum(["socket", "http"]).default("socket"),
  /** Web API root, e.g. an API proxy. Default https://slack.com/api/. */
  api_root: z.url().optional(),
});
export type SlackAccountConfig = z.infer<typeof slackAccountSchema>;

export const discordAccountSchema = z.strictObject({
  ...accountFields,
  /** Bot token from the Developer Portal (Bot → Reset Token). */
  token: z.string().min(1),
  /** REST API root, e.g. an API proxy. Default https://discord.com/api. */
  api_root: z.url().optional(),
});
export type DiscordAccountConfig = z.infer<typeof discordAccountSchema>;

export const whatsappAccountSchema = z.strictObject({
  ...accountFields,
  /** Where the linked-device credentials live; default `<state dir>/channels/whatsapp/<account>`. */
  auth_dir: z.string().optional(),
});
export type WhatsappAccountConfig = z.infer<typeof whatsappAccountSchema>;

/** Options shared by the accounts of every channel. */
export type ChannelAccountConfig = z.infer<z.ZodObject<typeof accountFields>>;

const accountsOf = <T extends z.ZodType>(account: T) =>
  z.strictObject({
    accounts: z.record(z.string().regex(ACCOUNT_ID, "account ids are 1-63 letters, digits, - and _"), account).default({}),
  });

export const channelsSchema = z.strictObject({
  telegram: accountsOf(telegramAccountSchema).optional(),
  slack: accountsOf(slackAccountSchema).optional(),
  discord: accountsOf(discordAccountSchema).optional(),
  whatsapp: accountsOf(whatsappAccountSchema).optional(),
});
export type ChannelsConfig = z.infer<typeof channelsSchema>;

/** Routes a channel account, chat or peer to an agent; the most specific matching binding wins. */
export const bindingSchema = z.strictObject({
  agent: z.string().min(1),
  match: z.strictObject({
    channel: z.enum(CHANNEL_NAMES),
    account: z.string().optional(),
    /** A DM peer (sender id) or a group id. */
    peer: z.strictObject({ kind: z.enum(["dm", "group"]), id: platformId }).optional(),
  }),
});
export type Binding = z.infer<typeof bindingSchema>;

export const sessionSchema = z.strictObject({
  /** DM sessions: one shared with every DM (`main`), one per sender across channels (`per-peer`), or one per
   * sender per channel (`per-channel-peer`, the default: no two people ever share a conversation). */
  dm_scope: z.enum(DM_SCOPES).default("per-channel-peer"),
});

export const mediaSchema = z.strictObject({
  /** Speech-to-text for voice messages: an OpenAI-compatible `/audio/transcriptions` endpoint. */
  transcription: z
    .strictObject({
      /** A provider under models.providers (its base_url and key are used). */
      provider: z.string().min(1),
      model: z.string().min(1).default("whisper-1"),
      language: z.string().optional(),
    })
    .optional(),
});
