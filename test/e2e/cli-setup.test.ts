// First-run flows through the real CLI: non-interactive onboarding (tested against the fake), doctor, auth, chat on stdin.
import { readFile, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../fakes/index.ts";
import { fakeProviderConfig, useCliFixture, type Home } from "./harness.ts";

const fx = useCliFixture();
let home: Home;

describe("onboard --non-interactive", () => {
  it("tests the provider, writes the config without the key, and the next run works", async () => {
    home = await fx.home();
    const env = { FAKE_KEY: "test-key" };
    const r = await home.cli(["onboard", "--non-interactive", "--provider", "openai-compatible", "--model", "gpt-4o-mini", "--base-url", fx.fake.baseURL, "--api-key-env", "FAKE_KEY"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("test call ok");
    const yaml = await readFile(join(home.dir, "pincer.yaml"), "utf8");
    expect(yaml).toContain("api_key_env: FAKE_KEY");
    expect(yaml).not.toContain("test-key");
    expect((await stat(join(home.dir, "pincer.yaml"))).mode & 0o777).toBe(0o600);
    fx.fake.enqueue({ text: "configured and working" });
    const run = await home.cli(["run", "hi"], { env });
    expect(run.stdout).toBe("configured and working\n");
  });

  it("a failing test call writes nothing", async () => {
    home = await fx.home();
    const r = await home.cli(["onboard", "--non-interactive", "--provider", "openai-compatible", "--model", "m", "--base-url", fx.fake.baseURL, "--api-key-env", "FAKE_KEY"], { env: { FAKE_KEY: "wrong-key" } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/test call to custom\/m failed \(auth_failed\)/);
    expect(existsSync(join(home.dir, "pincer.yaml"))).toBe(false);
  });

  it("rejects an unknown provider with the list of valid ones", async () => {
    home = await fx.home();
    const r = await home.cli(["onboard", "--non-interactive", "--provider", "skynet", "--model", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ollama");
  });
});

describe("doctor", () => {
  it("passes on a configured home and reports each component", async () => {
    home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const r = await home.cli(["doctor", "--json"]);
    const out = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ name: string; status: string }> };
    expect(out.checks.map((c) => c.name)).toEqual(expect.arrayContaining(["node", "config", "state dir", "store", "credential", "workspace", "sandbox", "gw token", "gw bind", "gw port"]));
    expect(out.ok).toBe(true);
    expect(r.code).toBe(0);
  });

  it("fails the gateway token check on a weak PINCER_GATEWAY_TOKEN", async () => {
    home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const r = await home.cli(["doctor"], { env: { PINCER_GATEWAY_TOKEN: "abc" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ gw token +the gateway token from PINCER_GATEWAY_TOKEN is too short \(3 characters; at least 24 are needed\)\n +fix: run 'pincer gateway token --rotate'/);
  });

  it("fails with a fix when no model is configured", async () => {
    home = await fx.home();
    const r = await home.cli(["doctor"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ model .*\n.*fix: run 'pincer onboard'/);
  });
});

describe("auth", () => {
  it("stores a key from stdin without echoing it, lists it masked, and uses it", async () => {
    const anthropic = await startFakeAnthropic({ apiKeys: ["sk-ant-stored-secret-1234"] });
    try {
      home = await fx.home();
      await home.writeConfig(`models:\n  providers:\n    claude: { type: anthropic, base_url: "${anthropic.baseURL}" }\n  tiers:\n    default: { primary: claude/claude-sonnet-4-5 }\n`);
      const set = await home.cli(["auth", "set", "claude"], { input: "sk-ant-stored-secret-1234\n" });
      expect(set.code).toBe(0);
      expect(set.stdout + set.stderr).not.toContain("stored-secret");
      expect((await stat(join(home.dir, "auth.json"))).mode & 0o777).toBe(0o600);
      const list = await home.cli(["auth", "list"]);
      expect(list.stdout).toContain("claude");
      expect(list.stdout).not.toContain("stored-secret");
      anthropic.enqueue({ text: "hello from claude" });
      const run = await home.cli(["run", "hi"]);
      expect(run.stdout).toBe("hello from claude\n");
      expect(anthropic.requests[0]!.apiKey).toBe("sk-ant-stored-secret-1234");
    } finally {
      await anthropic.close();
    }
  });
});

describe("chat", () => {
  it("answers lines from stdin in one session and exits at end of input", async () => {
    home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    fx.fake.enqueue({ text: "first reply" }, { text: "second reply" });
    const r = await home.cli(["chat"], { input: "hello\nand again\n/exit\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("first reply");
    expect(r.stdout).toContain("second reply");
    const last = fx.fake.requests.at(-1)!.body as { messages: Array<{ role: string }> };
    expect(last.messages.filter((m) => m.role === "user")).toHaveLength(2);
  });
});
