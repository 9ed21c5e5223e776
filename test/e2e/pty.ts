// The real `pincer` CLI on a pseudo-terminal, for interactive commands (onboard's prompts, chat's paste handling):
// util-linux `script` allocates the terminal; the test types keys and waits for screen text, never for time.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { REPO_ROOT, type Home } from "./harness.ts";

const CLI = join(REPO_ROOT, "src/cli/main.ts");

/** util-linux `script`, which the PTY tests need; they are skipped without it. */
export const HAS_SCRIPT = existsSync("/usr/bin/script") || existsSync("/bin/script");

export const KEY = { enter: "\r", down: "\x1b[B", up: "\x1b[A", ctrlC: "\x03", backspace: "\x7f" } as const;

export interface PtySession {
  /** Sends bytes as if typed (or pasted) at the terminal. */
  write(text: string): void;
  /** Everything shown so far, with colours and cursor movements removed. */
  screen(): string;
  /** Everything written to the terminal so far, escape sequences included. */
  raw(): string;
  /** Resolves once `pattern` appears on the screen after the `from` offset (default: anywhere); returns its end offset. */
  waitFor(pattern: RegExp | string, from?: number): Promise<number>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(): void;
}

/** Strips ANSI escape sequences (colours, cursor movement) and carriage returns. */
export function stripAnsi(text: string): string {
  return stripVTControlCharacters(text).replaceAll("\r", "");
}

const GUARD_MS = 20_000;

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `pincer <args>` for `home` on a 100x40 terminal. */
export function startPty(home: Home, args: string[], env: Record<string, string> = {}): PtySession {
  const command = `stty cols 100 rows 40; exec ${[process.execPath, CLI, ...args].map(shellQuote).join(" ")}`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home.dir, PINCER_HOME: home.dir, TERM: "xterm-256color", SHELL: "/bin/sh", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let raw = "";
  const waiters = new Set<() => void>();
  const onData = (d: Buffer): void => {
    raw += d.toString();
    for (const w of waiters) w(); // a waiter that matched removes itself; Set iteration allows that
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    write: (text) => void child.stdin.write(text),
    screen: () => stripAnsi(raw),
    raw: () => raw,
    waitFor(pattern, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const screen = stripAnsi(raw).slice(from);
          const m = typeof pattern === "string" ? (screen.includes(pattern) ? { index: screen.indexOf(pattern), 0: pattern } : null) : pattern.exec(screen);
          if (!m) return;
          waiters.delete(check);
          resolve(from + m.index + m[0].length);
        };
        waiters.add(check);
        // A guard against a test hanging without a word, not a timing assertion: it fails with what the screen shows.
        const guard = setTimeout(() => {
          if (!waiters.delete(check)) return;
          reject(new Error(`${String(pattern)} did not appear within ${GUARD_MS} ms; the screen after offset ${from}:\n${stripAnsi(raw).slice(from)}`));
        }, GUARD_MS);
        guard.unref();
        void exited.then(() => {
          if (!waiters.has(check)) return;
          waiters.delete(check);
          reject(new Error(`exited before ${String(pattern)} appeared:\n${stripAnsi(raw).slice(from)}`));
        });
        check();
      });
    },
    exited,
    kill: () => void child.kill("SIGKILL"),
  };
}
