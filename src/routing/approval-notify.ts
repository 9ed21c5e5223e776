// Tells the owners when a tool call waits for their answer: a notice (store.notices, sent by the process holding the
// channel, like pairing notices) to the run's chat when it is an owner's DM, else to each owner's DM on that channel
// account seen in recent runs. Runs without a chat origin (WebChat, API, cron without chat delivery) get no notice:
// the Control UI, the CLI and the API show them.
import type { ChannelAccountConfig } from "../core/channel-config.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import type { ApprovalRequest, Run } from "../core/domain.ts";
import type { ReplyRoute } from "../core/inbound.ts";
import { ownEntry } from "../core/own-entry.ts";
import type { Store } from "../store/store.ts";
import { approvalNoticeText } from "./approval-text.ts";
import { isOwner } from "./ingress/access-policy.ts";

/** How far back owners' DMs are looked for in runs, ms, and at most how many runs are read. */
const OWNER_DM_LOOKBACK_MS = 90 * 86_400_000;
const OWNER_DM_SCAN_RUNS = 500;

export interface ApprovalNotifyDeps {
  store: Store;
  config: () => PincerConfig;
  now: () => number;
}

/** Where the notice about `request` goes: the chats it was queued for (empty when none is known). */
export type NotifyResult = Array<{ channel: string; account: string; chatId: string }>;

/**
 * Queues the notice of a new approval request. Contract: never throws for an unknown account or a run without a chat;
 * the summary is the request's (already redacted) one, clipped; nothing else of the arguments is sent.
 */
export async function notifyApprovalRequested(request: ApprovalRequest, run: Run, deps: ApprovalNotifyDeps): Promise<NotifyResult> {
  const origin = run.origin;
  if (!origin) return [];
  const account = accountOf(deps.config(), origin.channel, origin.account);
  if (!account || account.owners.length === 0) return [];
  const chats = origin.chatKind === "dm" && isOwner(account, senderOf(origin)) ? [origin.chatId] : await ownerDms(deps, account, origin);
  const text = approvalNoticeText(request, deps.now());
  const sent: NotifyResult = [];
  for (const chatId of chats) {
    await deps.store.notices.enqueue({ channel: origin.channel, account: origin.account, chatId, text });
    sent.push({ channel: origin.channel, account: origin.account, chatId });
  }
  return sent;
}

/** The approval broker's `onRequested` hook bound to its dependencies. */
export function createApprovalNotifier(deps: ApprovalNotifyDeps): { onRequested(request: ApprovalRequest, run: Run): Promise<void> } {
  return {
    async onRequested(request, run) {
      await notifyApprovalRequested(request, run, deps);
    },
  };
}

function accountOf(config: PincerConfig, channel: string, account: string): ChannelAccountConfig | undefined {
  const section = ownEntry(config.channels as Record<string, { accounts: Record<string, ChannelAccountConfig> } | undefined>, channel);
  const cfg = ownEntry(section?.accounts, account);
  return cfg?.enabled ? cfg : undefined;
}

function senderOf(route: ReplyRoute): { id: string; username?: string; isBot: boolean } {
  return { id: route.senderId ?? "", ...(route.senderUsername ? { username: route.senderUsername } : {}), isBot: false };
}

/** The DM chats of this account's owners, from recent runs that came from them (newest first, one chat per owner). */
async function ownerDms(deps: ApprovalNotifyDeps, account: ChannelAccountConfig, origin: ReplyRoute): Promise<string[]> {
  const runs = await deps.store.runs.list({ since: deps.now() - OWNER_DM_LOOKBACK_MS, limit: OWNER_DM_SCAN_RUNS });
  const chats = new Map<string, string>(); // owner sender id → DM chat id
  for (const r of runs) {
    const o = r.origin;
    if (!o || o.channel !== origin.channel || o.account !== origin.account || o.chatKind !== "dm" || !o.senderId) continue;
    if (chats.has(o.senderId) || !isOwner(account, senderOf(o))) continue;
    chats.set(o.senderId, o.chatId);
  }
  return [...new Set(chats.values())];
}
