// The Slack SDK's Logger interface on top of the adapter's pino child: SDK chatter at debug, its warnings and errors at
// warn (the adapter reports the failures that matter itself, with a fix). The SDK redacts tokens in what it logs.
import { LogLevel, type Logger as SlackLogger } from "@slack/web-api";
import type { Logger } from "pino";

export function toSlackLogger(log: Logger): SlackLogger {
  const detail = (parts: unknown[]): string =>
    parts.map((p) => (p instanceof Error ? p.message : typeof p === "string" ? p : JSON.stringify(p))).join(" ");
  const debug = (...msg: unknown[]): void => {
    if (log.isLevelEnabled("debug")) log.debug({ detail: detail(msg) }, "slack sdk");
  };
  return {
    debug,
    info: debug,
    warn: (...msg: unknown[]) => log.warn({ detail: detail(msg) }, "slack sdk warning"),
    error: (...msg: unknown[]) => log.warn({ detail: detail(msg) }, "slack sdk error"),
    setLevel: () => {},
    setName: () => {},
    getLevel: () => (log.isLevelEnabled("debug") ? LogLevel.DEBUG : LogLevel.INFO),
  };
}
