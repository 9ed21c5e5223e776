// Makes tool arguments safe and small enough for an audit record: obvious secrets masked, long strings
// and the whole payload capped. Pure; it catches common secret shapes, not every possible one.
import { setOwnEntry } from "../core/own-entry.ts";

const MASK = "[redacted]";
const MAX_STRING = 512; // chars kept per string value
const MAX_JSON = 1024; // chars of the whole redacted payload
const MAX_DEPTH = 6;

/** Keys whose values are secrets whatever they look like. */
const SECRET_KEY = /pass(word|wd|phrase)?$|secret|token|api[_-]?key|authorization|cookie|credential|private[_-]?key/i;

/** Value shapes that are secrets wherever they appear (commands, URLs, file contents). */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi, `$1${MASK}@`], // userinfo in URLs
  [/([?&](?:access_token|token|api_key|apikey|key|secret|password|sig|signature)=)[^&\s#]+/gi, `$1${MASK}`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${MASK}`],
  [/\bsk-[A-Za-z0-9_-]{16,}/g, MASK], // OpenAI / Anthropic style keys
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, MASK], // GitHub tokens
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, MASK], // Slack tokens
  [/\bAKIA[0-9A-Z]{16}\b/g, MASK], // AWS access key ids
  [/\b\d{8,10}:[A-Za-z0-9_-]{35}\b/g, MASK], // Telegram bot tokens
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, MASK],
];

/** Masks known secret shapes inside a string. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") {
    const clean = redactText(value.length > MAX_STRING * 4 ? value.slice(0, MAX_STRING * 4) : value);
    return clean.length > MAX_STRING ? `${clean.slice(0, MAX_STRING)}…(${value.length} chars)` : clean;
  }
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[nested]";
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) setOwnEntry(out, key, SECRET_KEY.test(key) ? MASK : redactValue(v, depth + 1));
  return out;
}

/**
 * Redacts and caps tool arguments for an audit record. Returns the redacted value, or — when its JSON
 * is longer than ~1 KB — that JSON cut to size as a string.
 */
export function redactArgs(args: unknown): unknown {
  const clean = redactValue(args, 0);
  const json = JSON.stringify(clean) ?? "";
  return json.length > MAX_JSON ? `${json.slice(0, MAX_JSON)}…` : clean;
}
