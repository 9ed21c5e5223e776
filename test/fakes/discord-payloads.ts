// Discord API objects for the loopback fake, shaped as the API docs describe them (users, roles, members, channels,
// threads, the guild of GUILD_CREATE, messages, attachments), so discord.js builds its structures from them unchanged.
import { ChannelType, MessageType } from "discord.js";
import type {
  APIAttachment, APIDMChannel, APIGuildMember, APIMessage, APIMessageReference, APIRole, APITextChannel, APIThreadChannel,
  APIUser, GuildMemberFlags, RoleFlags,
} from "discord.js";

const DISCORD_EPOCH = 1_420_070_400_000n;

/** Snowflake generator: time-ordered, strictly increasing ids. */
export function createSnowflakes(): () => string {
  let last = 0n;
  return () => {
    let id = (BigInt(Date.now()) - DISCORD_EPOCH) << 22n;
    if (id <= last) id = last + 1n;
    last = id;
    return id.toString();
  };
}

export function userObject(id: string, username: string, opts: { globalName?: string; bot?: boolean } = {}): APIUser {
  return {
    id,
    username,
    discriminator: "0",
    global_name: opts.globalName ?? null,
    avatar: null,
    ...(opts.bot ? { bot: true } : {}),
  };
}

// View Channel + Send Messages + Send Messages in Threads + Read Message History + Attach Files + Add Reactions
const BOT_PERMISSIONS = String(1024 + 2048 + 274_877_906_944 + 65_536 + 32_768 + 64);

export function roleObject(opts: { id: string; name: string; position: number; botId?: string }): APIRole {
  return {
    id: opts.id,
    name: opts.name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position: opts.position,
    permissions: BOT_PERMISSIONS,
    managed: opts.botId !== undefined,
    mentionable: false,
    flags: 0 as RoleFlags,
    ...(opts.botId ? { tags: { bot_id: opts.botId } } : {}),
  };
}

/** A guild member; without `user` as MESSAGE_CREATE's `member` and `mentions[].member` carry it. */
export type FakeMember = Omit<APIGuildMember, "user"> & { user?: APIUser };

export function memberObject(user: APIUser | undefined, roles: string[], joinedAt: string): FakeMember {
  return {
    ...(user ? { user } : {}),
    nick: null,
    avatar: null,
    banner: null,
    roles,
    joined_at: joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0 as GuildMemberFlags,
    pending: false,
  };
}

export function textChannelObject(opts: { id: string; guildId: string; name: string; position: number }): APITextChannel {
  return {
    id: opts.id,
    type: ChannelType.GuildText,
    guild_id: opts.guildId,
    name: opts.name,
    position: opts.position,
    permission_overwrites: [],
    nsfw: false,
    topic: null,
    last_message_id: null,
    parent_id: null,
    rate_limit_per_user: 0,
  };
}

export type ThreadType = ChannelType.PublicThread | ChannelType.PrivateThread | ChannelType.AnnouncementThread;

export function threadObject(opts: { id: string; guildId: string; parentId: string; ownerId: string; name: string; type: ThreadType }): APIThreadChannel {
  return {
    id: opts.id,
    type: opts.type,
    guild_id: opts.guildId,
    parent_id: opts.parentId,
    owner_id: opts.ownerId,
    name: opts.name,
    last_message_id: null,
    message_count: 0,
    member_count: 1,
    total_message_sent: 0,
    rate_limit_per_user: 0,
    thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false },
  } as APIThreadChannel;
}

export function dmChannelObject(id: string, recipient: APIUser): APIDMChannel {
  return { id, type: ChannelType.DM, name: null, recipients: [recipient], last_message_id: null };
}

/** The guild as GUILD_CREATE carries it: channels, threads, roles and the bot's own member. */
export function guildCreateObject(opts: {
  id: string;
  name: string;
  ownerId: string;
  roles: APIRole[];
  members: FakeMember[];
  channels: APITextChannel[];
  threads: APIThreadChannel[];
  joinedAt: string;
}): Record<string, unknown> {
  const { channels, threads, ...rest } = opts;
  return {
    id: rest.id,
    name: rest.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: rest.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    nsfw_level: 0,
    premium_tier: 0,
    premium_subscription_count: 0,
    premium_progress_bar_enabled: false,
    preferred_locale: "en-US",
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    public_updates_channel_id: null,
    safety_alerts_channel_id: null,
    vanity_url_code: null,
    application_id: null,
    features: [],
    emojis: [],
    stickers: [],
    roles: rest.roles,
    joined_at: rest.joinedAt,
    large: false,
    unavailable: false,
    member_count: rest.members.length + 1,
    members: rest.members,
    // GUILD_CREATE channels carry no guild_id; threads do.
    channels: channels.map(({ guild_id: _guildId, ...channel }) => channel),
    threads,
    voice_states: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export function attachmentObject(opts: { id: string; fileName: string; size: number; contentType: string; url: string }): APIAttachment {
  return {
    id: opts.id,
    filename: opts.fileName,
    size: opts.size,
    url: opts.url,
    proxy_url: opts.url,
    content_type: opts.contentType,
  };
}

/** A message as the REST API returns it; MESSAGE_CREATE adds guild_id, member and channel_type. */
export function messageObject(opts: {
  id: string;
  channelId: string;
  author: APIUser;
  content: string;
  mentions?: APIUser[];
  mentionRoles?: string[];
  mentionEveryone?: boolean;
  attachments?: APIAttachment[];
  reference?: APIMessageReference;
  referenced?: APIMessage | null;
}): APIMessage {
  return {
    id: opts.id,
    channel_id: opts.channelId,
    author: opts.author,
    content: opts.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: opts.mentionEveryone ?? false,
    mentions: opts.mentions ?? [],
    mention_roles: opts.mentionRoles ?? [],
    attachments: opts.attachments ?? [],
    embeds: [],
    pinned: false,
    type: opts.reference ? MessageType.Reply : MessageType.Default,
    components: [],
    ...(opts.reference ? { message_reference: opts.reference, referenced_message: opts.referenced ?? null } : {}),
  };
}
