// A channel account whose `${env:X}` is unset, through the real CLI and gateway: `channels add` writes nothing it
// could not check, and the account is left out on its own — commands that do not need it keep working, the gateway
// reports it as failed (with the fix) in /readyz and `channels status` while its other accounts connect.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import { fakeProviderConfig, makeHome, startGatewayProcess, until, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";

const fx = useCliFixture();
let tg: TelegramFake;
beforeAll(async () => {
  tg = await startTelegramFake();
});
afterAll(() => tg.close());

const MISSING = "PINCER_TEST_UNSET_TOKEN";
const warning = (file: string): string =>
  `warning: channel account telegram/default is left out until this is fixed: ${file}:14 channels.telegram.accounts.default.token: environment variable ${MISSING} is not set. Fix: export ${MISSING} in the environment that runs pincer, or write $\${env:${MISSING}} for literal text\n`;

describe("channels add", () => {
  it("writes nothing when the token's variable is unset or an option is invalid", async () => {
    const home = await fx.home();
    const add = await home.cli(["channels", "add", "telegram", "--token-env", MISSING]);
    expect(add.code).toBe(78);
    expect(add.stderr).toBe(
      `error: ${MISSING} is not set, so the credentials of telegram/default cannot be checked; nothing was written. ` +
        `Fix: export ${MISSING}=… and run this again, or add --no-probe to add the account now (the gateway needs ${MISSING} in its environment)\n`,
    );
    const badRoot = await home.cli(["channels", "add", "telegram", "--token", tg.token, "--api-root", "not-a-url", "--no-probe"]);
    expect(badRoot.code).toBe(78);
    expect(badRoot.stderr).toMatch(/channels\.telegram\.accounts\.default\.api_root: expected a URL/);
    const refused = await home.cli(["channels", "add", "telegram", "--token", "999:nope", "--api-root", tg.apiRoot]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: the credentials of telegram\/default do not work: .*BotFather.*\nnothing was written; correct them and run this again, or add --no-probe to add the account anyway\n$/);
    expect(existsSync(join(home.dir, "pincer.yaml"))).toBe(false);
  });

  it("with --no-probe adds it; then only that account is left out and every other command works, warning once", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const add = await home.cli(["channels", "add", "telegram", "--token-env", MISSING, "--no-probe"]);
    expect(add.code).toBe(0);
    expect(add.stderr).toBe(`warning: ${MISSING} is not set here; telegram/default connects once the gateway's environment has it\n`);
    const file = join(home.dir, "pincer.yaml");
    expect(await readFile(file, "utf8")).toContain(`token: \${env:${MISSING}}`);

    fx.fake.enqueue({ text: "still here" });
    const run = await home.cli(["run", "hi"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("still here\n");
    expect(run.stderr).toBe(warning(file));

    const list = await home.cli(["channels", "list", "--json"]);
    expect(list.code).toBe(0);
    expect(list.stderr).toBe(warning(file));
    expect(JSON.parse(list.stdout).channels).toEqual([{ channel: "telegram", account: "default", enabled: true, unavailable: expect.stringContaining(`${MISSING} is not set`) }]);

    const doctor = await home.cli(["doctor", "--json"]);
    const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks;
    expect(checks.find((c) => c.name === "config")?.status).toBe("ok");
    expect(checks.find((c) => c.name === "telegram/default")).toMatchObject({ status: "fail", detail: `left out: ${MISSING} is not set (channels.telegram.accounts.default in ${file})` });

    expect((await home.cli(["config", "validate"])).code).toBe(0);
    const checked = await home.cli(["channels", "add", "telegram", "--token-env", MISSING, "--api-root", tg.apiRoot], { env: { [MISSING]: tg.token } });
    expect(checked.stdout).toContain("credentials work: @pincer_test_bot");
  });
});

describe("the gateway with an account whose variable is unset", () => {
  let home: Home;
  let gw: GatewayProcess;
  beforeAll(async () => {
    const channels = [
      "channels:",
      "  telegram:",
      "    accounts:",
      "      default:",
      `        token: \${env:${MISSING}}`,
      `        api_root: ${tg.apiRoot}`,
      "      work:",
      `        token: "${tg.token}"`,
      `        api_root: ${tg.apiRoot}`,
    ].join("\n");
    home = await makeHome(fakeProviderConfig(fx.fake.baseURL, channels));
    gw = await startGatewayProcess(home, undefined, { env: { PINCER_LOG_LEVEL: "warn" } });
  }, 60_000);
  afterAll(async () => {
    gw.child.kill("SIGTERM");
    await gw.exited;
    await home.cleanup();
  });

  it("starts, connects the other account and reports this one as failed with the fix", async () => {
    const ready = await until("both accounts to settle", async () => {
      const body = (await (await fetch(`${gw.url}/readyz`)).json()) as { ok: boolean; channels?: Record<string, string> };
      return body.channels?.["telegram/work"] === "connected" ? body : undefined;
    });
    expect(ready).toEqual({ ok: true, checks: { store: "ok", providers: "ok" }, channels: { "telegram/default": "failed", "telegram/work": "connected" } });
    expect(gw.output()).toMatch(new RegExp(`channel telegram/default: failed \\(.*pincer\\.yaml:14 channels\\.telegram\\.accounts\\.default\\.token: environment variable ${MISSING} is not set\\. Fix: .* \\(then restart the gateway\\)\\)`));

    const status = await until("the status file", async () => {
      const r = await home.cli(["channels", "status", "--json"]);
      const body = JSON.parse(r.stdout) as { gateway: unknown; channels: Array<{ account: string; state: string; detail?: string }> };
      return body.gateway && body.channels.some((c) => c.account === "work" && c.state === "connected") ? { r, body } : undefined;
    });
    expect(status.r.code).toBe(0);
    expect(status.body.channels.find((c) => c.account === "default")).toMatchObject({ state: "failed", detail: expect.stringContaining(`export ${MISSING}`) });
    const api = (await (await fetch(`${gw.url}/api/v1/channels`, { headers: { authorization: `Bearer ${gw.token}` } })).json()) as { channels: Array<{ account: string; state: string; detail?: string }> };
    expect(api.channels.find((c) => c.account === "default")).toMatchObject({ state: "failed", detail: expect.stringContaining(`${MISSING} is not set`) });
  });
});

describe("channels remove", () => {
  it("leaves no empty accounts or channels map behind", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const before = await readFile(join(home.dir, "pincer.yaml"), "utf8");
    expect((await home.cli(["channels", "add", "telegram", "--token", tg.token, "--no-probe"])).code).toBe(0);
    expect((await home.cli(["channels", "add", "telegram", "--account", "work", "--token", tg.token, "--no-probe"])).code).toBe(0);
    expect((await home.cli(["channels", "remove", "telegram"])).code).toBe(0);
    expect(await readFile(join(home.dir, "pincer.yaml"), "utf8")).toContain("accounts:\n      work:");
    expect((await home.cli(["channels", "remove", "telegram", "--account", "work"])).code).toBe(0);
    expect(await readFile(join(home.dir, "pincer.yaml"), "utf8")).toBe(before);
  });
});
