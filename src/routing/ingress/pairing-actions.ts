// What an owner does with DM pairing, the same from `pincer pairing …` and the HTTP API: approve a code (optionally
// queueing the approval message), deny it, revoke an approved sender — each audited. Ingress reads approvals from
// the store on every message, so a change applies to the next DM without a restart.
import type { PairingRequest } from "../../core/domain.ts";
import type { Store } from "../../store/store.ts";
import { PAIRING_APPROVED_TEXT } from "./pairing-code.ts";

export interface PairingActor {
  store: Store;
  /** Who did it, for the audit record: `'pincer pairing approve'`, `the HTTP API`. */
  via: string;
  now: () => number;
}

export interface CodeAction {
  channel: string;
  code: string;
  /** When given, the code must belong to this account of the channel. */
  account?: string;
}

/** Approves a pending code; `notify` queues the approval message for the gateway holding the channel to send.
 * Returns the request approved, or undefined when no unexpired request has that code (on that account). */
export async function approvePairing(actor: PairingActor, action: CodeAction & { notify?: boolean }): Promise<PairingRequest | undefined> {
  if (!(await belongsToAccount(actor.store, action))) return undefined;
  const request = await actor.store.pairing.approve(action.channel, action.code.trim());
  if (!request) return undefined;
  await audit(actor, "pairing.approved", "allow", `approved with ${actor.via}`, request);
  if (action.notify) await actor.store.notices.enqueue({ channel: request.channel, account: request.account, chatId: request.chatId, text: PAIRING_APPROVED_TEXT });
  return request;
}

/** Removes a pending code without approving its sender (they get a new code when they write again). */
export async function denyPairing(actor: PairingActor, action: CodeAction): Promise<PairingRequest | undefined> {
  if (!(await belongsToAccount(actor.store, action))) return undefined;
  const request = await actor.store.pairing.deny(action.channel, action.code.trim());
  if (request) await audit(actor, "pairing.denied", "deny", `denied with ${actor.via}`, request);
  return request;
}

/** Removes an approved sender; false when they were not approved. */
export async function revokeSender(actor: PairingActor, sender: { channel: string; account: string; senderId: string }): Promise<boolean> {
  const revoked = await actor.store.pairing.revoke(sender.channel, sender.account, sender.senderId);
  if (revoked) await audit(actor, "pairing.revoked", "deny", `revoked with ${actor.via}`, sender);
  return revoked;
}

async function belongsToAccount(store: Store, action: CodeAction): Promise<boolean> {
  if (action.account === undefined) return true;
  const code = action.code.trim().toUpperCase();
  const pending = await store.pairing.pending({ channel: action.channel });
  return pending.some((r) => r.code === code && r.account === action.account);
}

async function audit(
  actor: PairingActor,
  kind: string,
  decision: "allow" | "deny",
  reason: string,
  who: { channel: string; account: string; senderId: string },
): Promise<void> {
  await actor.store.audit.write({
    at: actor.now(), kind, decision, runId: undefined, sessionKey: undefined, tool: undefined, reason,
    detail: { channel: who.channel, account: who.account, senderId: who.senderId },
  });
}
