// Display formats shared by every page: times, durations, token counts and costs. Pure functions of their input.

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** Epoch ms → local date and time, e.g. "3 Jan 2026, 14:05". Empty for a missing value. */
export function formatTime(ms) {
  if (ms === undefined || ms === null) return "";
  return new Date(ms).toLocaleString(undefined, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** Epoch ms → "just now", "5 min ago", "yesterday", or the date for anything older than a week. */
export function formatRelative(ms, now = Date.now()) {
  if (ms === undefined || ms === null) return "";
  const s = Math.round((ms - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return "just now";
  if (abs < 3600) return rtf.format(Math.round(s / 60), "minute");
  if (abs < 86_400) return rtf.format(Math.round(s / 3600), "hour");
  if (abs < 7 * 86_400) return rtf.format(Math.round(s / 86_400), "day");
  return new Date(ms).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

/** Milliseconds → "850 ms", "4.2 s", "3 min 5 s", "2 h 10 min". */
export function formatDuration(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const min = Math.floor(ms / 60_000);
  if (min < 60) return `${min} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** Token counts → "812", "12.4k", "3.1M". */
export function formatTokens(n) {
  if (n === undefined || n === null) return "";
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/**
 * USD → "$0.0042", "$1.27". `unknown` (or undefined / null cost) → "unknown": a model without a known price has no cost
 * to show, which is not the same as $0. Pass `{ known: false }` when the server says the price is unknown.
 */
export function formatCost(usd, opts = { known: true }) {
  if (opts.known === false || usd === undefined || usd === null || !Number.isFinite(usd)) return "unknown";
  if (usd === 0) return "$0";
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

/** A run status → its display word. */
export function formatStatus(status) {
  return { succeeded: "done", failed: "failed", cancelled: "stopped", interrupted: "interrupted", running: "running", pending: "waiting" }[status] ?? status;
}

/**
 * A session key `agent:<agent>:<channel>:<dm|group|thread>:<peer>` → its parts; undefined for any other shape (then
 * show the key itself).
 */
export function parseSessionKey(key) {
  const m = /^agent:([^:]+):([^:]+):(dm|group|thread):(.+)$/.exec(key ?? "");
  return m ? { agentId: m[1], channel: m[2], kind: m[3], peer: m[4] } : undefined;
}

/**
 * The cost of a `usage` ({ inputTokens, outputTokens, costUsd, costKnown? }): "unknown" when the server says the price
 * is unknown, or when tokens were used but cost nothing (no price entry for the model); "" when nothing was used.
 */
export function formatUsageCost(usage) {
  if (!usage) return "";
  const tokens = (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
  if (usage.costKnown === false || ((usage.costUsd ?? 0) === 0 && tokens > 0)) return "unknown";
  if (tokens === 0 && !usage.costUsd) return "";
  return formatCost(usage.costUsd);
}
