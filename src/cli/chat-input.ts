// Terminal input → chat messages for `pincer chat`. At a terminal, lines that arrive together are one message: a paste
// marked by the terminal's bracketed-paste sequences, or lines read in one chunk (terminals without them); a paste that
// ends mid-line waits for Enter. Piped input stays one message per line, as scripts expect.
import type { Interface } from "node:readline";

const PASTE_ON = "\x1b[?2004h";
const PASTE_OFF = "\x1b[?2004l";

export interface ChatInputOptions {
  /** The stream readline reads; its `keypress` events carry the paste markers. */
  input: NodeJS.ReadableStream;
  /** Where the paste mode is switched on and off; absent for piped input. */
  terminal?: NodeJS.WritableStream;
  /** Sees each message as it arrives, before it is queued; returning true consumes it (e.g. /stop during a turn). */
  intercept?: (message: string) => boolean;
}

export interface ChatInput {
  /** The next message in order; undefined once input has ended and every message was taken. */
  next(): Promise<string | undefined>;
  close(): void;
}

export function readChatMessages(rl: Interface, opts: ChatInputOptions): ChatInput {
  const queue: string[] = [];
  const waiting: Array<(message: string | undefined) => void> = [];
  const held: string[] = [];
  let ended = false;
  let pasting = false;
  let flushScheduled = false;

  const push = (message: string): void => {
    if (opts.intercept?.(message)) return;
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  };
  /** Sends what is held as one message, unless a paste is still arriving or its last line is still being edited. */
  const flush = (): void => {
    flushScheduled = false;
    if (pasting || held.length === 0 || ended || (opts.terminal && rl.line !== "")) return;
    push(held.splice(0).join("\n"));
  };

  rl.on("line", (line: string) => {
    if (!opts.terminal) return push(line);
    held.push(line);
    // Lines of one read arrive in one turn of the event loop: flush once they all have.
    if (!pasting && !flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  });
  const onKey = (_: unknown, key: { name?: string } | undefined): void => {
    if (key?.name === "paste-start") pasting = true;
    if (key?.name === "paste-end") {
      pasting = false;
      flush();
    }
  };
  if (opts.terminal) {
    opts.input.on("keypress", onKey);
    opts.terminal.write(PASTE_ON);
  }
  const restore = (): void => void opts.terminal?.write(PASTE_OFF);
  process.once("exit", restore);
  rl.on("close", () => {
    ended = true;
    pasting = false;
    // Leaving (Ctrl-C, Ctrl-D) drops a paste that was never sent with Enter.
    held.length = 0;
    for (const waiter of waiting.splice(0)) waiter(undefined);
  });

  return {
    next: () => {
      const message = queue.shift();
      if (message !== undefined || ended) return Promise.resolve(message);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () => {
      opts.input.off("keypress", onKey);
      restore();
      process.off("exit", restore);
      rl.close();
    },
  };
}
