// `pincer channels add | list | remove | status --probe` and `pincer pairing` error paths, as a user runs them.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import { useCliFixture } from "./harness.ts";

const fx = useCliFixture();
let tg: TelegramFake;
beforeAll(async () => {
  tg = await startTelegramFake();
});
afterAll(() => tg.close());

describe("pincer channels", () => {
  it("adds an account, checks the token with the platform, lists and removes it", async () => {
    const home = await fx.home();
    const add = await home.cli(["channels", "add", "telegram", "--token", tg.token, "--api-root", tg.apiRoot]);
    expect(add.stderr).toBe("");
    expect(add.stdout).toContain("added telegram/default to");
    expect(add.stdout).toContain("credentials work: @pincer_test_bot");
    const yaml = await readFile(join(home.dir, "pincer.yaml"), "utf8");
    expect(yaml).toContain(`token: ${tg.token}`);

    const list = await home.cli(["channels", "list", "--json"]);
    expect(JSON.parse(list.stdout).channels).toEqual([
      { channel: "telegram", account: "default", enabled: true, mode: "polling", dmPolicy: "pairing", groupPolicy: "allowlist", groups: 0, owners: 0 },
    ]);
    const status = await home.cli(["channels", "status", "--probe"]);
    expect(status.stdout).toMatch(/telegram\s+default\s+not running\s+-\s+@pincer_test_bot\s+ok/);
    expect(status.code).toBe(0);

    const remove = await home.cli(["channels", "remove", "telegram"]);
    expect(remove.stdout).toContain("removed telegram/default");
    expect((await home.cli(["channels", "list"])).stdout).toContain("no channels configured");
  });

  it("reports a refused token, a missing token and an unknown channel clearly", async () => {
    const home = await fx.home();
    const bad = await home.cli(["channels", "add", "telegram", "--account", "work", "--token", "999:nope", "--api-root", tg.apiRoot]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: the credentials of telegram\/work do not work: .*BotFather/);
    const missing = await home.cli(["channels", "add", "discord"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("error: discord needs a token: pass --token <token> or --token-env <VAR> (see docs/channels/discord.md)\n");
    const unknown = await home.cli(["channels", "add", "irc", "--token", "x"]);
    expect(unknown.stderr).toBe("error: unknown channel \"irc\": expected one of telegram, slack, discord, whatsapp\n");
    const env = await home.cli(["channels", "add", "slack", "--token-env", "SLACK_BOT_TOKEN", "--app-token", "xapp-1", "--no-probe"]);
    expect(env.code).toBe(0);
    expect(await readFile(join(home.dir, "pincer.yaml"), "utf8")).toContain("bot_token: ${env:SLACK_BOT_TOKEN}");
  });
});

describe("pincer pairing", () => {
  it("says what to do with an unknown code", async () => {
    const home = await fx.home();
    const approve = await home.cli(["pairing", "approve", "telegram", "ABCDEFGH"]);
    expect(approve.code).toBe(1);
    expect(approve.stderr).toBe("error: no pending pairing request with code ABCDEFGH on telegram (codes expire after 1 hour). See 'pincer pairing list'\n");
    expect((await home.cli(["pairing", "list"])).stdout).toBe("no pending pairing requests\n");
  });
});
