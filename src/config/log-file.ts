// The gateway's log file: `<state dir>/logs/gateway.log` (0600, folder 0700), JSON lines as the logger wrote them
// (already redacted), rotated by size into `gateway.log.1` … `gateway.log.<files-1>`. Also hands each line to live
// subscribers (the API's live tail) and keeps the last error lines. Reading the files back is log-reader.ts's job.
import { closeSync, chmodSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";

/** Defaults of `log.file` in the config schema: 5 MiB per file, 3 files. */
export const LOG_FILE_DEFAULTS = { maxBytes: 5 * 1024 * 1024, files: 3 } as const;

/** Where the gateway writes its log, for a state dir. */
export function gatewayLogPath(stateDir: string): string {
  return join(stateDir, "logs", "gateway.log");
}

/** The rotated file `n` (1 = the newest rotated one) of a log path. */
export function rotatedLogPath(path: string, n: number): string {
  return `${path}.${n}`;
}

export interface LogFileLimits {
  /** Rotate before a write would take the file past this size, bytes. */
  maxBytes: number;
  /** Files kept, the current one included (at least 1). */
  files: number;
}

export type LogLineListener = (line: string) => void;

export interface LogFile {
  readonly path: string;
  /** Appends one line (ending in a newline). Contract: never throws; after a write error the file is given up
   * (reported once through `onError`) and lines still reach subscribers. */
  write(line: string): void;
  /** Changes the rotation limits (a config reload); applies from the next write. */
  configure(limits: LogFileLimits): void;
  /** Receives every line written from now on; returns an unsubscribe function. */
  subscribe(listener: LogLineListener): () => void;
  /** The newest error- and fatal-level lines written since the file was opened, oldest first. */
  recentErrors(): string[];
  /** Why the file stopped being written, if it did. */
  readonly failure: string | undefined;
  close(): void;
}

export interface OpenLogFileOptions {
  path: string;
  limits?: LogFileLimits;
  /** Told once when the file cannot be written any more (the caller prints it; a logger would loop). */
  onError?: (message: string) => void;
  /** Error lines kept for recentErrors(). Default 50. */
  keepErrors?: number;
}

// pino writes the level first: `{"level":50,"time":…`.
const LEVEL_AT_START = /^\{"level":(\d+)/;
const ERROR_LEVEL = 50;

/**
 * Opens (creating) the log file for appending.
 * Contract: never throws; a file that cannot be opened is reported through `onError` and `failure`, and the returned
 * LogFile still serves subscribers.
 */
export function openLogFile(opts: OpenLogFileOptions): LogFile {
  const { path } = opts;
  let limits: LogFileLimits = opts.limits ?? LOG_FILE_DEFAULTS;
  const listeners = new Set<LogLineListener>();
  const errors: string[] = [];
  const keepErrors = opts.keepErrors ?? 50;
  let fd: number | undefined;
  let size = 0;
  let failure: string | undefined;

  const fail = (action: string, err: unknown): void => {
    failure = `cannot ${action} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    if (fd !== undefined) closeQuietly(fd);
    fd = undefined;
    opts.onError?.(`${failure}; the gateway goes on logging to stderr only. Fix: make ${dirname(path)} writable by this user, then restart`);
  };

  const open = (): void => {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fd = openSync(path, "a", 0o600);
    // A file created by someone else (or an older version) keeps its mode on open; the log may hold chat metadata.
    chmodSync(path, 0o600);
    size = fstatSync(fd).size;
  };

  const rotate = (): void => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    if (limits.files <= 1) rmSync(path, { force: true });
    else {
      rmSync(rotatedLogPath(path, limits.files - 1), { force: true });
      for (let n = limits.files - 2; n >= 1; n--) renameIfPresent(rotatedLogPath(path, n), rotatedLogPath(path, n + 1));
      renameIfPresent(path, rotatedLogPath(path, 1));
    }
    open();
  };

  try {
    open();
  } catch (err) {
    fail("open", err);
  }

  return {
    path,
    get failure() {
      return failure;
    },
    write(line) {
      if (failure === undefined) {
        const bytes = Buffer.byteLength(line);
        try {
          if (size > 0 && size + bytes > limits.maxBytes) rotate();
          if (fd !== undefined) {
            writeSync(fd, line);
            size += bytes;
          }
        } catch (err) {
          fail("write", err);
        }
      }
      const level = Number(LEVEL_AT_START.exec(line)?.[1] ?? 0);
      if (level >= ERROR_LEVEL) {
        errors.push(line);
        if (errors.length > keepErrors) errors.shift();
      }
      for (const listener of listeners) {
        try {
          listener(line);
        } catch {
          // A subscriber's failure (a closed stream) is its own business.
        }
      }
    },
    configure(next) {
      limits = { maxBytes: Math.max(1024, Math.floor(next.maxBytes)), files: Math.max(1, Math.floor(next.files)) };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    recentErrors: () => [...errors],
    close() {
      listeners.clear();
      if (fd !== undefined) closeQuietly(fd);
      fd = undefined;
    },
  };
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed or gone: nothing to release.
  }
}
