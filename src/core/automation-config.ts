// The automation parts of the config schema: heartbeats, webhook triggers (hooks) and spend caps (budgets), with the
// duration and delivery-target syntax schedules share. Plain zod and pure helpers; behaviour lives in src/automation.
import { z } from "zod";

/** `10s`, `30m`, `2h`, `1d`: a positive whole number and one unit. */
export const DURATION = /^([1-9]\d{0,8})(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration such as `30m`, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

export const durationSchema = z.string().regex(DURATION, "expected a duration such as 10s, 30m, 2h or 1d");

/** `HH:MM-HH:MM` (24-hour clock); a range that ends before it starts runs past midnight (`22:00-06:00`). */
export const ACTIVE_HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;

/** Whether an IANA time zone name is known to this Node (Intl); `UTC` always is. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const timeZoneSchema = z.string().refine(isTimeZone, { error: (iss) => `expected an IANA time zone such as Europe/Paris or UTC, got ${JSON.stringify(iss.input)}` });

/**
 * Where an automated run's final answer goes: `none` (kept in the session), `<channel>:<account>:<peer>` (a chat,
 * through the normal idempotent reply path; `<peer>` may be `group:<id>` for a group chat), or `webhook:<url>` (an
 * http(s) URL that gets a JSON POST).
 */
export type DeliverTarget =
  | { kind: "none" }
  | { kind: "chat"; channel: string; account: string; chatKind: "dm" | "group"; chatId: string }
  | { kind: "webhook"; url: string };

const CHAT_TARGET = /^([a-z][a-z0-9_-]*):([^:\s]+):(?:(group|dm):)?(\S+)$/;

/** Parses a delivery target; undefined when the text is not one. */
export function parseDeliverTarget(text: string): DeliverTarget | undefined {
  const t = text.trim();
  if (t === "" || t === "none") return { kind: "none" };
  if (t.startsWith("webhook:")) {
    const url = URL.parse(t.slice("webhook:".length));
    return url && (url.protocol === "http:" || url.protocol === "https:") && !url.username && !url.password ? { kind: "webhook", url: url.href } : undefined;
  }
  const m = CHAT_TARGET.exec(t);
  if (!m) return undefined;
  return { kind: "chat", channel: m[1]!, account: m[2]!, chatKind: m[3] === "group" ? "group" : "dm", chatId: m[4]! };
}

/** The text form of a delivery target (what `parseDeliverTarget` reads back). */
export function formatDeliverTarget(target: DeliverTarget): string {
  if (target.kind === "none") return "none";
  if (target.kind === "webhook") return `webhook:${target.url}`;
  return `${target.channel}:${target.account}:${target.chatKind === "group" ? "group:" : ""}${target.chatId}`;
}

export const deliverSchema = z.string().refine((v) => parseDeliverTarget(v) !== undefined, {
  error: (iss) => `expected none, <channel>:<account>:<peer> (e.g. telegram:main:123456) or webhook:<http(s) url>, got ${JSON.stringify(iss.input)}`,
});

/** Which session an automated run uses: a fresh one each time (`isolated`), the agent's main session, or a session key. */
export const automationSessionSchema = z.string().min(1).regex(/^(?:isolated|main|agent:\S+)$/, "expected isolated, main, or a session key agent:<id>:…");

const AGENT_ID = /^[a-z0-9][a-z0-9_-]*$/i;

/** `heartbeat`: a periodic check-in of one agent; absent = off. */
export const heartbeatSchema = z.strictObject({
  /** How often the heartbeat ticks. */
  every: durationSchema.default("30m"),
  /** Ticks only inside this daily window (`HH:MM-HH:MM` in `tz`); absent = around the clock. */
  active_hours: z.string().regex(ACTIVE_HOURS, "expected HH:MM-HH:MM, e.g. 08:00-22:00").optional(),
  /** Time zone of `active_hours`; default the host's. */
  tz: timeZoneSchema.optional(),
  agent: z.string().regex(AGENT_ID, "agent ids are letters, digits, - and _").default("default"),
  /** Where a heartbeat's answer goes (a reply of HEARTBEAT_OK is never delivered). */
  deliver: deliverSchema.default("none"),
});
export type HeartbeatConfig = z.infer<typeof heartbeatSchema>;

export const HOOK_AUTH_MODES = ["hmac-sha256", "github", "token"] as const;
export type HookAuthMode = (typeof HOOK_AUTH_MODES)[number];

/** Hook names: the last segment of `POST /hooks/<name>`. */
export const HOOK_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** One webhook trigger, served at `POST /hooks/<name>`. */
export const hookSchema = z.strictObject({
  /** `github`: X-Hub-Signature-256; `hmac-sha256`: a signature over `<timestamp>.<body>` in `signature_header` with the
   * time in `timestamp_header`; `token`: `Authorization: Bearer <secret>`. */
  auth: z.enum(HOOK_AUTH_MODES, { error: () => `expected one of ${HOOK_AUTH_MODES.join(", ")}` }),
  /** The env var holding the secret (never the secret itself in the file). */
  secret_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name, e.g. GITHUB_WEBHOOK_SECRET"),
  /** The run's input: `{{body.a.b}}`, `{{headers.x-github-event}}` are replaced from the request. */
  message: z.string().min(1),
  agent: z.string().regex(AGENT_ID, "agent ids are letters, digits, - and _").default("default"),
  session: automationSessionSchema.default("isolated"),
  deliver: deliverSchema.default("none"),
  /** Largest body read, bytes; over it → 413. */
  max_body_bytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  /** hmac-sha256 only. */
  signature_header: z.string().min(1).default("x-pincer-signature"),
  /** hmac-sha256 only: unix seconds; a request older or newer than `tolerance_s` is refused (replay). */
  timestamp_header: z.string().min(1).default("x-pincer-timestamp"),
  tolerance_s: z.number().int().min(1).max(3600).default(300),
  /** Deliveries per minute accepted for this hook; over it → 429 + Retry-After. */
  rate_limit_per_minute: z.number().int().positive().default(60),
});
export type HookConfig = z.infer<typeof hookSchema>;

export const hooksSchema = z.record(z.string().regex(HOOK_NAME, "hook names are lowercase letters, digits, - and _"), hookSchema);

export const BUDGET_PERIODS = ["day", "month"] as const;
export const BUDGET_ACTIONS = ["block", "warn", "downgrade"] as const;
/** `instance`, `session`, `agent:<id>`, `sender:<channel>:<id>`. */
export const BUDGET_SCOPE = /^(?:instance|session|agent:[a-z0-9][a-z0-9_-]*|sender:[a-z][a-z0-9_-]*:\S+)$/i;

/** A spend cap, checked before every model call against the usage ledger. */
export const budgetSchema = z.strictObject({
  scope: z.string().regex(BUDGET_SCOPE, "expected instance, session, agent:<id> or sender:<channel>:<id>"),
  period: z.enum(BUDGET_PERIODS).default("day"),
  max_usd: z.number().positive().optional(),
  /** Input + output tokens. */
  max_tokens: z.number().int().positive().optional(),
  action: z.enum(BUDGET_ACTIONS).default("block"),
  /** With `downgrade`: the tier (or provider/model) used once over the limit. */
  downgrade_to: z.string().min(1).default("fast"),
  /** Where days and months start; default UTC. */
  tz: timeZoneSchema.default("UTC"),
}).refine((b) => b.max_usd !== undefined || b.max_tokens !== undefined, { error: "a budget needs max_usd, max_tokens or both" });
export type BudgetConfig = z.infer<typeof budgetSchema>;
