// `pincer doctor` on the gateway's log file: not there yet, present with its size across rotations, and not a file.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runChecks } from "./doctor-command.ts";
import { checkLogFile } from "./doctor-logs.ts";

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "pincer-doctor-logs-"));
});
afterEach(() => rm(home, { recursive: true, force: true }));

describe("doctor: log file", () => {
  it("is ok before the gateway ever ran, and is part of runChecks", async () => {
    const path = join(home, "logs", "gateway.log");
    expect(await checkLogFile(home)).toEqual({ name: "log file", status: "ok", detail: `${path} will be created when the gateway starts` });
    expect((await runChecks(undefined, { PINCER_HOME: home, HOME: home })).find((c) => c.name === "log file")?.status).toBe("ok");
  });

  it("reports the size of the file and of its rotations", async () => {
    const path = join(home, "logs", "gateway.log");
    await mkdir(join(home, "logs"));
    await writeFile(path, "x".repeat(3_000));
    await writeFile(`${path}.1`, "x".repeat(2 * 1024 * 1024));
    expect(await checkLogFile(home)).toEqual({ name: "log file", status: "ok", detail: `${path}: 3 KiB (2.0 MiB in 2 files), writable; 'pincer logs' shows it` });
  });

  it("fails when something else is in the file's place", async () => {
    await mkdir(join(home, "logs", "gateway.log"), { recursive: true });
    expect(await checkLogFile(home)).toMatchObject({ status: "fail", detail: expect.stringContaining("is not a file"), fix: expect.stringContaining("remove or rename") });
  });
});
