// Identifier helpers: prefixed random ids and session keys. Pure, no I/O.
import { randomBytes } from "node:crypto";

/** A short sortable id: `<prefix>_<time36><random>`. */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, "0");
  return `${prefix}_${time}${randomBytes(6).toString("hex")}`;
}

export type ChatKind = "dm" | "group" | "thread";

/** `agent:<agentId>:<channel>:<dm|group|thread>:<peerId>` */
export function buildSessionKey(parts: { agentId: string; channel: string; kind: ChatKind; peerId: string }): string {
  return `agent:${parts.agentId}:${parts.channel}:${parts.kind}:${parts.peerId}`;
}

const SESSION_KEY = /^agent:([^:]+):([^:]+):(dm|group|thread):(.+)$/;

export function parseSessionKey(key: string): { agentId: string; channel: string; kind: ChatKind; peerId: string } | undefined {
  const m = SESSION_KEY.exec(key);
  if (!m) return undefined;
  return { agentId: m[1]!, channel: m[2]!, kind: m[3] as ChatKind, peerId: m[4]! };
}
