// Access control for inbound chat messages: DM policy, group policy, per-group settings, mention gating, the bot
// loop guard and owner checks. Pure decisions over the message, the account's config and a few stored facts.
import type { ActivationMode, ChannelAccountConfig, GroupSettings } from "../../core/channel-config.ts";
import type { InboundMessage } from "../../core/inbound.ts";
import { ownEntry } from "../../core/own-entry.ts";

/** What ingress does with a message. */
export type AccessDecision =
  /** Answer it (a run, or a chat command). */
  | { action: "accept" }
  /** Unknown DM sender under `pairing`: issue or repeat a code, no model call. */
  | { action: "pair" }
  /** An allowed group message that does not address the bot: keep it as quiet context. */
  | { action: "context"; reason: string }
  /** Ignore it (journaled, never answered). */
  | { action: "drop"; reason: string };

export interface AccessFacts {
  /** The sender was approved through pairing (store). */
  approved: boolean;
  /** The group session's `/activation` override, if any. */
  activation: ActivationMode | undefined;
  /** The message is a chat command (commands in an allowed group do not need a mention). */
  isCommand: boolean;
}

/** True when `sender` matches an entry: its id, `@username` or bare username (case-insensitive), or `"*"`. */
export function matchesSender(entries: readonly string[], sender: InboundMessage["sender"]): boolean {
  const username = sender.username?.toLowerCase();
  return entries.some((raw) => {
    const e = raw.trim();
    if (e === "*" || e === sender.id) return true;
    if (!username) return false;
    const name = e.startsWith("@") ? e.slice(1).toLowerCase() : e.toLowerCase();
    return name === username;
  });
}

export function isOwner(config: ChannelAccountConfig, sender: InboundMessage["sender"]): boolean {
  return matchesSender(config.owners.filter((o) => o !== "*"), sender);
}

/** The settings of a group: its own entry merged over the `"*"` entry; undefined when neither exists. */
export function groupSettings(config: ChannelAccountConfig, chatId: string): GroupSettings | undefined {
  const own = ownEntry(config.groups, chatId);
  const wildcard = ownEntry(config.groups, "*");
  if (!own && !wildcard) return undefined;
  return { ...wildcard, ...own, enabled: (own ?? wildcard)!.enabled };
}

/** The bot is addressed: a platform mention, a reply to the bot, or a configured name pattern. */
export function isMentioned(msg: InboundMessage, patterns: readonly string[]): boolean {
  if (msg.mentioned || msg.replyTo?.fromBot) return true;
  return patterns.some((p) => {
    try {
      return new RegExp(p, "i").test(msg.text);
    } catch {
      return false; // validated at config load; a bad pattern never matches
    }
  });
}

export function decideAccess(msg: InboundMessage, config: ChannelAccountConfig, facts: AccessFacts): AccessDecision {
  if (msg.sender.isBot) {
    if (!config.allow_bots) return { action: "drop", reason: "sender is a bot (allow_bots is off)" };
    // Loop guard: another bot answering this bot would answer our answer, and so on.
    if (msg.replyTo?.fromBot) return { action: "drop", reason: "a bot replying to this bot (loop guard)" };
  }
  if (msg.chat.kind === "dm") return decideDm(msg, config, facts);
  return decideGroup(msg, config, facts);
}

function decideDm(msg: InboundMessage, config: ChannelAccountConfig, facts: AccessFacts): AccessDecision {
  const listed = facts.approved || matchesSender(config.allow_from, msg.sender) || isOwner(config, msg.sender);
  switch (config.dm_policy) {
    case "disabled":
      return { action: "drop", reason: "DMs are disabled (dm_policy: disabled)" };
    case "open":
      return { action: "accept" };
    case "allowlist":
      return listed ? { action: "accept" } : { action: "drop", reason: "sender not in allow_from (dm_policy: allowlist)" };
    case "pairing":
      return listed ? { action: "accept" } : { action: "pair" };
  }
}

function decideGroup(msg: InboundMessage, config: ChannelAccountConfig, facts: AccessFacts): AccessDecision {
  if (config.group_policy === "disabled") return { action: "drop", reason: "groups are disabled (group_policy: disabled)" };
  const settings = groupSettings(config, msg.chat.id);
  if (config.group_policy === "allowlist" && !settings) return { action: "drop", reason: `group ${msg.chat.id} is not listed under groups` };
  if (settings && !settings.enabled) return { action: "drop", reason: `group ${msg.chat.id} is disabled` };
  const owner = isOwner(config, msg.sender);
  if (settings?.allow_from && !owner && !matchesSender(settings.allow_from, msg.sender)) {
    return { action: "drop", reason: "sender not in this group's allow_from" };
  }
  if (facts.isCommand) return { action: "accept" };
  const requireMention = facts.activation ? facts.activation === "mention" : (settings?.require_mention ?? config.require_mention);
  if (!requireMention) return { action: "accept" };
  const patterns = [...config.mention_patterns, ...(settings?.mention_patterns ?? [])];
  return isMentioned(msg, patterns) ? { action: "accept" } : { action: "context", reason: "not mentioned" };
}
