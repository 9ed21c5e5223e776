// `pincer doctor` lines for webhook triggers: unset secret (fail), short secret (warn), loopback note.
import { describe, expect, it } from "vitest";
import { configSchema } from "../core/config-schema.ts";
import { checkHooks } from "./doctor-hooks.ts";

const config = (bind: "loopback" | "lan") => configSchema.parse({
  gateway: { bind },
  hooks: {
    gh: { auth: "github", secret_env: "GH_SECRET", message: "{{body.action}}" },
    ci: { auth: "token", secret_env: "CI_TOKEN", message: "build" },
  },
});

describe("checkHooks", () => {
  it("fails for an unset secret env var and warns for a short secret, naming the key and the fix", () => {
    const checks = checkHooks(config("lan"), { GH_SECRET: "short" }, "/etc/pincer.yaml");
    expect(checks).toEqual([
      expect.objectContaining({ status: "warn", detail: 'hook "gh": the secret in GH_SECRET is 5 characters; use at least 16' }),
      expect.objectContaining({ status: "fail", detail: 'hook "ci": CI_TOKEN (hooks.ci.secret_env) is not set, so POST /hooks/ci answers 503', fix: expect.stringContaining("openssl rand -hex 32") }),
    ]);
  });

  it("is ok with long secrets, and notes that a loopback gateway needs a reverse proxy", () => {
    const env = { GH_SECRET: "a".repeat(32), CI_TOKEN: "b".repeat(32) };
    expect(checkHooks(config("lan"), env, "/etc/pincer.yaml").map((c) => c.status)).toEqual(["ok"]);
    const loopback = checkHooks(config("loopback"), env, "/etc/pincer.yaml");
    expect(loopback.map((c) => c.status)).toEqual(["ok", "ok"]);
    expect(loopback[1]!.detail).toContain("reverse proxy");
  });

  it("fails for a hook whose agent is not configured", () => {
    const cfg = configSchema.parse({ hooks: { ci: { auth: "token", secret_env: "CI_TOKEN", message: "build", agent: "ops" } } });
    expect(checkHooks(cfg, { CI_TOKEN: "b".repeat(32) }, "/etc/pincer.yaml")[0]).toMatchObject({
      status: "fail", detail: 'hook "ci": hooks.ci.agent is "ops", which is not configured, so POST /hooks/ci answers 503', fix: "set hooks.ci.agent to one of: default, or add agents.ops",
    });
  });

  it("reads the secret as an own variable of the environment: secret_env constructor is unset, not a function", () => {
    const cfg = configSchema.parse({ hooks: { ci: { auth: "token", secret_env: "constructor", message: "build" } } });
    expect(checkHooks(cfg, {}, "/etc/pincer.yaml")[0]).toMatchObject({ status: "fail", detail: expect.stringContaining("constructor (hooks.ci.secret_env) is not set") });
  });

  it("says nothing without hooks", () => {
    expect(checkHooks(configSchema.parse({}), {}, "/etc/pincer.yaml")).toEqual([]);
  });
});
