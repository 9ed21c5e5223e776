// Which agent answers an inbound message (bindings) and which session it belongs to (dm_scope, chat, thread).
// Pure: no I/O, so every runtime derives the same key for the same message.
import type { Binding, DmScope } from "../../core/channel-config.ts";
import { buildSessionKey } from "../../core/ids.ts";
import type { InboundMessage } from "../../core/inbound.ts";

/**
 * The agent for a message: the most specific matching binding (peer > account > channel), else `default` when that
 * agent exists, else the first configured agent.
 */
export function pickAgent(msg: InboundMessage, bindings: readonly Binding[], agentIds: readonly string[]): string {
  let best: { agent: string; score: number } | undefined;
  for (const b of bindings) {
    const m = b.match;
    if (m.channel !== msg.channel) continue;
    if (m.account !== undefined && m.account !== msg.account) continue;
    if (m.peer !== undefined) {
      const id = m.peer.kind === "dm" ? msg.sender.id : msg.chat.id;
      if (m.peer.kind !== msg.chat.kind || m.peer.id !== id) continue;
    }
    const score = (m.peer ? 4 : 0) + (m.account !== undefined ? 2 : 0) + 1;
    if (!best || score > best.score) best = { agent: b.agent, score };
  }
  if (best) return best.agent;
  return agentIds.includes("default") ? "default" : (agentIds[0] ?? "default");
}

/** The account part of a peer id: omitted for the `default` account, so a second bot account gets its own sessions. */
function scoped(msg: InboundMessage, id: string): string {
  return msg.account === "default" ? id : `${msg.account}/${id}`;
}

/**
 * Session key of a message (`agent:<agent>:<channel>:<dm|group|thread>:<peer>`):
 * - DMs by `dm_scope`: `main` → the agent's one main session; `per-peer` → one per sender id whatever the channel;
 *   `per-channel-peer` → one per sender per channel (and account).
 * - Groups: one per group; a thread or forum topic is a session of its own.
 */
export function sessionKeyFor(msg: InboundMessage, agentId: string, dmScope: DmScope): string {
  if (msg.chat.kind === "dm") {
    if (dmScope === "main") return buildSessionKey({ agentId, channel: "main", kind: "dm", peerId: "main" });
    if (dmScope === "per-peer") return buildSessionKey({ agentId, channel: "any", kind: "dm", peerId: msg.sender.id });
    return buildSessionKey({ agentId, channel: msg.channel, kind: "dm", peerId: scoped(msg, msg.sender.id) });
  }
  if (msg.threadId !== undefined) {
    return buildSessionKey({ agentId, channel: msg.channel, kind: "thread", peerId: scoped(msg, `${msg.chat.id}/${msg.threadId}`) });
  }
  return buildSessionKey({ agentId, channel: msg.channel, kind: "group", peerId: scoped(msg, msg.chat.id) });
}
