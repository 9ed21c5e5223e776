// Setup mistakes through the real CLI: each is a one-line actionable error, a non-zero exit, and nothing written.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fakeProviderConfig, PROTOTYPE_NAMES, useCliFixture, type Home } from "./harness.ts";

const fx = useCliFixture();
let home: Home;

const oneLine = (text: string): string[] => text.trim().split("\n");

describe("setup errors", () => {
  it("malformed config: file:line key path, expectation and fix; exit 78; no stack", async () => {
    home = await fx.home();
    const file = await home.writeConfig(["agents:", "  default:", "    model: 42", ""].join("\n"));
    const r = await home.cli(["run", "hi"]);
    expect(r.code).toBe(78);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3 agents.default.model: expected "tier" or "provider/model", got 42\\. Fix: `));
    expect(r.stdout).toBe("");
    expect(existsSync(join(home.dir, "pincer.db"))).toBe(false);
  });

  it("gateway.bind custom without a host: validate and gateway both exit 78 with the located reason", async () => {
    home = await fx.home();
    await home.writeConfig("gateway:\n  bind: custom\n");
    const line = /^error: \S+pincer\.yaml:1 gateway\.host: gateway\.bind is custom but no host is set\. Fix: set gateway\.host /;
    const validate = await home.cli(["config", "validate"]);
    expect([validate.code, validate.stdout]).toEqual([78, ""]);
    expect(validate.stderr).toMatch(line);
    const gateway = await home.cli(["gateway", "--port", "0"]);
    expect(gateway.code).toBe(78);
    expect(oneLine(gateway.stderr)).toHaveLength(1);
    expect(gateway.stderr).toMatch(line);
  });

  it("invalid YAML names the line", async () => {
    home = await fx.home();
    await home.writeConfig("models:\n  providers: [unclosed\n");
    const r = await home.cli(["config", "validate"]);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/pincer\.yaml:\d+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("missing credential names provider, tier and credential type; no session is created", async () => {
    home = await fx.home();
    await home.writeConfig("models:\n  providers:\n    openai: { type: openai }\n  tiers:\n    default: { primary: openai/gpt-4o-mini }\n");
    const r = await home.cli(["run", "hi"]);
    expect(r.code).toBe(78);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('tier "default"');
    expect(r.stderr).toContain('provider "openai"');
    expect(r.stderr).toMatch(/API key/);
    expect(r.stderr).toContain("OPENAI_API_KEY");
    const sessions = await home.cli(["sessions", "list", "--json"]);
    expect(JSON.parse(sessions.stdout)).toEqual([]);
  });

  it("auth_mode oauth with only an API key is an explicit error, not a fallback", async () => {
    home = await fx.home();
    await home.writeConfig("models:\n  tiers:\n    default: { primary: anthropic/claude-sonnet-4-5, auth_mode: oauth }\n");
    const r = await home.cli(["run", "hi"], { env: { ANTHROPIC_API_KEY: "sk-ant-test" } });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/OAuth token/);
    expect(r.stderr).not.toContain("sk-ant-test");
  });

  it("unknown provider in a model ref lists the known ones", async () => {
    home = await fx.home();
    await home.writeConfig(fakeProviderConfig(fx.fake.baseURL, "agents:\n  default: { model: nope/some-model }"));
    const r = await home.cli(["run", "hi"]);
    expect(r.code).toBe(78);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('"nope"');
    expect(r.stderr).toContain("fake");
  });

  it("--agent and --model named like prototype members are unknown ids, not crashes", async () => {
    home = await fx.home();
    await home.writeConfig(fakeProviderConfig(fx.fake.baseURL));
    // Twelve CLI starts from the TypeScript sources: all at once, with a time limit that allows for a busy machine.
    const h = home;
    const results = await Promise.all(
      PROTOTYPE_NAMES.map(async (name) => ({ name, agent: await h.cli(["run", "--agent", name, "hi"]), model: await h.cli(["run", "--model", `${name}/some-model`, "hi"]) })),
    );
    for (const { name, agent, model } of results) {
      expect(agent.code, agent.stderr).toBe(78);
      expect(oneLine(agent.stderr)).toHaveLength(1);
      expect(agent.stderr).toContain(`unknown agent "${name}"`);
      expect(model.code, model.stderr).toBe(78);
      expect(oneLine(model.stderr)).toHaveLength(1);
      expect(model.stderr).toContain(`unknown provider "${name}"`);
    }
  }, 120_000);

  it("no model configured at all points to onboarding", async () => {
    home = await fx.home();
    const r = await home.cli(["run", "hi"]);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/onboard/);
  });

  it("config set refuses an invalid value and leaves the file untouched", async () => {
    home = await fx.home();
    const file = await home.writeConfig(fakeProviderConfig(fx.fake.baseURL));
    const before = await import("node:fs/promises").then((fs) => fs.readFile(file, "utf8"));
    const r = await home.cli(["config", "set", "policy.exec.level", "everything"]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain("policy.exec.level");
    const after = await import("node:fs/promises").then((fs) => fs.readFile(file, "utf8"));
    expect(after).toBe(before);
  });
});
