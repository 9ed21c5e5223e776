// Tests for loadConfig: defaults, env references and overrides, and the exact wording of located errors.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.ts";
import { ConfigIssuesError } from "./config-source.ts";
import { loadConfig } from "./load-config.ts";

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "pincer-config-"));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function writeConfig(text: string): Promise<string> {
  const file = join(home, "pincer.yaml");
  await writeFile(file, text);
  return file;
}

async function loadError(text: string, env: Record<string, string> = {}): Promise<ConfigError> {
  const file = await writeConfig(text);
  const err: unknown = await loadConfig({ file, env: { PINCER_HOME: home, ...env } }).catch((e: unknown) => e);
  if (!(err instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(err)}`);
  return err;
}

describe("loadConfig", () => {
  it("returns all defaults when the default file is absent", async () => {
    const loaded = await loadConfig({ env: { PINCER_HOME: home } });
    expect(loaded).toMatchObject({ exists: false, stateDir: home, file: join(home, "pincer.yaml") });
    expect(loaded.config.gateway.port).toBe(18790);
    expect(loaded.config.agents["default"]?.model).toBe("default");
  });

  it("fails when a file given with --config is absent", async () => {
    const err = await loadConfig({ file: join(home, "nope.yaml"), env: { PINCER_HOME: home } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain("nope.yaml: config file not found. Fix:");
  });

  it("loads a valid file and fills defaults; an empty file is {}", async () => {
    const file = await writeConfig("# my config\ngateway:\n  port: 9000\nagents:\n  helper:\n    model: anthropic/claude-sonnet-4\n");
    const loaded = await loadConfig({ file, env: { PINCER_HOME: home } });
    expect(loaded.exists).toBe(true);
    expect(loaded.config.gateway).toEqual({ port: 9000, bind: "loopback", rate_limit_per_minute: 600, webchat: true, max_body_bytes: 4194304, allowed_hosts: [], allowed_origins: [] });
    expect(loaded.config.agents["helper"]).toMatchObject({ model: "anthropic/claude-sonnet-4", max_steps: 16 });
    await writeConfig("");
    expect((await loadConfig({ file, env: { PINCER_HOME: home } })).config.log.level).toBe("info");
  });

  it("substitutes ${env:X} whole and embedded, types whole values by the schema, and honours $${env:X}", async () => {
    const file = await writeConfig(
      [
        "gateway:",
        "  port: ${env:MY_PORT}",
        "models:",
        "  providers:",
        "    work:",
        "      type: openai",
        "      api_key: ${env:KEY}",
        "      base_url: https://${env:HOST}/v1",
        "      headers:",
        "        X-Literal: $${env:KEY}",
      ].join("\n"),
    );
    const { config } = await loadConfig({ file, env: { PINCER_HOME: home, MY_PORT: "8123", KEY: "0123", HOST: "llm.local" } });
    expect(config.gateway.port).toBe(8123);
    expect(config.models.providers["work"]).toMatchObject({ api_key: "0123", base_url: "https://llm.local/v1", headers: { "X-Literal": "${env:KEY}" } });
  });

  it("names the key and the variable when a referenced variable is unset", async () => {
    const err = await loadError("models:\n  providers:\n    work:\n      type: openai\n      api_key: ${env:WORK_KEY}\n");
    expect(err.message).toMatch(/pincer\.yaml:5 models\.providers\.work\.api_key: environment variable WORK_KEY is not set\. Fix: export WORK_KEY/);
  });

  it("withholds only the channel account whose referenced variable is unset; the rest loads", async () => {
    const file = await writeConfig(
      [
        "channels:",
        "  telegram:",
        "    accounts:",
        "      default:",
        "        token: ${env:TG_TOKEN}",
        "        webhook_secret: ${env:TG_SECRET}",
        "      spare:",
        "        enabled: false",
        "        token: ${env:SPARE_TOKEN}",
        "      work:",
        "        token: ${env:WORK_TOKEN}",
        "  slack:",
        "    accounts:",
        "      default:",
        "        bot_token: ${env:SLACK_BOT_TOKEN}",
      ].join("\n"),
    );
    const loaded = await loadConfig({ file, env: { PINCER_HOME: home, WORK_TOKEN: "123:abc", PINCER__CHANNELS__SLACK__ACCOUNTS__DEFAULT__BOT_TOKEN: "xoxb-1" } });
    expect(Object.keys(loaded.config.channels.telegram?.accounts ?? {})).toEqual(["spare", "work"]);
    expect(loaded.config.channels.telegram?.accounts["work"]?.token).toBe("123:abc");
    expect(loaded.config.channels.telegram?.accounts["spare"]).toMatchObject({ enabled: false, token: "${env:SPARE_TOKEN}" });
    expect(loaded.config.channels.slack?.accounts["default"]?.bot_token).toBe("xoxb-1");
    expect(loaded.withheld.map((w) => w.path)).toEqual([["channels", "telegram", "accounts", "default"]]);
    expect(loaded.withheld[0]!.error.message).toBe(
      [
        `${file}:5 channels.telegram.accounts.default.token: environment variable TG_TOKEN is not set. Fix: export TG_TOKEN in the environment that runs pincer, or write $\${env:TG_TOKEN} for literal text`,
        `${file}:6 channels.telegram.accounts.default.webhook_secret: environment variable TG_SECRET is not set. Fix: export TG_SECRET in the environment that runs pincer, or write $\${env:TG_SECRET} for literal text`,
      ].join("\n"),
    );
  });

  it("applies PORT, PINCER_LOG_LEVEL, PINCER_STORE_URL and PINCER__A__B overrides", async () => {
    const file = await writeConfig("gateway:\n  port: 9000\n");
    const env = {
      PINCER_HOME: home,
      PORT: "7000",
      PINCER_LOG_LEVEL: "debug",
      PINCER_STORE_URL: "postgres://db/pincer",
      PINCER__AGENTS__DEFAULT__MAX_STEPS: "40",
      PINCER__POLICY__EXEC__NETWORK: "true",
      PINCER__GATEWAY__HOST: "10.0.0.1",
    };
    const { config } = await loadConfig({ file, env });
    expect(config.gateway).toMatchObject({ port: 7000, host: "10.0.0.1" });
    expect(config.log.level).toBe("debug");
    expect(config.store.url).toBe("postgres://db/pincer");
    expect(config.agents["default"]?.max_steps).toBe(40);
    expect(config.policy.exec.network).toBe(true);
  });

  it("applies and types env overrides without a config file too", async () => {
    const env = { PINCER_HOME: home, PORT: "7000", PINCER_LOG_LEVEL: "debug", PINCER__POLICY__EXEC__NETWORK: "true" };
    const { config, exists } = await loadConfig({ env });
    expect(exists).toBe(false);
    expect(config.gateway.port).toBe(7000);
    expect(config.log.level).toBe("debug");
    expect(config.policy.exec.network).toBe(true);
  });

  it("says which env variable set a bad value instead of a line", async () => {
    const err = await loadError("gateway:\n  port: 9000\n", { PINCER__GATEWAY__PROT: "1" });
    expect(err.message).toMatch(/^\(from env PINCER__GATEWAY__PROT\) gateway\.prot: unknown key "prot"\. Fix: did you mean "port"\?/);
  });

  it("reports a YAML syntax error at its line", async () => {
    const err = await loadError("gateway:\n  port: 9000\n bind: lan\n");
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/pincer\.yaml:3: invalid YAML: .+\. Fix: /);
  });

  it("reports a wrong model type exactly, at the line of the key", async () => {
    const err = await loadError("# agents\nagents:\n  default:\n    model: 42\n");
    const file = join(home, "pincer.yaml");
    expect(err.message).toMatch(new RegExp(`^${escape(file)}:4 agents\\.default\\.model: expected "tier" or "provider/model", got 42\\. Fix: .+`));
    expect(err).toMatchObject({ file, line: 4, keyPath: "agents.default.model" });
  });

  it("names an unknown key, its line and the valid keys", async () => {
    const err = await loadError("agents:\n  default:\n    model: default\n    modle: fast\n");
    expect(err.message).toContain(':4 agents.default.modle: unknown key "modle". Fix: did you mean "model"? remove it or check spelling; valid keys: model, workspace,');
  });

  it("points a missing key at its parent map and lists every problem", async () => {
    const err = await loadError("models:\n  tiers:\n    fast:\n      fallbacks: []\nlog:\n  level: loud\n");
    expect(err).toBeInstanceOf(ConfigIssuesError);
    const issues = (err as ConfigIssuesError).issues;
    expect(issues.map((i) => [i.keyPath, i.line])).toEqual([
      ["models.tiers.fast.primary", 3],
      ["log.level", 6],
    ]);
    expect(issues[1]?.fix).toBe("use one of fatal, error, warn, info, debug, trace, silent");
    expect(err.message.split("\n")).toHaveLength(2);
  });

  it("rejects a model ref naming an unknown provider and lists the known ones", async () => {
    const err = await loadError("models:\n  providers:\n    work:\n      type: openai\nagents:\n  default:\n    model: opnai/gpt-4o\n");
    expect(err.message).toContain(':7 agents.default.model: unknown provider "opnai" in "opnai/gpt-4o". Fix: did you mean "openai/gpt-4o"?');
    expect(err.fix).toContain("openai, anthropic, google, gateway, ollama, vllm, lmstudio, openrouter, minimax, moonshot, work");
  });

  it("accepts configured and implicit providers, and requires written tiers to be defined", async () => {
    const ok = "models:\n  providers:\n    work:\n      type: openai\n  tiers:\n    fast:\n      primary: work/m\n      fallbacks: [ollama/llama3]\nagents:\n  default:\n    model: fast\n";
    const file = await writeConfig(ok);
    await expect(loadConfig({ file, env: { PINCER_HOME: home } })).resolves.toBeDefined();
    const err = await loadError("agents:\n  default:\n    model: complex\n");
    expect(err.message).toContain(':3 agents.default.model: tier "complex" is not defined. Fix: define models.tiers.complex or use provider/model');
  });

  it("reports tiers that refer to each other in a loop", async () => {
    const err = await loadError("models:\n  tiers:\n    fast:\n      primary: complex\n    complex:\n      primary: openai/gpt-4o\n      fallbacks: [fast]\n");
    expect((err as ConfigIssuesError).issues.map((i) => [i.keyPath, i.line])).toEqual([
      ["models.tiers.fast", 3],
      ["models.tiers.complex", 5],
    ]);
    expect(err.problem).toBe('tier "fast" refers back to itself through tier names');
  });

  it("requires a base_url for an openai-compatible provider without a preset", async () => {
    const err = await loadError("models:\n  providers:\n    lab:\n      type: openai-compatible\n    ollama:\n      type: openai-compatible\n");
    expect(err.message).toContain(':3 models.providers.lab: openai-compatible provider "lab" has no base_url. Fix: set models.providers.lab.base_url, or a preset');
    expect((err as ConfigIssuesError).issues).toHaveLength(1);
  });

  it("keeps secrets out of messages", async () => {
    const err = await loadError("models:\n  providers:\n    work:\n      type: sk-abcdefghijklmnopqrstuvwxyz123456\n");
    expect(err.message).not.toContain("abcdefghijklmnop");
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
