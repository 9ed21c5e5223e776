// diffConfig: leaf paths of changes, split into live and restart-needed.
import { describe, expect, it } from "vitest";
import { configSchema } from "../core/config-schema.ts";
import { diffConfig, withRestartKeysFrom } from "./config-diff.ts";

const parse = (input: unknown) => configSchema.parse(input);

describe("diffConfig", () => {
  it("finds nothing between equal configs", () => {
    expect(diffConfig(parse({}), parse({}))).toEqual({ live: [], restart: [] });
  });

  it("names changed leaves and splits restart-only keys from live ones", () => {
    const before = parse({ gateway: { port: 1000 }, models: { tiers: { default: { primary: "a/m1" } } } });
    const after = parse({
      gateway: { port: 2000, rate_limit_per_minute: 5 },
      models: { tiers: { default: { primary: "a/m2" } } },
      agents: { default: { workspace: "/tmp/elsewhere" }, helper: {} },
      policy: { exec: { sandbox: "host", level: "deny" } },
      log: { level: "debug" },
    });
    const changes = diffConfig(before, after);
    expect(changes.restart.sort()).toEqual(["agents.default.workspace", "gateway.port", "policy.exec.sandbox"]);
    expect(changes.live).toEqual(expect.arrayContaining(["gateway.rate_limit_per_minute", "models.tiers.default.primary", "agents.helper", "policy.exec.level", "log.level"]));
    expect(changes.live).not.toContain("gateway.port");
  });

  it("compares arrays as a whole", () => {
    const before = parse({ models: { tiers: { default: { primary: "a/m", fallbacks: ["b/x", "c/y"] } } } });
    const after = parse({ models: { tiers: { default: { primary: "a/m", fallbacks: ["c/y", "b/x"] } } } });
    expect(diffConfig(before, after).live).toEqual(["models.tiers.default.fallbacks"]);
  });

  it("withRestartKeysFrom keeps the old values of restart-only keys and the new live ones", () => {
    const before = parse({ gateway: { port: 1000 }, log: { level: "info" } });
    const after = parse({ gateway: { port: 2000 }, log: { level: "debug" } });
    const { restart } = diffConfig(before, after);
    const effective = withRestartKeysFrom(before, after, restart);
    expect(effective.gateway.port).toBe(1000);
    expect(effective.log.level).toBe("debug");
    expect(after.gateway.port).toBe(2000);
  });
});

describe("diffConfig: channels", () => {
  const tg = (extra: Record<string, unknown> = {}) =>
    configSchema.parse({ channels: { telegram: { accounts: { default: { token: "1:a", ...extra } } } } });

  it("applies access rules live and needs a restart for connection keys", () => {
    const changes = diffConfig(tg(), tg({ allow_from: ["42"], token: "1:b" }));
    expect(changes.live).toEqual(["channels.telegram.accounts.default.allow_from"]);
    expect(changes.restart).toEqual(["channels.telegram.accounts.default.token"]);
  });

  it("connects an added account, and disconnects a removed one, only at the next start", () => {
    const added = diffConfig(configSchema.parse({}), tg());
    expect(added.live).toEqual([]);
    expect(added.restart).toEqual(["channels.telegram"]);
    const kept = withRestartKeysFrom(tg(), configSchema.parse({}), diffConfig(tg(), configSchema.parse({})).restart);
    expect(kept.channels.telegram?.accounts.default).toMatchObject({ token: "1:a", dm_policy: "pairing" });
  });
});
