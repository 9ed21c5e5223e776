// `pincer doctor` for exec: who sandboxed commands run as, their limits, and safe_bins that run arbitrary code.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policySchema } from "../core/config-schema.ts";
import { checkConfinement } from "../sandbox/sandbox-doctor.ts";
import { runChecks } from "./doctor-command.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pincer-doctor-sbx-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const exec = policySchema.parse({}).exec;
const helpers = { prlimit: "/usr/bin/prlimit", setpriv: "/usr/bin/setpriv" };

describe("doctor: exec confinement", () => {
  it("warns when the gateway runs as root and says who commands run as", async () => {
    const [user] = await checkConfinement({ exec, workspaces: [join(dir, "not-yet")], gatewayUid: 0, helpers });
    expect(user).toMatchObject({ name: "sandbox user", status: "warn", fix: expect.stringContaining("unprivileged user") });
    expect(user!.detail).toBe(
      `pincer runs as root. Sandboxed commands never do: ${join(dir, "not-yet")}: as nobody (65534), which can only read what is world-readable there`,
    );
  });

  it("says root stays root to the kernel when setpriv is missing", async () => {
    const [user] = await checkConfinement({ exec, workspaces: [], gatewayUid: 0, helpers: { prlimit: "/usr/bin/prlimit" } });
    expect(user!.detail).toContain("the host kernel still sees root, and the process limit does not apply");
  });

  it("shows the limits, or warns that they are not applied without prlimit", async () => {
    const [user, limits] = await checkConfinement({ exec, workspaces: [], gatewayUid: 1000, helpers });
    expect(user).toMatchObject({ status: "ok", detail: "commands run as uid 1000, the gateway's own user, without capabilities" });
    expect(limits).toEqual({
      name: "exec limits",
      status: "ok",
      detail: "per process 1024 MiB memory, 1024 MiB per file, 60 s CPU, 1024 open files; 256 processes per user (policy.exec.limits)",
    });
    const [, missing] = await checkConfinement({ exec, workspaces: [], gatewayUid: 1000, helpers: {} });
    expect(missing).toMatchObject({ status: "warn", detail: "prlimit (util-linux) not found: policy.exec.limits are not applied" });
  });

  it("warns about safe_bins that run arbitrary code, and not about the defaults", async () => {
    const file = join(dir, "pincer.yaml");
    await writeFile(file, "policy:\n  exec:\n    safe_bins: [ls, python3, find, xargs]\n");
    const warned = (await runChecks(file, { PINCER_HOME: dir })).find((c) => c.name === "safe_bins");
    expect(warned).toMatchObject({ status: "warn", fix: expect.stringContaining("remove them") });
    expect(warned!.detail).toMatch(/^policy.exec.safe_bins lists python3, find, xargs: they run other programs or arbitrary code inside the sandbox/);
    await writeFile(file, "policy:\n  exec: {}\n");
    expect((await runChecks(file, { PINCER_HOME: dir })).find((c) => c.name === "safe_bins")).toBeUndefined();
  });
});
