// /api/v1/logs: the newest lines of the gateway's log file (level, text and time filters), and /api/v1/logs/stream,
// a server-sent-events live tail of the lines as they are written. Lines are redacted before they reach the file.
import { Hono } from "hono";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { LOG_LEVEL_NAMES, LOG_LEVELS, matchesLog, parseLogLine, readLogTail, type LogEntry, type LogFilter } from "../config/log-reader.ts";
import { parseQuery, timeParam, holdEventStream } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";

const LIMIT_MESSAGE = "must be an integer from 1 to 1000";
const level = z.enum(LOG_LEVEL_NAMES, { error: `must be one of ${LOG_LEVEL_NAMES.join(", ")}` });
const q = z.string().max(200, "must be at most 200 characters");

const logsQuery = z.object({
  level: level.optional(),
  q: q.optional(),
  since: timeParam.optional(),
  limit: z.coerce.number({ error: LIMIT_MESSAGE }).int(LIMIT_MESSAGE).min(1, LIMIT_MESSAGE).max(1000, LIMIT_MESSAGE).default(200),
});
const streamQuery = z.object({ level: level.optional(), q: q.optional() });

/** Lines a slow live-tail client may have waiting before newer ones are dropped (and the client told how many). */
const MAX_QUEUED = 500;

/** One log line as the API shows it: the pino fields besides these are in `fields`. */
export interface LogLineView {
  time: number;
  level: string;
  msg: string;
  component: string | null;
  fields: Record<string, unknown>;
}

const OWN_FIELDS = new Set(["level", "time", "msg", "component", "pid", "hostname"]);

export function toLogLineView(entry: LogEntry): LogLineView {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry.record)) if (!OWN_FIELDS.has(key)) Object.defineProperty(fields, key, { value, enumerable: true });
  return { time: entry.time, level: entry.levelName, msg: entry.msg, component: entry.component ?? null, fields };
}

const toFilter = (v: { level?: keyof typeof LOG_LEVELS | undefined; q?: string | undefined; since?: number | undefined }): LogFilter => ({
  ...(v.level ? { minLevel: LOG_LEVELS[v.level] } : {}),
  ...(v.q ? { q: v.q } : {}),
  ...(v.since !== undefined ? { since: v.since } : {}),
});

export function createLogRoutes(opts: { ctx: GatewayContext }): Hono {
  const api = new Hono();
  const noFile = (c: Context): Response =>
    c.json({ error: { type: "not_found", message: "this process writes no log file (only 'pincer gateway' does)" } }, 404);

  api.get("/logs", async (c) => {
    const parsed = parseQuery(c, logsQuery);
    if (!parsed.ok) return parsed.response;
    const file = opts.ctx.logFile;
    if (!file) return noFile(c);
    const lines = await readLogTail(file.path, toFilter(parsed.value), parsed.value.limit);
    return c.json({ file: file.path, data: lines.map((l) => toLogLineView(l.entry)) });
  });

  api.get("/logs/stream", (c) => {
    const parsed = parseQuery(c, streamQuery);
    if (!parsed.ok) return parsed.response;
    const file = opts.ctx.logFile;
    if (!file) return noFile(c);
    const filter = toFilter(parsed.value);
    return streamSSE(c, async (stream) => {
      let chain = Promise.resolve();
      let queued = 0;
      let dropped = 0;
      const send = (event: string, data: unknown): void => {
        queued++;
        chain = chain.then(() => (stream.aborted ? undefined : stream.writeSSE({ event, data: JSON.stringify(data) }))).catch(() => undefined).finally(() => void queued--);
      };
      // Called inside the logger's write: no logging here, and nothing that can throw back into it.
      const unsubscribe = file.subscribe((raw) => {
        const entry = parseLogLine(raw);
        if (!matchesLog(entry, raw, filter)) return;
        if (queued >= MAX_QUEUED) return void dropped++;
        if (dropped > 0) {
          send("dropped", { lines: dropped });
          dropped = 0;
        }
        send("log", toLogLineView(entry));
      });
      await holdEventStream(stream, JSON.stringify({ file: file.path }), unsubscribe);
    });
  });
  return api;
}
