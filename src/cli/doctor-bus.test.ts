// `pincer doctor` with bus.url set: the bus checks join the report (real NATS on 127.0.0.1:4222; a free port for failure).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, natsUnavailable, SHARED_NATS_URL, skipOrFail } from "../bus/nats-test-server.ts";
import { runChecks } from "./doctor-command.ts";

const reason = await natsUnavailable({ shared: true });

describe("runChecks with bus.url", () => {
  let dir = "";
  const configWith = async (yaml: string) => {
    const file = join(dir, `pincer-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, yaml);
    return file;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pincer-doctor-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("adds no bus lines for the embedded runtime", async () => {
    const checks = await runChecks(await configWith("log:\n  level: silent\n"), { PINCER_HOME: dir });
    expect(checks.some((c) => c.name.startsWith("bus"))).toBe(false);
  });

  it("fails with a fix when bus.url points at a closed port", async () => {
    const port = await freePort();
    const checks = await runChecks(await configWith(`bus:\n  url: nats://127.0.0.1:${port}\n`), { PINCER_HOME: dir });
    expect(checks.find((c) => c.name === "bus")).toEqual({
      name: "bus",
      status: "fail",
      detail: expect.stringContaining(`cannot connect to NATS at nats://127.0.0.1:${port}`),
      fix: "start nats-server with JetStream (nats-server -js), or correct bus.url",
    });
  });

  it.skipIf(skipOrFail(reason))(`reports the shared NATS server and JetStream as ok${reason ? ` (skipped: ${reason})` : ""}`, async () => {
    const checks = await runChecks(await configWith(`instance: doctor-cli\nbus:\n  url: ${SHARED_NATS_URL}\n`), { PINCER_HOME: dir });
    expect(checks.filter((c) => c.name === "bus" || c.name === "jetstream").map((c) => c.status)).toEqual(["ok", "ok"]);
    expect(checks.filter((c) => c.name === "bus stream").map((c) => c.detail)).toEqual([
      "PINCER_doctor-cli does not exist yet; the bus creates it on first start",
      "PINCER_doctor-cli_DLQ does not exist yet; the bus creates it on first start",
    ]);
  });
});
