// kill -9 of `pincer gateway` (embedded runtime) while Telegram messages are in flight or queued: after a restart
// every update the Bot API saw confirmed gets exactly one sendMessage answer.
import { describe, expect, it } from "vitest";
import { startTelegramFake } from "../fakes/telegram-api.ts";
import type { RecordedRequest } from "../fakes/index.ts";
import { fakeProviderConfig, startGatewayProcess, telegramAccountConfig, TEST_GATEWAY_TOKEN, until, useCliFixture } from "./harness.ts";

const fx = useCliFixture();
const USERS = Array.from({ length: 4 }, (_, i) => ({ id: 601 + i, first_name: `User${i}` }));
const PER_USER = 3; // 12 messages: 4 runs in flight at the kill, 8 queued behind them

const lastUserText = (req: RecordedRequest): string => {
  const messages = (req.body as { messages: Array<{ role: string; content: unknown }> }).messages;
  const last = messages.findLast((m) => m.role === "user")?.content;
  return typeof last === "string" ? last : JSON.stringify(last);
};
const token = (user: number, n: number) => `tg-u${user}-m${n}`;

describe("Telegram after kill -9 of the embedded gateway", () => {
  it("answers every confirmed update exactly once", async () => {
    const tg = await startTelegramFake();
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL, telegramAccountConfig(tg, ["dm_policy: open"])));
    let holding = true; // the first process never gets an answer: its runs are in flight when it dies
    fx.fake.setFallback((req) => (holding ? { hang: true } : { text: `echo: ${lastUserText(req)}` }));
    const env = { PINCER_LOG_LEVEL: "warn" };
    try {
      const first = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { env });
      await until("the channel to connect", () => /channel telegram\/default: connected/.test(first.output()));
      const seen = fx.fake.requests.length;
      USERS.forEach((user, i) => {
        for (let n = 0; n < PER_USER; n++) tg.dmFrom(tg.token, user, token(i, n));
      });
      await until("every update confirmed", () => tg.pendingUpdates(tg.token).length === 0);
      await until("one run in flight per chat", () => fx.fake.requests.length - seen === USERS.length);
      first.child.kill("SIGKILL");
      await first.exited;
      expect(tg.sent).toEqual([]);

      holding = false;
      const second = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { env });
      await until("an answer to every message", () => tg.sent.length >= USERS.length * PER_USER, 45_000);
      // A graceful stop lets anything still running or queued finish: a second answer would show up by then.
      second.child.kill("SIGTERM");
      await second.exited;

      USERS.forEach((user, i) => {
        const texts = tg.sent.filter((s) => s.method === "sendMessage" && s.chat_id === String(user.id)).map((s) => s.text ?? "");
        expect(texts).toHaveLength(PER_USER);
        for (let n = 0; n < PER_USER; n++) expect(texts.filter((t) => t.includes(token(i, n)))).toHaveLength(1);
      });
    } finally {
      await tg.close();
    }
  }, 60_000);
});
