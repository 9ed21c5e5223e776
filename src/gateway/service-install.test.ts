// install / uninstall / status of the gateway service against a temp home, a scripted command runner and a fake fetch.
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createExecRunner,
  healthUrlFor,
  installService,
  locateService,
  probeHealth,
  readServiceStatus,
  uninstallService,
  type CommandResult,
  type CommandRunner,
  type ServiceHost,
} from "./service-install.ts";
import { renderLaunchdPlist, renderSystemdUnit, type ServiceSpec } from "./service-unit.ts";

const homes: string[] = [];
afterEach(async () => {
  await Promise.all(homes.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

type Script = (argv: string[]) => Partial<CommandResult> | undefined;

/** A runner that records every argv and answers from `script` (default: success, no output). */
function fakeRunner(script: Script = () => undefined): { run: CommandRunner; calls: string[][] } {
  const calls: string[][] = [];
  const run: CommandRunner = async (file, args) => {
    const argv = [file, ...args];
    calls.push(argv);
    return { code: 0, stdout: "", stderr: "", ...script(argv) };
  };
  return { run, calls };
}

async function makeHost(platform: NodeJS.Platform, script?: Script): Promise<{ host: ServiceHost; calls: string[][]; home: string }> {
  const home = await mkdtemp(join(tmpdir(), "pincer-service-"));
  homes.push(home);
  const { run, calls } = fakeRunner(script);
  return { host: { platform, home, env: {}, uid: 501, run }, calls, home };
}

function specFor(home: string, overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    nodePath: "/opt/node/bin/node",
    nodeFlags: ["--max-semi-space-size=8"],
    entryPath: "/opt/pincer/bin/pincer.js",
    args: ["gateway", "--shutdown-deadline", "10000"],
    env: {},
    stateDir: join(home, ".pincer"),
    stopTimeoutSec: 15,
    ...overrides,
  };
}

const okFetch: typeof fetch = async () => Response.json({ ok: true });
const NO_BUS = { code: 1, stderr: "Failed to connect to bus: No medium found\n" };

describe("locateService", () => {
  it("puts the systemd unit under XDG_CONFIG_HOME, else ~/.config, and the launchd plist under ~/Library", async () => {
    const { host } = await makeHost("linux");
    expect(locateService(host).file).toBe(join(host.home, ".config/systemd/user/pincer-gateway.service"));
    expect(locateService({ ...host, env: { XDG_CONFIG_HOME: "/xdg" } }).file).toBe("/xdg/systemd/user/pincer-gateway.service");
    expect(locateService({ ...host, platform: "darwin" })).toEqual({ manager: "launchd", file: join(host.home, "Library/LaunchAgents/ai.pincer.gateway.plist"), name: "ai.pincer.gateway" });
  });

  it("refuses other platforms, naming the supported ones", async () => {
    const { host } = await makeHost("win32");
    expect(() => locateService(host)).toThrow(
      "'pincer gateway install' supports Linux (systemd user unit) and macOS (launchd agent), not win32. Fix: run 'pincer gateway' under your platform's service manager yourself (see docs/deploy.md)",
    );
  });
});

describe("installService on Linux", () => {
  it("writes the unit with mode 0644, reloads systemd and enables it with --now", async () => {
    const { host, calls, home } = await makeHost("linux");
    const result = await installService(host, specFor(home));
    expect(result).toMatchObject({ file: "created", started: true });
    expect(await readFile(result.target.file, "utf8")).toBe(renderSystemdUnit(specFor(home)));
    expect((await stat(result.target.file)).mode & 0o777).toBe(0o644);
    expect(calls).toEqual([
      ["systemctl", "--user", "daemon-reload"],
      ["systemctl", "--user", "enable", "--now", "pincer-gateway.service"],
    ]);
  });

  it("writes the file only when start is false", async () => {
    const { host, calls, home } = await makeHost("linux");
    expect(await installService(host, specFor(home), { start: false })).toMatchObject({ file: "created", started: false });
    expect(calls).toEqual([]);
  });

  it("keeps the file and names the commands to run by hand when systemd cannot be reached", async () => {
    const { host, home } = await makeHost("linux", () => NO_BUS);
    const file = locateService(host).file;
    await expect(installService(host, specFor(home))).rejects.toMatchObject({
      code: "activation_failed",
      message: `wrote ${file}, but 'systemctl --user daemon-reload' failed: Failed to connect to bus: No medium found. Fix: run 'systemctl --user daemon-reload && systemctl --user enable --now pincer-gateway.service' in a login session of this user; where there is no systemd user session (containers, CI), run 'pincer gateway' directly instead (see docs/deploy.md)`,
    });
    expect(await readFile(file, "utf8")).toBe(renderSystemdUnit(specFor(home)));
  });

  it("is idempotent for identical content and does not restart a running service", async () => {
    const { host, calls, home } = await makeHost("linux");
    await installService(host, specFor(home));
    calls.length = 0;
    expect(await installService(host, specFor(home))).toMatchObject({ file: "unchanged", started: true });
    expect(calls.map((argv) => argv.slice(2).join(" "))).toEqual(["daemon-reload", "enable --now pincer-gateway.service"]);
  });

  it("refuses to replace a differing unit without force, and restarts the service when forced", async () => {
    const { host, calls, home } = await makeHost("linux");
    const { target } = await installService(host, specFor(home), { start: false });
    await writeFile(target.file, "[Service]\nExecStart=/somewhere/else\n");
    await expect(installService(host, specFor(home))).rejects.toMatchObject({ code: "file_differs", message: expect.stringContaining("--force") });
    expect(await readFile(target.file, "utf8")).toBe("[Service]\nExecStart=/somewhere/else\n");
    expect(await installService(host, specFor(home), { force: true })).toMatchObject({ file: "updated", started: true });
    expect(await readFile(target.file, "utf8")).toBe(renderSystemdUnit(specFor(home)));
    expect(calls.map((argv) => argv.slice(2).join(" "))).toEqual(["daemon-reload", "enable pincer-gateway.service", "restart pincer-gateway.service"]);
  });
});

describe("uninstallService on Linux", () => {
  it("disables with --now, removes the unit and reloads; a second run says not installed", async () => {
    const { host, calls, home } = await makeHost("linux");
    const { target } = await installService(host, specFor(home), { start: false });
    expect(await uninstallService(host)).toMatchObject({ removed: true });
    expect(calls).toEqual([
      ["systemctl", "--user", "disable", "--now", "pincer-gateway.service"],
      ["systemctl", "--user", "daemon-reload"],
    ]);
    await expect(stat(target.file)).rejects.toMatchObject({ code: "ENOENT" });
    calls.length = 0;
    expect(await uninstallService(host)).toMatchObject({ removed: false });
    expect(calls).toEqual([]);
  });

  it("keeps the unit when systemd cannot stop it, unless forced", async () => {
    const { host, home } = await makeHost("linux", () => NO_BUS);
    const { target } = await installService(host, specFor(home), { start: false });
    await expect(uninstallService(host)).rejects.toMatchObject({
      code: "deactivation_failed",
      message: `'systemctl --user disable --now pincer-gateway.service' failed: Failed to connect to bus: No medium found; ${target.file} is left in place. Fix: run 'systemctl --user disable --now pincer-gateway.service' in a login session of this user, or 'pincer gateway uninstall --force' to remove the file anyway`,
    });
    expect((await stat(target.file)).isFile()).toBe(true);
    expect(await uninstallService(host, { force: true })).toMatchObject({ removed: true, warning: expect.stringContaining("removed anyway") });
  });

  it("removes the unit when systemctl does not exist at all", async () => {
    const { host, home } = await makeHost("linux", () => ({ code: -1, error: "not_found" }));
    await installService(host, specFor(home), { start: false });
    expect(await uninstallService(host)).toEqual({ target: locateService(host), removed: true });
  });
});

describe("the launchd agent on macOS", () => {
  const notLoaded = (argv: string[]): Partial<CommandResult> | undefined => (argv[1] === "print" ? { code: 113, stderr: "Could not find service" } : undefined);

  it("bootstraps a new agent in the user's GUI domain and creates the log folder", async () => {
    const { host, calls, home } = await makeHost("darwin", notLoaded);
    const { target } = await installService(host, specFor(home));
    expect(await readFile(target.file, "utf8")).toBe(renderLaunchdPlist(specFor(home)));
    expect((await stat(join(home, ".pincer/logs"))).isDirectory()).toBe(true);
    expect(calls).toEqual([
      ["launchctl", "print", "gui/501/ai.pincer.gateway"],
      ["launchctl", "enable", "gui/501/ai.pincer.gateway"],
      ["launchctl", "bootstrap", "gui/501", target.file],
    ]);
  });

  it("boots a loaded agent out before loading the changed plist, and boots it out on uninstall", async () => {
    const { host, calls, home } = await makeHost("darwin");
    await installService(host, specFor(home), { start: false });
    await installService(host, specFor(home, { stopTimeoutSec: 35 }), { force: true });
    expect(calls.map((argv) => argv[1])).toEqual(["print", "bootout", "enable", "bootstrap"]);
    calls.length = 0;
    expect(await uninstallService(host)).toMatchObject({ removed: true });
    expect(calls).toEqual([
      ["launchctl", "print", "gui/501/ai.pincer.gateway"],
      ["launchctl", "bootout", "gui/501/ai.pincer.gateway"],
    ]);
  });

  it("leaves a loaded agent with unchanged content alone", async () => {
    const { host, calls, home } = await makeHost("darwin");
    await installService(host, specFor(home), { start: false });
    expect(await installService(host, specFor(home))).toMatchObject({ file: "unchanged", started: true });
    expect(calls.map((argv) => argv[1])).toEqual(["print"]);
  });
});

describe("readServiceStatus", () => {
  it("reports the file, whether it is up to date, systemd's view and /healthz", async () => {
    const words: Record<string, string> = { "is-active": "active\n", "is-enabled": "enabled\n" };
    const { host, home } = await makeHost("linux", (argv) => ({ stdout: words[argv[2]!] ?? "" }));
    const { target } = await installService(host, specFor(home), { start: false });
    const status = await readServiceStatus(host, specFor(home), { healthUrl: "http://127.0.0.1:18790/healthz", fetch: okFetch });
    expect(status).toEqual({
      platform: "linux",
      manager: "systemd",
      file: target.file,
      installed: true,
      upToDate: true,
      active: "active",
      enabled: "enabled",
      health: { url: "http://127.0.0.1:18790/healthz", ok: true },
    });
    expect(await readServiceStatus(host, specFor(home, { args: ["gateway", "--port", "9"] }), { healthUrl: "http://x/healthz", fetch: okFetch })).toMatchObject({ upToDate: false });
  });

  it("says why systemd could not be asked, and null when nothing is installed", async () => {
    const { host, home } = await makeHost("linux", () => NO_BUS);
    const status = await readServiceStatus(host, specFor(home), { healthUrl: "http://127.0.0.1:1/healthz", fetch: okFetch });
    expect(status).toMatchObject({ installed: false, upToDate: null, active: null, enabled: null, managerError: "Failed to connect to bus: No medium found" });
  });

  it("reads launchd's job state", async () => {
    const { host, home } = await makeHost("darwin", () => ({ stdout: "gui/501/ai.pincer.gateway = {\n\tactive count = 1\n\tstate = running\n" }));
    expect(await readServiceStatus(host, specFor(home), { healthUrl: "http://x/healthz", fetch: okFetch })).toMatchObject({ active: "running", enabled: null });
  });
});

describe("the health probe", () => {
  it("probes wildcard binds on loopback", () => {
    expect(healthUrlFor({ host: "0.0.0.0", port: 8080, loopback: false })).toBe("http://127.0.0.1:8080/healthz");
    expect(healthUrlFor({ host: "::1", port: 8080, loopback: true })).toBe("http://[::1]:8080/healthz");
  });

  it("is ok only for 200 with {ok: true}, and says why otherwise", async () => {
    const refused: typeof fetch = async () => {
      throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
    };
    expect(await probeHealth("http://h/healthz", async () => Response.json({ ok: true }, { status: 503 }))).toEqual({ url: "http://h/healthz", ok: false, error: "answered HTTP 503 (not a pincer gateway?)" });
    expect(await probeHealth("http://h/healthz", refused)).toEqual({ url: "http://h/healthz", ok: false, error: "connection refused (not running?)" });
  });
});

describe("createExecRunner", () => {
  it("returns exit code and output without a shell, and not_found for a missing program", async () => {
    const run = createExecRunner({ timeoutMs: 10_000 });
    expect(await run(process.execPath, ["-e", "process.stdout.write('a b');process.exit(3)"])).toEqual({ code: 3, stdout: "a b", stderr: "" });
    expect(await run("pincer-no-such-program", [])).toMatchObject({ code: -1, error: "not_found" });
  });
});
