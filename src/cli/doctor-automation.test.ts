// `pincer doctor` on automation: no store yet, schedules counted with the suspended ones, a schedule whose agent is gone
// or whose delivery names an unconfigured channel account (warn), and the heartbeat's and hooks' deliveries.
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
  it("reports no schedules before any store exists", async () => {
    expect(await checkAutomation(config(), home)).toEqual([
      { name: "automation", status: "ok", detail: "no schedules (the store's schedule tables are created on the next start of any pincer command)" },
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
    const checks = await checkAutomation(config(), home);
    expect(checks[0]).toEqual({ name: "automation", status: "ok", detail: "5 schedule(s), 1 suspended" });
    expect(checks[1]).toMatchObject({ status: "warn", detail: "schedule(s) of an agent that is no longer configured, so their runs fail: orphan (agent retired)", fix: expect.stringContaining("pincer cron edit <name> --agent default") });
    expect(checks[2]).toMatchObject({
      status: "warn",
      detail: "schedule(s) whose answers cannot be delivered: lost: channel slack is not configured, wrong-account: channel account telegram/other is not configured",
      fix: expect.stringContaining("pincer channels add"),
    });
  });

  it("warns when the heartbeat or a hook delivers to an unconfigured channel account", async () => {
    const cfg = config({
      hooks: {
        github: { auth: "github", secret_env: "GH_SECRET", message: "{{body.action}}", deliver: "discord:main:1" },
        ci: { auth: "token", secret_env: "CI_SECRET", message: "done", deliver: "telegram:main:42" },
      },
      heartbeat: { every: "30m", deliver: "telegram:backup:42" },
    });
    expect((await checkAutomation(cfg, home)).slice(1)).toEqual([{
      name: "automation", status: "warn",
      detail: "answers that cannot be delivered: heartbeat.deliver: channel account telegram/backup is not configured, hooks.github.deliver: channel discord is not configured",
      fix: expect.stringContaining("pincer channels add"),
    }]);
  });
});
