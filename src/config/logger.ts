// The root pino logger: JSON lines to stderr (stdout stays clean for --json output), secret fields censored
// by path and every written line passed through redactSecrets. Components take children of it.
import { pino } from "pino";
import type { DestinationStream, LevelWithSilentOrString, Logger } from "pino";
import { redactSecrets } from "./redact.ts";

export type { Logger } from "pino";

export interface LoggerOptions {
  level: LevelWithSilentOrString;
  /** A stream, or a file descriptor written synchronously. Default: 2 (stderr). */
  destination?: NodeJS.WritableStream | number;
  /** Human-readable lines (`12:00:01 INFO  [channel.telegram] message sent chatId=42`) instead of JSON. */
  pretty?: boolean;
  /** A second sink that gets every line as redacted JSON whatever `pretty` says (the gateway's log file). */
  file?: { write(line: string): void };
}

const SECRET_FIELDS = [
  "api_key", "api_keys", "apiKey", "auth_token", "authToken", "token", "access_token", "accessToken",
  "refresh_token", "bot_token", "botToken", "secret", "client_secret", "password", "authorization", "cookie",
];

/** Field paths censored structurally, at the top level and one level down (`{ provider: { api_key } }`). */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
  ...["headers", "*.headers", "req.headers", "res.headers"].flatMap((base) => [
    `${base}.authorization`, `${base}.Authorization`, `${base}.cookie`, `${base}["x-api-key"]`, `${base}["set-cookie"]`,
  ]),
];

/**
 * Creates the root logger.
 * Contract: nothing reaches the destination (or the file sink) without passing redactSecrets — message, fields and error
 * stacks alike; fields named like secrets (REDACT_PATHS) are replaced by "***" whatever their shape.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const target = typeof opts.destination === "object" ? opts.destination : pino.destination({ fd: opts.destination ?? 2, sync: true });
  const stream: DestinationStream = {
    write(line: string) {
      const safe = redactSecrets(line);
      target.write(opts.pretty ? formatPretty(safe) : safe);
      opts.file?.write(safe);
    },
  };
  const children = new Set<WeakRef<Logger>>();
  const root = pino({ level: opts.level, redact: { paths: [...REDACT_PATHS], censor: "***" }, onChild: (child) => track(children, child) }, stream);
  descendants.set(root, children);
  return root;
}

/** Children of each root logger, so a level change reaches loggers components already hold (pino children keep
 * the level they were created with). Weak: a dropped child is not kept alive. */
const descendants = new WeakMap<Logger, Set<WeakRef<Logger>>>();

function track(children: Set<WeakRef<Logger>>, child: Logger): void {
  if (children.size >= 1024) for (const ref of children) if (!ref.deref()) children.delete(ref);
  children.add(new WeakRef(child));
}

/** Sets the level of a root logger from createLogger and of every child it has handed out. */
export function setLogLevel(root: Logger, level: LevelWithSilentOrString): void {
  root.level = level;
  const children = descendants.get(root);
  if (!children) return;
  for (const ref of children) {
    const child = ref.deref();
    if (child) child.level = level;
    else children.delete(ref);
  }
}

const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const OMIT_IN_PRETTY = new Set(["level", "time", "msg", "pid", "hostname", "component", "err"]);

/** One pino JSON line → one readable line (plus an error stack when present). Falls back to the raw line. */
export function formatPretty(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof record["time"] === "number" ? new Date(record["time"]).toISOString().slice(11, 19) : "";
  const level = (LEVEL_NAMES[Number(record["level"])] ?? String(record["level"])).padEnd(5);
  const component = typeof record["component"] === "string" ? ` [${record["component"]}]` : "";
  const fields = Object.entries(record)
    .filter(([key]) => !OMIT_IN_PRETTY.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  const err = record["err"] as { stack?: unknown; message?: unknown } | undefined;
  const stack = err ? `\n    ${String(err.stack ?? err.message).replaceAll("\n", "\n    ")}` : "";
  const text = [`${time} ${level}${component}`, record["msg"], ...fields].filter((part) => part !== undefined && part !== "").join(" ");
  return `${text}${stack}\n`;
}
