// Reads the gateway's log files back (log-file.ts writes them): the newest matching lines, read backwards from the end
// so a large file costs only what is shown, and a follower that keeps reading new lines across rotations.
// Works on the files alone, so `pincer logs` needs no running gateway.
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { rotatedLogPath } from "./log-file.ts";

export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;
export const LOG_LEVEL_NAMES = Object.keys(LOG_LEVELS) as LogLevelName[];

/** One log line, parsed. `record` is the whole JSON object pino wrote (already redacted). */
export interface LogEntry {
  /** epoch ms; 0 when the line has none */
  time: number;
  level: number;
  levelName: string;
  msg: string;
  component: string | undefined;
  record: Record<string, unknown>;
}

export interface LogFilter {
  /** Lowest level shown (number). */
  minLevel?: number;
  /** Case-insensitive text the line must contain (message, component or any field). */
  q?: string;
  /** Lines at or after, epoch ms. */
  since?: number;
}

/** Parses one JSON log line; a line that is not JSON becomes an info entry holding its text. */
export function parseLogLine(line: string): LogEntry {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    record = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { msg: line };
  } catch {
    record = { msg: line };
  }
  const level = typeof record["level"] === "number" ? record["level"] : LOG_LEVELS.info;
  return {
    time: typeof record["time"] === "number" ? record["time"] : 0,
    level,
    levelName: levelName(level),
    msg: typeof record["msg"] === "string" ? record["msg"] : "",
    component: typeof record["component"] === "string" ? record["component"] : undefined,
    record,
  };
}

export function levelName(level: number): string {
  return LOG_LEVEL_NAMES.find((name) => LOG_LEVELS[name] === level) ?? String(level);
}

/** Whether a line passes the filter; `q` is matched against the raw line, so it finds field values too. */
export function matchesLog(entry: LogEntry, raw: string, filter: LogFilter): boolean {
  if (filter.minLevel !== undefined && entry.level < filter.minLevel) return false;
  if (filter.since !== undefined && entry.time < filter.since) return false;
  if (filter.q !== undefined && filter.q !== "" && !raw.toLowerCase().includes(filter.q.toLowerCase())) return false;
  return true;
}

/** The log file and its rotated predecessors that exist, newest first. */
export function existingLogFiles(path: string, maxFiles = 50): string[] {
  const out: string[] = [];
  for (let n = 0; n < maxFiles; n++) {
    const file = n === 0 ? path : rotatedLogPath(path, n);
    try {
      if (statSync(file).isFile()) out.push(file);
      else if (n > 0) break;
    } catch {
      if (n > 0) break;
    }
  }
  return out;
}

const CHUNK = 64 * 1024;

/**
 * The newest `limit` lines matching `filter`, oldest first, read backwards through the file and its rotations.
 * Stops early at the first line older than `filter.since` (lines are written in time order).
 * Contract: missing files read as empty; a line longer than the files' total size cannot exist, so nothing is split.
 */
export async function readLogTail(path: string, filter: LogFilter, limit: number): Promise<Array<{ entry: LogEntry; raw: string }>> {
  const found: Array<{ entry: LogEntry; raw: string }> = [];
  for (const file of existingLogFiles(path)) {
    const done = await readBackwards(file, (raw) => {
      const entry = parseLogLine(raw);
      if (filter.since !== undefined && entry.time > 0 && entry.time < filter.since) return "stop";
      if (matchesLog(entry, raw, filter)) found.push({ entry, raw });
      return found.length >= limit ? "stop" : "go on";
    });
    if (done) break;
  }
  return found.reverse();
}

/** Calls `onLine` for each non-empty line from the end of the file backwards; true when `onLine` said stop. */
async function readBackwards(file: string, onLine: (line: string) => "stop" | "go on"): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch {
    return false;
  }
  try {
    let position = (await handle.stat()).size;
    let carry = Buffer.alloc(0); // the start of a line whose beginning is in the next chunk back
    while (position > 0) {
      const length = Math.min(CHUNK, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      await handle.read(chunk, 0, length, position);
      let buffer = Buffer.concat([chunk, carry]);
      let end = buffer.length;
      for (let i = buffer.length - 1; i >= 0; i--) {
        if (buffer[i] !== 0x0a) continue;
        const line = buffer.subarray(i + 1, end).toString("utf8").trim();
        end = i;
        if (line !== "" && onLine(line) === "stop") return true;
      }
      carry = buffer.subarray(0, end);
      buffer = Buffer.alloc(0);
    }
    const first = carry.toString("utf8").trim();
    return first !== "" && onLine(first) === "stop";
  } finally {
    await handle.close();
  }
}

export interface LogFollower {
  /** Reads what was appended since the last call (across a rotation: the rest of the old file, then the new one). */
  poll(): void;
  close(): void;
}

/**
 * Follows a log file from its current end (or from the start, when it does not exist yet): each `poll()` hands new
 * complete lines to `onLine`. A rotation (the path now names another file) is followed: the old file is read to its
 * end, then the new one from its start; a truncated file is read again from its start.
 */
export function followLog(path: string, onLine: (line: string) => void): LogFollower {
  let fd: number | undefined;
  let ino: number | undefined;
  let position = 0;
  let partial = Buffer.alloc(0); // bytes after the last newline read, possibly half a UTF-8 character

  const openCurrent = (fromEnd: boolean): void => {
    try {
      fd = openSync(path, "r");
    } catch {
      fd = undefined;
      return;
    }
    const st = fstatSync(fd);
    ino = st.ino;
    position = fromEnd ? st.size : 0;
    partial = Buffer.alloc(0);
  };

  const drain = (): void => {
    if (fd === undefined) return;
    const size = fstatSync(fd).size;
    if (size < position) {
      position = 0; // truncated
      partial = Buffer.alloc(0);
    }
    while (position < size) {
      const chunk = Buffer.alloc(Math.min(CHUNK, size - position));
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read <= 0) break;
      position += read;
      const bytes = Buffer.concat([partial, chunk.subarray(0, read)]);
      const end = bytes.lastIndexOf(0x0a);
      partial = end < 0 ? bytes : bytes.subarray(end + 1);
      if (end < 0) continue;
      for (const line of bytes.subarray(0, end).toString("utf8").split("\n")) if (line.trim() !== "") onLine(line);
    }
  };

  openCurrent(true);
  return {
    poll() {
      drain();
      let current: number | undefined;
      try {
        current = statSync(path).ino;
      } catch {
        current = undefined; // between the rename and the new file's creation
      }
      if (current !== undefined && current !== ino) {
        if (fd !== undefined) closeSync(fd);
        openCurrent(false);
        drain();
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
