// Masks secrets in free text (log lines, error messages) and in config objects (for `config show`).
// Pattern-based and best-effort; output of JSON text stays valid JSON: it knows common key shapes; it cannot recognise an arbitrary password.
import { setOwnEntry } from "../core/own-entry.ts";
const MASK = "***";

// [pattern, replacement] in order: specific vendor shapes first, generic key=value last.
const TEXT_RULES: readonly [RegExp, string | ((...groups: string[]) => string)][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, `-----PRIVATE KEY ${MASK}-----`],
  [/\bsk-ant-[A-Za-z0-9_-]{8,}/g, `sk-ant-${MASK}`],
  [/\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}/g, `sk-${MASK}`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${MASK}`],
  [/\b(xox[abposr]|xapp)-[A-Za-z0-9-]{10,}/g, `$1-${MASK}`],
  [/\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,}/g, `$1${MASK}`],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, `$1${MASK}`],
  [/\bAIza[0-9A-Za-z_-]{35}/g, `AIza${MASK}`],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, `eyJ${MASK}`],
  // Telegram bot token `<bot id>:<35 chars>`, also inside `/bot<token>/` URLs; the bot id is public.
  [/(?<!\d)(\d{5,}):[A-Za-z0-9_-]{30,}/g, `$1:${MASK}`],
  // NATS NKey seeds: `S` + key type + base32 (user `SU…`, account `SA…`, operator `SO…`).
  [/\bS[UAONCX][A-Z2-7]{54,}\b/g, `S${MASK}`],
  // Credentials in URLs: `scheme://user:password@host` and secret-looking query parameters.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"'\\]*:)[^\s@/"'\\]+@/gi, `$1${MASK}@`],
  [/([?&](?:api[_-]?key|apikey|key|token|access_token|auth|auth_token|secret|client_secret|password|sig|signature)=)[^&\s#"'\\]+/gi, `$1${MASK}`],
  // `token: ...`, `"client_secret":"..."`, `password=...`: the key must end with the word, so `max_tokens` is left alone.
  [
    /(\b[A-Za-z0-9_-]*?(token|secret|password|passwd|api[_-]?key)["']?\s*[:=]\s*["']?)([^\s"',;&}\\]+)/gi,
    (match: string, prefix: string, word: string, value: string) => {
      const minLength = /^(token|api[_-]?key)$/i.test(word) ? 8 : 3;
      return value.length < minLength || value.includes(MASK) ? match : `${prefix}${MASK}`;
    },
  ],
];

/**
 * Masks known secret shapes in text: OpenAI/Anthropic keys, bearer tokens, Slack/GitHub/AWS/Google keys,
 * Telegram bot tokens, URL credentials and query params, JWTs, private keys, and values after
 * token/secret/password/api_key keys.
 * Contract: pure; never throws; idempotent (masking twice gives the same text).
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of TEXT_RULES) {
    out = typeof replacement === "string" ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  }
  return out;
}

const SECRET_KEY = /^(?:api_?keys?|auth_token|access_token|refresh_token|token|secret|password|passphrase|private_key)$|(?:_token|_secret|_password|_passphrase|_seed)$/i;
const SECRET_HEADER = /^(?:authorization|proxy-authorization|cookie|set-cookie)$|(?:token|secret|key|auth)/i;

/** True when a config key holds a secret (`api_key`, `api_keys`, `auth_token`, `bot_token`, `password`, ...). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** True when an HTTP header (in a config's `headers` map) carries a credential (`Authorization`, `x-api-key`, …). */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/**
 * A deep copy of `config` with secret values replaced by "***" (lists keep their length so a key pool
 * still shows how many keys it holds); secret-looking headers are masked and every other string goes
 * through redactSecrets. Contract: pure; the input is not modified.
 */
export function redactConfig<T>(config: T): T {
  return redactValue(config, undefined) as T;
}

function redactValue(value: unknown, parentKey: string | undefined): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, undefined));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const secret = isSecretKey(key) || (parentKey === "headers" && isSecretHeader(key));
    setOwnEntry(out, key, secret ? maskValue(item) : redactValue(item, key));
  }
  return out;
}

function maskValue(value: unknown): unknown {
  if (value === undefined || value === null || value === "") return value;
  if (Array.isArray(value)) return value.map(() => MASK);
  return MASK;
}
