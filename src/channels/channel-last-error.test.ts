// The channel manager's health report keeps each account's last error: a start refused by the platform stays listed
// after the state changes, without the token.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTelegramFake, type TelegramFake } from "../../test/fakes/telegram-api.ts";
import { createApp, type App } from "../app.ts";

let tg: TelegramFake;
let dir: string;
let app: App;
const BAD_TOKEN = "999999:ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";

beforeAll(async () => {
  tg = await startTelegramFake();
  dir = await mkdtemp(join(tmpdir(), "pincer-channel-error-"));
  await writeFile(join(dir, "pincer.yaml"), [
    "channels:",
    "  telegram:",
    "    accounts:",
    `      good: { token: '${tg.token}', api_root: '${tg.apiRoot}' }`,
    `      bad: { token: '${BAD_TOKEN}', api_root: '${tg.apiRoot}' }`,
  ].join("\n"));
  app = await createApp({ env: { PINCER_HOME: dir }, logger: pino({ level: "silent" }) });
  await app.startChannels();
});
afterAll(async () => {
  await app.close();
  await tg.close();
  await rm(dir, { recursive: true, force: true });
});

describe("channel manager status", () => {
  it("reports the last error of an account the platform refused, and none for a healthy one", () => {
    const status = new Map(app.channels!.status().map((s) => [s.account, s]));
    expect(status.get("good")).toMatchObject({ state: "connected" });
    expect(status.get("good")!.lastError).toBeUndefined();
    expect(status.get("bad")).toMatchObject({ state: "failed", lastError: { at: expect.any(Number), message: expect.stringMatching(/401|token/i) } });
    expect(JSON.stringify(status.get("bad"))).not.toContain("ZZZZZZZZZZZZZZZZ");
  });
});
