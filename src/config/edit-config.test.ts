// Tests for config get/set/unset: comments survive, invalid edits never touch the file, writes are 0600.
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.ts";
import { getConfigValue, parseKeyPath, planConfigEdits, setConfigValue, unsetConfigValue, writeConfigPlan } from "./edit-config.ts";
import { loadConfig } from "./load-config.ts";

let home: string;
let file: string;
const ORIGINAL = "# Pincer config\ngateway:\n  port: 9000 # the API port\n\nagents:\n  default:\n    model: openai/gpt-4o # tier\n";

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "pincer-edit-"));
  file = join(home, "pincer.yaml");
  await writeFile(file, ORIGINAL, { mode: 0o644 });
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function load() {
  return (await loadConfig({ file, env: { PINCER_HOME: home } })).config;
}

describe("setConfigValue / getConfigValue", () => {
  it("round-trips typed values and keeps comments", async () => {
    await setConfigValue(file, "gateway.port", "9100");
    await setConfigValue(file, "agents.default.queue_mode", "steer");
    await setConfigValue(file, "policy.exec.safe_bins", "[ls, git]");
    const text = await readFile(file, "utf8");
    expect(text).toContain("# Pincer config\n");
    expect(text).toContain("port: 9100 # the API port");
    expect(text).toContain("model: openai/gpt-4o # tier");
    const config = await load();
    expect(getConfigValue(config, "gateway.port")).toBe(9100);
    expect(getConfigValue(config, "agents.default.queue_mode")).toBe("steer");
    expect(getConfigValue(config, "policy.exec.safe_bins[1]")).toBe("git");
    expect(getConfigValue(config, "agents.nobody.model")).toBeUndefined();
  });

  it("keeps string-typed values as written, so a key like 0123 is not turned into a number", async () => {
    await setConfigValue(file, "models.providers.work.type", "openai");
    await setConfigValue(file, "models.providers.work.api_key", "0123");
    expect(getConfigValue(await load(), "models.providers.work.api_key")).toBe("0123");
  });

  it("leaves the file byte-identical when the new value is invalid", async () => {
    const err = await setConfigValue(file, "agents.default.model", "42").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `${file}:7 agents.default.model: expected a tier (default, fast, complex, local) or "provider/model", got "42". Fix: see 'pincer config schema' for the expected shape`,
    );
    await expect(setConfigValue(file, "gateway.prot", "1")).rejects.toThrow(/unknown key "prot"/);
    expect(await readFile(file, "utf8")).toBe(ORIGINAL);
  });

  it("writes with mode 0600 and creates a missing file and folder (0700)", async () => {
    await setConfigValue(file, "log.level", "debug");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const fresh = join(home, "new", "pincer.yaml");
    await setConfigValue(fresh, "gateway.port", "8000");
    expect(await readFile(fresh, "utf8")).toBe("gateway:\n  port: 8000\n");
    expect((await stat(fresh)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, "new"))).mode & 0o777).toBe(0o700);
  });

  it("does not fail on ${env:X} references whose variable is unset while editing", async () => {
    await writeFile(file, "models:\n  providers:\n    work:\n      type: openai\n      api_key: ${env:WORK_KEY}\n");
    await setConfigValue(file, "gateway.port", "8000");
    expect(await readFile(file, "utf8")).toContain("api_key: ${env:WORK_KEY}");
  });
});

describe("unsetConfigValue", () => {
  it("removes a key and keeps the rest", async () => {
    expect(await unsetConfigValue(file, "gateway.port")).toBe(true);
    expect((await load()).gateway.port).toBe(18790);
    expect(await readFile(file, "utf8")).toContain("model: openai/gpt-4o # tier");
  });

  it("returns false and writes nothing for an absent key", async () => {
    expect(await unsetConfigValue(file, "store.url")).toBe(false);
    expect(await readFile(file, "utf8")).toBe(ORIGINAL);
  });
});

describe("planConfigEdits / writeConfigPlan", () => {
  it("applies several edits as one write, or none of them when one is invalid", async () => {
    const base = "channels.telegram.accounts.default";
    const bad = await planConfigEdits(file, [{ keyPath: `${base}.token`, value: "1:x" }, { keyPath: `${base}.api_root`, value: "not a url" }]).catch((e: unknown) => e);
    expect((bad as ConfigError).message).toMatch(/channels\.telegram\.accounts\.default\.api_root: expected a URL/);
    expect(await readFile(file, "utf8")).toBe(ORIGINAL);
    const plan = await planConfigEdits(file, [{ keyPath: `${base}.token`, value: "1:x" }, { keyPath: `${base}.mode`, value: "webhook" }]);
    expect(await readFile(file, "utf8")).toBe(ORIGINAL);
    await writeConfigPlan(plan);
    expect((await load()).channels.telegram?.accounts["default"]).toMatchObject({ token: "1:x", mode: "webhook" });
  });

  it("prunes the maps an unset leaves empty, and keeps those with other keys", async () => {
    await writeFile(file, `${ORIGINAL}channels:\n  telegram:\n    accounts:\n      default:\n        token: "1:x"\n`);
    await writeConfigPlan(await planConfigEdits(file, [{ keyPath: "channels.telegram.accounts.default", unset: true, prune: true }]));
    expect(await readFile(file, "utf8")).toBe(ORIGINAL);
    await writeFile(file, `channels:\n  telegram:\n    accounts:\n      a:\n        token: "1:x"\n      b:\n        token: "2:y"\n`);
    await writeConfigPlan(await planConfigEdits(file, [{ keyPath: "channels.telegram.accounts.a", unset: true, prune: true }]));
    expect(await readFile(file, "utf8")).toBe(`channels:\n  telegram:\n    accounts:\n      b:\n        token: "2:y"\n`);
  });

  it("refuses to write a plan when the file changed after it was made", async () => {
    const plan = await planConfigEdits(file, [{ keyPath: "gateway.port", value: "9100" }]);
    await writeFile(file, `${ORIGINAL}# edited meanwhile\n`);
    await expect(writeConfigPlan(plan)).rejects.toThrow(/the file changed while this command ran; nothing was written/);
  });
});

describe("parseKeyPath", () => {
  it("splits dots, list indexes and quoted keys", () => {
    expect(parseKeyPath("models.tiers.fast.fallbacks[0]")).toEqual(["models", "tiers", "fast", "fallbacks", 0]);
    expect(parseKeyPath('models.prices["openai/gpt-4.1"].input')).toEqual(["models", "prices", "openai/gpt-4.1", "input"]);
  });

  it("rejects malformed paths with a ConfigError", () => {
    for (const bad of ["", "a..b", "a.", ".a", "a[x]", "a b"]) expect(() => parseKeyPath(bad), bad).toThrow(ConfigError);
  });
});
