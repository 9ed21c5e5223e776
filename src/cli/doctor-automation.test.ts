// `pincer doctor` on automation: no store yet, schedules counted with the suspended ones, a schedule whose agent is gone
// or whose delivery names an unconfigured channel account (warn), a hook whose secret env var is unset (fail), the
// heartbeat summary.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildSchedule } from "../automation/schedule-input.ts";
import { configSchema } from "../core/config-schema.ts";
import { openSqliteStore } from "../store/index.ts";
import { checkAutomation } from "./doctor-automation.ts";

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "pincer-doctor-automation-"));
});
afterEach(() => rm(home, { recursive: true, force: true }));

const config = (extra: object = {}) => configSchema.parse({
  agents: { default: {}, helper: {} },
  channels: { telegram: { accounts: { main: { token: "123:abc" } } } },
  ...extra,
});

async function addSchedules(inputs: Array<Record<string, unknown>>): Promise<void> {
  const store = await openSqliteStore({ path: join(home, "pincer.db") });
  try {
    for (const input of inputs) await store.schedules.create(buildSchedule(input, { now: Date.now(), createdBy: "cli", knownAgent: () => true }));
  } finally {
    await store.close();
  }
}

describe("doctor: automation", () => {
  it("reports no schedules and the heartbeat off before any store exists", async () => {
    expect(await checkAutomation(config(), home, {})).toEqual([
      { name: "automation", status: "ok", detail: "no schedules (the store's schedule tables are created on the next start of any pincer command)" },
      { name: "heartbeat", status: "ok", detail: "off (no heartbeat in pincer.yaml)" },
    ]);
  });

  it("counts schedules and warns about a missing agent and an unconfigured delivery account", async () => {
    await addSchedules([
      { name: "ok", every: "1h", message: "m", deliver: "telegram:main:42" },
      { name: "paused", every: "1h", message: "m", suspended: true },
      { name: "orphan", every: "1h", message: "m", agent: "retired" },
      { name: "lost", every: "1h", message: "m", deliver: "slack:work:C123" },
      { name: "wrong-account", every: "1h", message: "m", deliver: "telegram:other:42" },
    ]);
    const checks = await checkAutomation(config(), home, {});
    expect(checks[0]).toEqual({ name: "automation", status: "ok", detail: "5 schedule(s), 1 suspended" });
    expect(checks[1]).toMatchObject({ status: "warn", detail: "schedule(s) of an agent that is no longer configured, so their runs fail: orphan (agent retired)", fix: expect.stringContaining("pincer cron edit <name> --agent default") });
    expect(checks[2]).toMatchObject({
      status: "warn",
      detail: "schedule(s) whose answers cannot be delivered: lost: channel slack is not configured, wrong-account: channel account telegram/other is not configured",
      fix: expect.stringContaining("pincer channels add"),
    });
  });

  it("fails a hook whose secret env var is unset, and summarises the heartbeat", async () => {
    const cfg = config({
      hooks: {
        github: { auth: "github", secret_env: "GH_SECRET", message: "{{body.action}}" },
        ci: { auth: "token", secret_env: "CI_SECRET", message: "done", deliver: "telegram:main:42" },
      },
      heartbeat: { every: "30m", active_hours: "08:00-22:00", tz: "Europe/Paris", deliver: "telegram:main:42" },
    });
    const checks = await checkAutomation(cfg, home, { GH_SECRET: "s3cret" });
    expect(checks.filter((c) => c.name === "hooks")).toEqual([
      { name: "hooks", status: "fail", detail: "hook ci: CI_SECRET (hooks.ci.secret_env) is not set, so every request to POST /hooks/ci is refused", fix: expect.stringContaining("set CI_SECRET in the gateway's environment") },
    ]);
    expect(checks.find((c) => c.name === "heartbeat")).toEqual({ name: "heartbeat", status: "ok", detail: "every 30m, 08:00-22:00 Europe/Paris, agent default, deliver telegram:main:42" });

    const allSet = await checkAutomation(cfg, home, { GH_SECRET: "s3cret", CI_SECRET: "t0ken" });
    expect(allSet.filter((c) => c.name === "hooks")).toEqual([{ name: "hooks", status: "ok", detail: "2 hook(s), every secret set: /hooks/github (github), /hooks/ci (token)" }]);
    // An env var named like an Object.prototype member is unset like any other.
    const proto = config({ hooks: { odd: { auth: "token", secret_env: "constructor", message: "m" } } });
    expect((await checkAutomation(proto, home, {})).find((c) => c.name === "hooks")?.status).toBe("fail");
  });

  it("warns about a heartbeat for an unknown agent", async () => {
    const checks = await checkAutomation(config({ heartbeat: { agent: "ghost" } }), home, {});
    expect(checks.find((c) => c.name === "heartbeat")).toMatchObject({ status: "warn", detail: "every 30m, around the clock, agent ghost, deliver none: agent ghost is not configured" });
  });
});
