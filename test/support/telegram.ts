// Test support for the Telegram adapter tests: a recording sink that can refuse deliveries, and a channel
// builder pointed at the fake Bot API with fast polling and backoff.
import { pino } from "pino";
import { telegramAccountSchema } from "../../src/core/channel-config.ts";
import type { InboundMessage } from "../../src/core/inbound.ts";
import type { ChannelSink } from "../../src/channels/kit/channel.ts";
import { createTelegramChannel } from "../../src/channels/telegram/telegram-factory.ts";
import type { TelegramChannel, TelegramChannelOptions } from "../../src/channels/telegram/telegram-channel.ts";

export class RecordingSink implements ChannelSink {
  readonly messages: InboundMessage[] = [];
  /** Deliveries attempted, including refused ones. */
  attempts = 0;
  /** Refuse this many deliveries (as a journal that cannot write would). */
  refuse = 0;
  /** Problems of the wrongly shaped updates reported, in order. */
  readonly malformed: string[] = [];
  private waiters = new Set<() => void>();

  reportMalformed(problem: string): void {
    this.malformed.push(problem);
  }

  async deliver(msg: InboundMessage): Promise<void> {
    this.attempts += 1;
    if (this.refuse > 0) {
      this.refuse -= 1;
      throw new Error("journal unavailable");
    }
    this.messages.push(msg);
    for (const wake of this.waiters) wake();
  }

  /** Resolves with the messages once `n` were delivered. */
  waitFor(n: number, timeoutMs = 5_000): Promise<InboundMessage[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.messages.length < n) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(this.messages);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.messages.length} of ${n} messages delivered within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

export interface TestChannelInput {
  token: string;
  apiRoot: string;
  account?: string;
  config?: Record<string, unknown>;
  options?: Partial<TelegramChannelOptions>;
}

/** A channel against the fake: 5 s long polls (stop() aborts them), 10-40 ms backoff, silent logs. */
export function makeTestChannel(input: TestChannelInput): TelegramChannel {
  const config = telegramAccountSchema.parse({ token: input.token, api_root: input.apiRoot, ...input.config });
  return createTelegramChannel({
    account: input.account ?? "default",
    config,
    log: pino({ level: "silent" }),
    stateDir: "/nonexistent",
    pollTimeoutSec: 5,
    backoff: { baseMs: 10, maxMs: 40 },
    ...input.options,
  });
}

/** Polls `check` until it returns true (for state changes without an event to await). */
export async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
