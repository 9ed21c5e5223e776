// `pincer doctor` for chat channels, against the loopback Telegram fake.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTelegramFake, type TelegramFake } from "../../test/fakes/telegram-api.ts";
import { runChecks } from "./doctor-command.ts";

let tg: TelegramFake;
let dir: string;
beforeAll(async () => {
  tg = await startTelegramFake();
  dir = await mkdtemp(join(tmpdir(), "pincer-doctor-ch-"));
});
afterAll(async () => {
  await tg.close();
  await rm(dir, { recursive: true, force: true });
});

async function channelChecks(account: string): Promise<Array<{ name: string; status: string; detail: string; fix?: string }>> {
  const file = join(dir, "pincer.yaml");
  await writeFile(file, `channels:\n  telegram:\n    accounts:\n      default:\n${account}`);
  return (await runChecks(file, { PINCER_HOME: dir })).filter((c) => c.name.startsWith("telegram/"));
}

describe("doctor: channels", () => {
  it("reports working credentials with the bot's identity", async () => {
    const checks = await channelChecks(`        token: "${tg.token}"\n        api_root: ${tg.apiRoot}\n        owners: ["1"]\n`);
    expect(checks).toEqual([{ name: "telegram/default", status: "ok", detail: "credentials work: @pincer_test_bot" }]);
  });

  it("fails a refused token with the fix, and warns about open DMs and missing owners", async () => {
    const checks = await channelChecks(`        token: "999:wrong"\n        api_root: ${tg.apiRoot}\n        dm_policy: open\n`);
    expect(checks[0]).toMatchObject({ name: "telegram/default", status: "fail", fix: expect.stringContaining("docs/channels/telegram.md") });
    expect(checks[0]!.detail).toMatch(/BotFather/);
    expect(checks.slice(1).map((c) => c.status)).toEqual(["warn", "warn"]);
    expect(checks[1]!.detail).toMatch(/anyone who finds the bot/);
    expect(checks[2]!.fix).toMatch(/\/whoami/);
  });
});
