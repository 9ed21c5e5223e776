// `pincer gateway install | uninstall | status` as a real process, on Linux: HOME and XDG_CONFIG_HOME are temp dirs and a
// fake `systemctl` first on PATH records its arguments, so the real user's systemd is never touched.
import { createServer, type Server } from "node:http";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeHome, REPO_ROOT, TEST_GATEWAY_TOKEN, type Home } from "./harness.ts";

const FAKE_SYSTEMCTL = `#!/bin/sh
echo "$*" >> "$FAKE_SYSTEMCTL_LOG"
if [ -n "$FAKE_SYSTEMCTL_FAIL" ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi
case "$2" in
  is-active) echo active ;;
  is-enabled) echo enabled ;;
esac
`;
const TOKEN = TEST_GATEWAY_TOKEN;

interface ServiceHome {
  home: Home;
  unitFile: string;
  env: Record<string, string>;
  systemctlCalls(): Promise<string[]>;
}

const homes: Home[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await Promise.all(homes.splice(0).map((h) => h.cleanup()));
});

async function serviceHome(): Promise<ServiceHome> {
  const home = await makeHome();
  homes.push(home);
  const bin = join(home.dir, "fake-bin");
  await mkdir(bin);
  await writeFile(join(bin, "systemctl"), FAKE_SYSTEMCTL);
  await chmod(join(bin, "systemctl"), 0o755);
  const log = join(home.dir, "systemctl.log");
  const env = {
    HOME: home.dir,
    XDG_CONFIG_HOME: join(home.dir, "xdg"),
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    FAKE_SYSTEMCTL_LOG: log,
    PINCER_GATEWAY_TOKEN: TOKEN,
  };
  const systemctlCalls = async (): Promise<string[]> => (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean);
  return { home, unitFile: join(home.dir, "xdg/systemd/user/pincer-gateway.service"), env, systemctlCalls };
}

/** A loopback stand-in for a running gateway's /healthz. */
async function startHealthz(): Promise<number> {
  const server = createServer((req, res) => res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "application/json" }).end('{"ok":true}'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

// systemd is the Linux path; the launchd path is covered by src/gateway/service-install.test.ts with an injected platform.
describe.skipIf(process.platform !== "linux")("pincer gateway install | uninstall | status (Linux)", () => {
  it("install --no-start writes a token-free unit, is idempotent, and refuses a differing unit without --force", async () => {
    const s = await serviceHome();
    const config = await s.home.writeConfig("gateway:\n  port: 18899\n");
    const first = await s.home.cli(["gateway", "install", "--no-start", "-c", config], { env: s.env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`installed ${s.unitFile} (not started`);
    const unit = await readFile(s.unitFile, "utf8");
    expect(unit).toContain(`ExecStart=${process.execPath} --max-semi-space-size=8 ${join(REPO_ROOT, "bin/pincer.js")} gateway --shutdown-deadline 10000 --config ${config}\n`);
    expect(unit).toContain(`Environment=PINCER_HOME=${s.home.dir}\n`);
    expect(unit).toContain("Environment=MALLOC_ARENA_MAX=2\nEnvironment=MALLOC_MMAP_THRESHOLD_=32768\n");
    expect(unit).toContain(`EnvironmentFile=-${s.home.dir}/gateway.env\n`);
    const created = /created a gateway token.*\n {2}(\S+)/.exec(first.stderr)?.[1];
    expect(created).toMatch(/^pgw_/);
    expect(unit).not.toContain(TOKEN);
    expect(unit).not.toContain(created);
    expect((await stat(s.unitFile)).mode & 0o777).toBe(0o644);
    expect(await s.systemctlCalls()).toEqual([]);

    const again = await s.home.cli(["gateway", "install", "--no-start", "-c", config], { env: s.env });
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining(`already installed: ${s.unitFile}`)]);
    expect(again.stderr).not.toContain("created a gateway token");

    const changed = await s.home.cli(["gateway", "install", "--no-start", "--shutdown-deadline", "30000", "-c", config], { env: s.env });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(`error: ${s.unitFile} exists and differs from what would be written now`);
    const forced = await s.home.cli(["gateway", "install", "--no-start", "--force", "--shutdown-deadline", "30000", "-c", config], { env: s.env });
    expect([forced.code, forced.stdout]).toEqual([0, expect.stringContaining(`updated ${s.unitFile}`)]);
    expect(await readFile(s.unitFile, "utf8")).toContain("TimeoutStopSec=35\n");
  });

  it("writes PINCER_NODE_OPTIONS, when set at install, in place of the default Node flags", async () => {
    const s = await serviceHome();
    const result = await s.home.cli(["gateway", "install", "--no-start"], { env: { ...s.env, PINCER_NODE_OPTIONS: "--max-semi-space-size=16 --max-old-space-size=512" } });
    expect(result.code).toBe(0);
    expect(await readFile(s.unitFile, "utf8")).toContain(`ExecStart=${process.execPath} --max-semi-space-size=16 --max-old-space-size=512 ${join(REPO_ROOT, "bin/pincer.js")} gateway`);
  });

  it("when systemd cannot be reached, keeps the unit and exits 1 with the commands to run by hand", async () => {
    const s = await serviceHome();
    const result = await s.home.cli(["gateway", "install"], { env: { ...s.env, FAKE_SYSTEMCTL_FAIL: "1" } });
    expect(result.code).toBe(1);
    const errorLines = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
    expect(errorLines).toEqual([
      `error: wrote ${s.unitFile}, but 'systemctl --user daemon-reload' failed: Failed to connect to bus: No medium found. Fix: run 'systemctl --user daemon-reload && systemctl --user enable --now pincer-gateway.service' in a login session of this user; where there is no systemd user session (containers, CI), run 'pincer gateway' directly instead (see docs/deploy.md)`,
    ]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect((await stat(s.unitFile)).isFile()).toBe(true);
  });

  it("install enables and starts through systemctl, status --json reports it, uninstall removes it twice over", async () => {
    const s = await serviceHome();
    const installed = await s.home.cli(["gateway", "install"], { env: s.env });
    expect(installed.code).toBe(0);
    expect(installed.stdout).toContain("pincer-gateway.service is enabled and running");
    expect(await s.systemctlCalls()).toEqual(["--user daemon-reload", "--user enable --now pincer-gateway.service"]);

    const port = await startHealthz();
    const status = await s.home.cli(["gateway", "status", "--json"], { env: { ...s.env, PORT: String(port) } });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      manager: "systemd",
      file: s.unitFile,
      installed: true,
      upToDate: true,
      active: "active",
      enabled: "enabled",
      health: { url: `http://127.0.0.1:${port}/healthz`, ok: true },
      config: { ok: true },
    });

    const removed = await s.home.cli(["gateway", "uninstall"], { env: s.env });
    expect([removed.code, removed.stdout]).toEqual([0, expect.stringContaining(`removed ${s.unitFile}`)]);
    expect((await s.systemctlCalls()).slice(-2)).toEqual(["--user disable --now pincer-gateway.service", "--user daemon-reload"]);
    await expect(stat(s.unitFile)).rejects.toMatchObject({ code: "ENOENT" });
    const again = await s.home.cli(["gateway", "uninstall"], { env: s.env });
    expect([again.code, again.stdout]).toEqual([0, `not installed (no ${s.unitFile})\n`]);
  });
});
