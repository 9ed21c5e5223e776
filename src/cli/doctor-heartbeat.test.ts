// `pincer doctor` on the heartbeat: unknown agent (fail), no HEARTBEAT.md, open items counted, a symlink refused (warn).
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../core/config-schema.ts";
import { checkHeartbeat } from "./doctor-heartbeat.ts";

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "pincer-doctor-heartbeat-"));
  await mkdir(join(home, "workspace"));
});
afterEach(() => rm(home, { recursive: true, force: true }));

const NOW = Date.parse("2026-06-01T10:10:00Z");
const config = (heartbeat?: object) => configSchema.parse(heartbeat ? { heartbeat } : {});

describe("doctor: heartbeat", () => {
  it("says nothing when the heartbeat is off, and fails on an unknown agent", async () => {
    expect(await checkHeartbeat(config(), home, {}, NOW)).toEqual([]);
    expect(await checkHeartbeat(config({ agent: "ops" }), home, {}, NOW)).toEqual([
      { name: "heartbeat", status: "fail", detail: 'heartbeat.agent: unknown agent "ops"', fix: "use one of: default, or add agents.ops" },
    ]);
  });

  it("reports the plan, the next tick and the open items of HEARTBEAT.md", async () => {
    const cfg = config({ every: "30m", tz: "UTC" });
    const [missing] = await checkHeartbeat(cfg, home, {}, NOW);
    expect(missing).toMatchObject({ status: "ok", detail: expect.stringContaining("no ") });
    expect(missing!.detail).toContain("so every tick is skipped without a model call");
    await writeFile(join(home, "workspace", "HEARTBEAT.md"), "# Heartbeat\n- [ ] check the build\n- [x] done\nwater the plants\n");
    expect(await checkHeartbeat(cfg, home, {}, NOW)).toEqual([{
      name: "heartbeat", status: "ok",
      detail: "every 30m UTC, agent default, deliver none, next tick 2026-06-01T10:30:00.000Z; HEARTBEAT.md: 2 open item(s) (each tick calls the model)",
    }]);
  });

  it("warns about a HEARTBEAT.md that links out of the workspace", async () => {
    await writeFile(join(home, "elsewhere.md"), "- item\n");
    await symlink(join(home, "elsewhere.md"), join(home, "workspace", "HEARTBEAT.md"));
    const [check] = await checkHeartbeat(config({ every: "1h" }), home, {}, NOW);
    expect(check).toMatchObject({ status: "warn", fix: expect.stringContaining("regular file inside the workspace") });
  });
});
