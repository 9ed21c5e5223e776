// Pure: whether a run's session is one only the owner is in, so private memory may enter its prompt and its tools.
// Decided from what the run already carries (its origin route and session key) and the channel accounts' `owners`.
import type { PincerConfig } from "../core/config-schema.ts";
import type { Run } from "../core/domain.ts";
import { parseSessionKey } from "../core/ids.ts";
import { ownEntry } from "../core/own-entry.ts";

/** Sessions of the operator's own surfaces: the terminal, WebChat (gateway token or UI login), the OpenAI-compatible API. */
const OPERATOR_CHANNELS = new Set(["cli", "webchat", "openai"]);

/**
 * The rule:
 * - a run from a chat channel (it has an `origin`) is an owner session only in a DM whose sender is listed in that
 *   channel account's `owners` (id or username) — never in a group or thread, never in a DM with anyone else;
 * - a run without an origin is an owner session when its session key is a DM of an operator surface (`cli`,
 *   `webchat`, `openai`), which only the gateway token reaches. Anything else (an unknown channel) is not.
 */
export function isOwnerSession(run: Pick<Run, "sessionKey" | "origin">, config: Pick<PincerConfig, "channels">): boolean {
  const origin = run.origin;
  if (origin) {
    if (origin.chatKind !== "dm" || !origin.senderId) return false;
    const channel = ownEntry(config.channels as Record<string, unknown>, origin.channel) as { accounts?: Record<string, { owners?: string[] }> } | undefined;
    const account = channel?.accounts ? ownEntry(channel.accounts, origin.account) : undefined;
    const username = origin.senderUsername?.toLowerCase();
    // As access-policy.ts matches owners: the id, or `@name` / `name` against the username (case-insensitive); never "*".
    return (account?.owners ?? []).some((raw) => {
      const o = raw.trim();
      if (o === "*" || !o) return false;
      if (o === origin.senderId) return true;
      return username !== undefined && (o.startsWith("@") ? o.slice(1) : o).toLowerCase() === username;
    });
  }
  const key = parseSessionKey(run.sessionKey);
  return key !== undefined && key.kind === "dm" && OPERATOR_CHANNELS.has(key.channel);
}
