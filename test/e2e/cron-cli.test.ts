// `pincer cron …` through the real binary with no gateway running: add (cron, every, at), list with next fire times,
// show, edit, suspend, resume, runs (fires recorded in the store), rm, each with --json where scripts read it, audited
// as done with the command; bad flags are exit 2 naming the flag; `run` without a gateway says how to start one.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/index.ts";
import { fakeProviderConfig, makeHome, startGatewayProcess, type Home } from "./harness.ts";

let home: Home;

beforeAll(async () => {
  // No model call is made: the fake's address only has to be a valid URL.
  home = await makeHome(`${fakeProviderConfig("http://127.0.0.1:9/v1")}\nagents:\n  default: {}\n  helper: {}\n`);
});
afterAll(() => home?.cleanup());

type Json = Record<string, any>;
const cron = (...args: string[]) => home.cli(["cron", ...args]);
const json = async (...args: string[]): Promise<Json> => {
  const res = await cron(...args, "--json");
  expect(res.stderr).toBe("");
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout) as Json;
};
async function withStore<T>(fn: (store: Awaited<ReturnType<typeof openSqliteStore>>) => Promise<T>): Promise<T> {
  const store = await openSqliteStore({ path: join(home.dir, "pincer.db") });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe("pincer cron", () => {
  it("adds schedules of each kind and lists them with their next fire", async () => {
    const morning = await json("add", "--name", "morning", "--cron", "0 8 * * 1-5", "--tz", "Europe/Paris", "--message", "Brief me", "--deliver", "telegram:main:123456");
    expect(morning.schedule).toMatchObject({ name: "morning", kind: "cron", expr: "0 8 * * 1-5", tz: "Europe/Paris", agent: "default", session: "isolated", deliver: "telegram:main:123456", concurrency: "forbid", catchup: "skip", suspended: false, createdBy: "cli" });
    expect(morning.schedule.nextFireAt).toBeGreaterThan(Date.now());

    const water = await cron("add", "--name", "water", "--every", "2h", "--message", "Drink water", "--agent", "helper", "--session", "main", "--concurrency", "replace", "--catchup", "once");
    expect(water.code).toBe(0);
    expect(water.stdout).toMatch(/^added schedule water \(sch_\w+\): every 2h; next fire \w{3} \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? \((in 1h 59m|in 2h)\)$/m);
    await json("add", "--name", "xmas", "--at", "2099-12-24T09:00", "--tz", "UTC", "--message", "Merry Christmas", "--suspended");

    const list = await cron("list");
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+ID\s+WHEN\s+TZ\s+NEXT FIRE\s+LAST FIRE\s+STATE\s+DELIVER$/);
    expect(lines.find((l) => l.startsWith("morning"))).toMatch(/cron 0 8 \* \* 1-5\s+Europe\/Paris\s+\w{3} \d{4}-\d\d-\d\d \d\d:\d\d \(in [^)]+\)\s+-\s+active\s+telegram:main:123456$/);
    expect(lines.find((l) => l.startsWith("water"))).toMatch(/every 2h\s+local\s+.*\(in [^)]+\)\s+-\s+active\s+none$/);
    expect(lines.find((l) => l.startsWith("xmas"))).toMatch(/at 2099-12-24 \d\d:\d\d\s+UTC\s+-\s+-\s+suspended\s+none$/);

    const listed = await json("list");
    expect(listed.schedules.map((s: Json) => s.name)).toEqual(["morning", "water", "xmas"]);
    expect(listed.schedules[1]).toMatchObject({ agent: "helper", session: "main", concurrency: "replace", catchup: "once" });
  });

  it("shows, edits, suspends and resumes by name or id, audited as done with the command", async () => {
    const shown = await cron("show", "morning");
    expect(shown.stdout).toContain("when:        cron 0 8 * * 1-5\ntime zone:   Europe/Paris\nstate:       active\n");
    expect(shown.stdout).toContain("message:     Brief me\n\nno fires yet\n");
    const { schedule } = await json("show", "water");

    const edited = await json("edit", schedule.id, "--every", "30m", "--message", "Drink more water", "--deliver", "none");
    expect(edited.schedule).toMatchObject({ id: schedule.id, expr: "30m", message: "Drink more water", agent: "helper" });
    expect(edited.schedule.nextFireAt - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    const renamed = await json("edit", "water", "--name", "hydrate");
    expect(renamed.schedule.name).toBe("hydrate");

    expect((await json("suspend", "hydrate")).schedule.suspended).toBe(true);
    const resumed = await cron("resume", "hydrate");
    expect(resumed.stdout).toMatch(/^resumed schedule hydrate .*next fire/);
    const audit = await withStore((store) => store.audit.list({}));
    expect(audit.filter((a) => a.kind.startsWith("schedule.")).map((a) => `${a.kind} ${a.reason}`)).toEqual(expect.arrayContaining([
      "schedule.create create with 'pincer cron add'", "schedule.update update with 'pincer cron edit'",
      "schedule.suspend suspend with 'pincer cron suspend'", "schedule.resume resume with 'pincer cron resume'",
    ]));
  });

  it("lists a schedule's fires", async () => {
    const { schedule } = await json("show", "morning");
    await withStore(async (store) => {
      await store.schedules.recordFire({ scheduleId: schedule.id, fireAt: Date.UTC(2026, 0, 5, 7), status: "succeeded", reason: undefined, runId: "run_one", sessionKey: undefined, delivery: "sent" });
      await store.schedules.recordFire({ scheduleId: schedule.id, fireAt: Date.UTC(2026, 0, 6, 7), status: "skipped", reason: "previous run still going (forbid)", runId: undefined, sessionKey: undefined, delivery: "none" });
      await store.schedules.updateFire(schedule.id, Date.UTC(2026, 0, 5, 7), { delivery: "failed", deliveryError: "chat not found" });
    });
    const runs = await cron("runs", "morning");
    const lines = runs.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^FIRE AT\s+STATUS\s+REASON\s+RUN\s+DELIVERY$/);
    expect(lines[1]).toMatch(/^2026-01-06 \d\d:00\s+skipped\s+previous run still going \(forbid\)\s+-\s+-$/);
    expect(lines[2]).toMatch(/^2026-01-05 \d\d:00\s+succeeded\s+run_one\s+failed: chat not found$/);
    const asJson = await json("runs", "morning", "-n", "1");
    expect(asJson.fires).toEqual([expect.objectContaining({ fireAt: Date.UTC(2026, 0, 6, 7), status: "skipped", runId: null, delivery: "none" })]);
    expect((await json("list")).schedules.find((x: Json) => x.name === "morning").lastFire).toMatchObject({ status: "skipped" });
  });

  it("refuses bad flags with exit 2 and a message naming the flag", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["add", "--name", "a", "--cron", "every day", "--message", "m"], /--cron: "every day" is not a cron expression/],
      [["add", "--name", "a", "--cron", "* * * * *", "--every", "5m", "--message", "m"], /give one of --cron, --every or --at, not --cron and --every/],
      [["add", "--name", "a", "--every", "5 min", "--message", "m"], /--every: expected a duration such as 10s/],
      [["add", "--name", "a", "--every", "5m", "--tz", "Mars/Olympus", "--message", "m"], /--tz: unknown time zone "Mars\/Olympus"/],
      [["add", "--name", "a", "--every", "5m", "--agent", "nobody", "--message", "m"], /--agent: unknown agent "nobody"; configured agents: default, helper/],
      [["add", "--name", "a", "--every", "5m", "--deliver", "somewhere", "--message", "m"], /--deliver: expected none, <channel>:<account>:<peer>/],
      [["add", "--name", "no spaces", "--every", "5m", "--message", "m"], /--name: expected 1-63 letters/],
      [["add", "--name", "morning", "--every", "5m", "--message", "m"], /--name: a schedule named "morning" exists already. Fix:/],
      [["add", "--name", "a", "--every", "5m", "--concurrency", "sometimes", "--message", "m"], /Allowed choices are forbid, allow, replace/],
      [["edit", "morning"], /nothing to change: give at least one flag/],
      [["runs", "morning", "-n", "0"], /--limit must be a whole number from 1 to 500/],
    ];
    for (const [args, message] of cases) {
      const res = await cron(...args);
      expect([args.join(" "), res.code]).toEqual([args.join(" "), 2]);
      expect(res.stderr).toMatch(message);
    }
    expect((await json("list")).schedules).toHaveLength(3);
  }, 120_000);

  it("deletes a schedule; unknown ids are exit 1 with a hint", async () => {
    const rm = await json("rm", "hydrate");
    expect(rm).toMatchObject({ deleted: true, name: "hydrate" });
    for (const args of [["show", "hydrate"], ["rm", "hydrate"], ["suspend", "constructor"], ["runs", "__proto__"]]) {
      const res = await cron(...args);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/no schedule with id or name ".*". See 'pincer cron list'/);
    }
  });

  it("run needs the running gateway and says how to start it", async () => {
    const res = await cron("run", "morning");
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the gateway is not running .*Fix: start it with 'pincer gateway'/);
  });

  it("run asks the running gateway to fire the schedule", async () => {
    const gw = await startGatewayProcess(home);
    try {
      const unknown = await cron("run", "nothing-here");
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/no schedule with id or name "nothing-here"/);
      // Fired by the gateway's scheduler; while it has not started (or in a gateway without it) the gateway says so.
      const res = await cron("run", "morning", "--json");
      if (res.code === 0) expect(JSON.parse(res.stdout)).toMatchObject({ name: "morning", status: expect.stringMatching(/^(started|skipped)$/) });
      else expect([res.code, res.stderr]).toEqual([1, expect.stringContaining("the scheduler does not run in this process")]);
    } finally {
      gw.child.kill("SIGTERM");
      await gw.exited;
    }
  }, 90_000);
});
