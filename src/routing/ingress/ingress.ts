// Ingress for chat channels: every inbound message is journaled (deduplicated on channel + account + platform id)
// before the adapter may acknowledge it; then, in order per chat, access control, pairing, chat commands, quiet
// group context, media, and finally a turn for the session's agent through the dispatcher.
import type { Logger } from "pino";
import type { ChannelAccountConfig } from "../../core/channel-config.ts";
import type { PincerConfig } from "../../core/config-schema.ts";
import type { JournalEntry, TaintSource } from "../../core/domain.ts";
import { mergeTaint } from "../../core/taint-sources.ts";
import type { InboundMessage, ReplyRoute } from "../../core/inbound.ts";
import type { Store } from "../../store/store.ts";
import type { Dispatcher, Submitted } from "../dispatcher.ts";
import type { ApprovalService } from "../approval-service.ts";
import { decideAccess, isOwner } from "./access-policy.ts";
import { parseCommand, runCommand } from "./chat-commands.ts";
import { PAIRING_FULL_TEXT, PAIRING_MAX_PENDING, PAIRING_TTL_MS, newPairingCode, pairingCodeText } from "./pairing-code.ts";
import { pickAgent, sessionKeyFor } from "./session-routing.ts";
import { renderTurnText, senderLabel } from "./turn-text.ts";

export { renderTurnText } from "./turn-text.ts";

/** What happened to one inbound message, for metrics and tests. */
export type IngressOutcome = "duplicate" | "dropped" | "context" | "paired" | "command" | "run" | "failed";

export interface IngressDeps {
  store: Store;
  dispatcher: Dispatcher;
  config: () => PincerConfig;
  now: () => number;
  log: Logger;
  /** The account's validated config, or undefined when it is no longer configured. */
  accountConfig: (channel: string, account: string) => ChannelAccountConfig | undefined;
  /** The bot's username on that account, for `/cmd@bot` addressing. */
  botUsername: (channel: string, account: string) => string | undefined;
  /** Sends an immediate reply (command answer, pairing code); `key` makes it idempotent across replays. */
  reply: (route: ReplyRoute, text: string, key: string) => Promise<void>;
  /** Turns a message's media into lines for the agent (downloads, transcribes); empty when there is none. */
  stageMedia: (msg: InboundMessage, agentId: string, account: ChannelAccountConfig) => Promise<string[]>;
  /** Called for every message that became (part of) a run. */
  onTurn?: (submitted: Submitted, route: ReplyRoute) => void;
  /** Called once per processed message. */
  onOutcome?: (msg: InboundMessage, outcome: IngressOutcome, reason?: string) => void;
  /** Tier names and provider/model refs /model offers. */
  knownModels: () => string[];
  isUsableModel: (ref: string) => boolean;
  /** The approval service /approve, /deny and /elevate use; absent or undefined: those commands say it is unavailable. */
  approvals?: () => ApprovalService | undefined;
}

export interface Ingress {
  /** Contract: resolves once the message is journaled (the adapter may then acknowledge it); processing continues in
   * the background, in arrival order per chat. Rejects only when the journal write fails. */
  deliver(msg: InboundMessage): Promise<void>;
  /** Processes journaled channel messages that were never handled (the process stopped first); returns how many. */
  replay(): Promise<number>;
  /** Resolves when every message handed over so far has been processed (for shutdown and tests). */
  idle(): Promise<void>;
}

/** The journal payload of a channel message: the message itself, so a replay runs it through ingress again. */
interface JournaledInbound {
  inbound: InboundMessage;
}

export function isJournaledInbound(payload: unknown): payload is JournaledInbound {
  const p = payload as Partial<JournaledInbound> | null;
  return typeof p === "object" && p !== null && typeof p.inbound === "object" && p.inbound !== null;
}

export function routeOf(msg: InboundMessage): ReplyRoute {
  return {
    channel: msg.channel,
    account: msg.account,
    chatKind: msg.chat.kind,
    chatId: msg.chat.id,
    ...(msg.threadId !== undefined ? { threadId: msg.threadId } : {}),
    messageId: msg.messageId,
    senderId: msg.sender.id,
    ...(msg.sender.username ? { senderUsername: msg.sender.username } : {}),
  };
}

