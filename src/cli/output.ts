// CLI output helpers: the error boundary (message + exit code) and small formatting utilities.
// Only this file decides how an error looks to a user.
import { ConfigError, InputError, ProviderError, ToolError } from "../core/errors.ts";

/** Exit code for setup problems (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;
export const EXIT_USAGE = 2;

/** A command failed for a reason the user can act on; the message is printed as is. */
export class CliFailure extends Error {
  override readonly name = "CliFailure";
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

const SETUP_CODES = new Set(["missing_credential", "unknown_provider", "auth_failed", "config"]);

/** Prints an error the way a user should see it and returns the exit code. */
export function printError(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT_CONFIG;
  }
  if (err instanceof ProviderError) {
    process.stderr.write(`error: ${err.message}\n`);
    return SETUP_CODES.has(err.code) ? EXIT_CONFIG : 1;
  }
  if (err instanceof CliFailure) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof InputError || err instanceof ToolError) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`pincer: unexpected error (a bug — please report it):\n${stack}\n`);
  return 1;
}

/** Exit code for a run that ended with an error code. */
export function exitCodeForRun(errorCode: string | undefined): number {
  if (!errorCode) return 0;
  return SETUP_CODES.has(errorCode) ? EXIT_CONFIG : 1;
}

/** `pincer … | head` closes stdout early: end quietly instead of with an EPIPE stack. */
export function exitOnClosedStdout(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(process.exitCode ?? 0);
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Renders rows as an aligned text table. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

export function formatTime(ms: number | undefined): string {
  return ms === undefined ? "-" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

/** Parses `30m`, `24h`, `7d` into ms. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new CliFailure(`${flag}: expected a duration like 30m, 24h or 7d, got ${JSON.stringify(text)}`, EXIT_USAGE);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}
