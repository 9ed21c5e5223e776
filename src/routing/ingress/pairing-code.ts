// DM pairing codes and the texts around them. Codes are 8 characters from an alphabet without look-alikes.
import { randomInt } from "node:crypto";

/** No 0/O, 1/I/L: a code read aloud or retyped from a phone survives. */
export const PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const PAIRING_CODE_LENGTH = 8;
export const PAIRING_TTL_MS = 60 * 60 * 1000;
export const PAIRING_MAX_PENDING = 3;

export function newPairingCode(): string {
  let code = "";
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) code += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return code;
}

export function pairingCodeText(opts: { channel: string; code: string; senderId: string }): string {
  return [
    "I don't know you yet, so I can't answer. Ask my owner to approve you with:",
    "",
    `pincer pairing approve ${opts.channel} ${opts.code}`,
    "",
    `Your id: ${opts.senderId}. This code expires in 1 hour.`,
  ].join("\n");
}

export const PAIRING_FULL_TEXT = "I can't take new contacts right now: too many requests are waiting for approval. Try again later.";

export const PAIRING_APPROVED_TEXT = "You're approved. Send me a message any time.";