export function createIngress(deps: IngressDeps): Ingress {
  const log = deps.log.child({ component: "ingress" });
  const chains = new Map<string, Promise<void>>();

  const target = (msg: InboundMessage): { agentId: string; sessionKey: string } => {
    const config = deps.config();
    const agentId = pickAgent(msg, config.bindings, Object.keys(config.agents));
    return { agentId, sessionKey: sessionKeyFor(msg, agentId, config.session.dm_scope) };
  };

  /** Serializes processing per chat, so replies keep the order messages arrived in. */
  const enqueue = (msg: InboundMessage, journalId: number): Promise<void> => {
    const chat = `${msg.channel}:${msg.account}:${msg.chat.id}`;
    const next = (chains.get(chat) ?? Promise.resolve()).then(() => processOne(msg, journalId));
    const tail = next.catch(() => undefined);
    chains.set(chat, tail);
    void tail.then(() => {
      if (chains.get(chat) === tail) chains.delete(chat);
    });
    return next;
  };

  const finish = async (msg: InboundMessage, journalId: number, outcome: IngressOutcome, reason?: string): Promise<void> => {
    if (outcome !== "run") await deps.store.journal.mark(journalId, outcome === "failed" ? "failed" : "processed");
    deps.onOutcome?.(msg, outcome, reason);
    log.debug({ channel: msg.channel, account: msg.account, chat: msg.chat.id, outcome, reason }, "inbound handled");
  };

  async function processOne(msg: InboundMessage, journalId: number): Promise<void> {
    try {
      await decideAndAct(msg, journalId);
    } catch (err) {
      log.error({ err, channel: msg.channel, account: msg.account, journalId }, "inbound message failed");
      await finish(msg, journalId, "failed", err instanceof Error ? err.message : String(err)).catch(() => undefined);
    }
  }

  async function decideAndAct(msg: InboundMessage, journalId: number): Promise<void> {
    const account = deps.accountConfig(msg.channel, msg.account);
    if (!account) return finish(msg, journalId, "dropped", "account no longer configured");
    const { agentId, sessionKey } = target(msg);
    const route = routeOf(msg);
    const command = parseCommand(msg.text, deps.botUsername(msg.channel, msg.account));
    const approved = msg.chat.kind === "dm" && account.dm_policy !== "open" ? await deps.store.pairing.isApproved(msg.channel, msg.account, msg.sender.id) : false;
    const session = msg.chat.kind === "group" ? await deps.store.sessions.get(sessionKey) : undefined;
    const decision = decideAccess(msg, account, { approved, activation: session?.activation, isCommand: command !== undefined });

    if (decision.action === "drop") return finish(msg, journalId, "dropped", decision.reason);
    if (decision.action === "pair") {
      const result = await deps.store.pairing.request({
        channel: msg.channel, account: msg.account, senderId: msg.sender.id, senderName: msg.sender.name ?? msg.sender.username,
        chatId: msg.chat.id, code: newPairingCode(), ttlMs: PAIRING_TTL_MS, maxPending: PAIRING_MAX_PENDING,
      });
      if (result.status === "created") {
        await deps.store.audit.write({
          at: deps.now(), kind: "pairing.requested", decision: "info", runId: undefined, sessionKey: undefined, tool: undefined,
          reason: `unknown sender on ${msg.channel}/${msg.account}`, detail: { senderId: msg.sender.id, senderName: result.request.senderName },
        });
      }
      const text = result.status === "full" ? PAIRING_FULL_TEXT : pairingCodeText({ channel: msg.channel, code: result.request.code, senderId: msg.sender.id });
      await deps.reply(route, text, `j${journalId}`);
      return finish(msg, journalId, "paired", result.status);
    }
    if (decision.action === "context") {
      await deps.store.sessions.ensure({ key: sessionKey, agentId, channel: msg.channel });
      if (account.group_history_limit > 0 && msg.text.trim()) {
        await deps.store.groupContext.append({ sessionKey, sender: senderLabel(msg), text: msg.text, at: msg.at }, account.group_history_limit);
        // Quiet context reaches the session's next turn: a non-owner's taints the session from now on (until /new).
        if (!isOwner(account, msg.sender)) await taintSession(sessionKey, [messageSource(msg, deps.now())]);
      }
      return finish(msg, journalId, "context", decision.reason);
    }

    await deps.store.sessions.ensure({ key: sessionKey, agentId, channel: msg.channel });
    if (command) {
      const text = await runCommand(command, {
        msg, sessionKey, agentId, owner: isOwner(account, msg.sender), config: deps.config(), dmScope: deps.config().session.dm_scope, store: deps.store, dispatcher: deps.dispatcher,
        knownModels: deps.knownModels, isUsableModel: deps.isUsableModel, approvals: deps.approvals?.(),
      });
      await deps.reply(route, text, `j${journalId}`);
      return finish(msg, journalId, "command", command.name);
    }

    const mediaLines = msg.media.length > 0 ? await deps.stageMedia(msg, agentId, account) : [];
    const context = msg.chat.kind === "group" ? await deps.store.groupContext.take(sessionKey) : [];
    const owner = isOwner(account, msg.sender);
    const text = renderTurnText(msg, mediaLines, context, { owner });
    if (!text.trim()) return finish(msg, journalId, "dropped", "empty message");
    const taint = turnTaint(msg, { owner, mediaLines, at: deps.now() });
    const received = await deps.dispatcher.receive({
      agentId, sessionKey, channel: msg.channel, text, origin: route, trigger: "message", ...(taint.length > 0 ? { taint } : {}),
      inbound: { account: msg.account, messageId: msg.messageId, journalId },
    });
    if (received.duplicate) return finish(msg, journalId, "duplicate");
    deps.onTurn?.(received, route);
    await finish(msg, journalId, "run");
  }

  async function taintSession(sessionKey: string, sources: TaintSource[]): Promise<void> {
    const session = await deps.store.sessions.get(sessionKey);
    const merged = mergeTaint(session?.taint, sources);
    if (merged.length !== (session?.taint?.length ?? 0)) await deps.store.sessions.update(sessionKey, { taint: merged });
  }

  return {
    async deliver(msg) {
      const { sessionKey } = target(msg);
      const { entry, duplicate } = await deps.store.journal.append({
        channel: msg.channel, account: msg.account, platformMessageId: msg.messageId, sessionKey, payload: { inbound: msg } satisfies JournaledInbound,
      });
      if (duplicate) {
        deps.onOutcome?.(msg, "duplicate");
        return;
      }
      void enqueue(msg, entry.id);
    },
    async replay() {
      const pending = (await deps.store.journal.pending()).filter((e: JournalEntry) => isJournaledInbound(e.payload));
      for (const entry of pending) void enqueue((entry.payload as JournaledInbound).inbound, entry.id);
      return pending.length;
    },
    async idle() {
      while (chains.size > 0) await Promise.all(chains.values());
    },
  };
}

/** The trust label of a non-owner's chat message: `telegram group message from 502 (@bob)`. */
export function messageSource(msg: InboundMessage, at: number): TaintSource {
  const who = `${msg.sender.id}${msg.sender.username ? ` (@${msg.sender.username})` : ""}`;
  return { kind: "message", label: `${msg.channel} ${msg.chat.kind} message from ${who}`, at };
}

/** What a turn brings in that nobody trusted: a non-owner's words, and files saved to the inbox (anyone's). */
export function turnTaint(msg: InboundMessage, facts: { owner: boolean; mediaLines: readonly string[]; at: number }): TaintSource[] {
  const sources: TaintSource[] = facts.owner ? [] : [messageSource(msg, facts.at)];
  const who = `${msg.sender.id}${msg.sender.username ? ` (@${msg.sender.username})` : ""}`;
  for (const line of facts.mediaLines) {
    const file = /\binbox\/[^\s\])]+/.exec(line)?.[0];
    if (file) sources.push({ kind: "file", label: `${msg.channel} file ${file} from ${who}`, at: facts.at });
  }
  return sources;
}
