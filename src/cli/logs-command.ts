// `pincer logs`: the gateway's log file (`<state dir>/logs/gateway.log` and its rotations), read directly, so it works
// with the gateway down; `-f` follows new lines across rotations until interrupted.
import { existsSync } from "node:fs";
import { resolveStateDir } from "../config/paths.ts";
import { gatewayLogPath } from "../config/log-file.ts";
import { LOG_LEVEL_NAMES, LOG_LEVELS, followLog, matchesLog, parseLogLine, readLogTail, type LogFilter, type LogLevelName } from "../config/log-reader.ts";
import { formatPretty } from "../config/logger.ts";
import { CliFailure, EXIT_USAGE, parseDuration } from "./output.ts";

export interface LogsOptions {
  follow?: boolean;
  level?: string;
  since?: string;
  grep?: string;
  lines: string;
  json?: boolean;
}

/** How often `-f` looks for new lines, ms. */
const FOLLOW_POLL_MS = 250;

export async function logsCommand(opts: LogsOptions): Promise<void> {
  const filter = toFilter(opts, Date.now());
  const limit = toLineCount(opts.lines);
  const path = gatewayLogPath(resolveStateDir(process.env));
  const print = (raw: string): void => void process.stdout.write(opts.json ? `${raw}\n` : formatPretty(raw));
  if (!existsSync(path) && !opts.follow) {
    throw new CliFailure(`no gateway log at ${path} yet: the gateway writes it while it runs. Fix: start it with 'pincer gateway' (or 'pincer gateway install')`);
  }
  for (const { raw } of await readLogTail(path, filter, limit)) print(raw);
  if (!opts.follow) return;
  const follower = followLog(path, (raw) => {
    if (matchesLog(parseLogLine(raw), raw, filter)) print(raw);
  });
  process.stderr.write(existsSync(path) ? `following ${path} (Ctrl-C stops)\n` : `waiting for ${path} (start the gateway with 'pincer gateway'; Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => follower.poll(), FOLLOW_POLL_MS);
    const stop = (): void => {
      clearInterval(timer);
      follower.close();
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

function toFilter(opts: LogsOptions, now: number): LogFilter {
  const filter: LogFilter = {};
  if (opts.level !== undefined) {
    const name = opts.level.toLowerCase();
    if (!(LOG_LEVEL_NAMES as string[]).includes(name)) throw new CliFailure(`--level: expected one of ${LOG_LEVEL_NAMES.join(", ")}, got ${JSON.stringify(opts.level)}`, EXIT_USAGE);
    filter.minLevel = LOG_LEVELS[name as LogLevelName];
  }
  if (opts.since !== undefined) filter.since = toSince(opts.since, now);
  if (opts.grep !== undefined) filter.q = opts.grep;
  return filter;
}

/** `30m`, `2h`, `7d` before now, or an ISO date/time. */
function toSince(text: string, now: number): number {
  if (/^\d+[smhd]$/.test(text.trim())) return now - parseDuration(text, "--since");
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new CliFailure(`--since: expected a duration like 30m, 2h or 7d, or a date like 2026-01-31T09:00, got ${JSON.stringify(text)}`, EXIT_USAGE);
  return at;
}

function toLineCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new CliFailure(`--lines: expected a whole number 1-100000, got ${JSON.stringify(text)}`, EXIT_USAGE);
  return n;
}
