// First-run failure paths through the real CLI: a state dir that cannot be written is one clear error (exit 78) in
// every command, doctor included; a first gateway start that fails leaves no token behind, and the next start shows
// a working Control UI link.
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fakeProviderConfig, REPO_ROOT, runCli, startGatewayProcess, until, useCliFixture, type CliResult } from "./harness.ts";

const fx = useCliFixture();
const CLI = join(REPO_ROOT, "src/cli/main.ts");

/** Commands that open the state dir, with the arguments that get them there. */
const COMMANDS: string[][] = [
  ["run", "hi"],
  ["gateway", "--port", "0"],
  ["sessions", "list"],
  ["onboard", "--non-interactive", "--provider", "ollama", "--model", "llama3.2", "--skip-test"],
  ["auth", "set", "openai", "--from-env", "SOME_KEY"],
  ["gateway", "token", "--rotate"],
];

describe("a state dir that cannot be written", () => {
  it("is one clear error naming the path and the fix in every command when part of its path is a file", async () => {
    const root = await mkdtemp(join(tmpdir(), "pincer-e2e-"));
    try {
      await writeFile(join(root, "file"), "not a folder");
      const stateDir = join(root, "file", "state");
      const config = join(root, "pincer.yaml");
      await writeFile(config, fakeProviderConfig(fx.fake.baseURL));
      const expected = `error: ${stateDir}: the state dir cannot be created: part of ${stateDir} is a file, not a folder. Fix: move that file out of the way, or set PINCER_HOME to a folder this user can write\n`;
      const results = await Promise.all(COMMANDS.map(async (args) => ({ args, r: await runCli(["--config", config, ...args], { PINCER_HOME: stateDir, SOME_KEY: "sk-test" }) })));
      for (const { args, r } of results) expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 78, stderr: expected });
      // Without --config the default file's folder is the broken state dir: the same error, not "cannot read the file".
      expect((await runCli(["run", "hi"], { PINCER_HOME: stateDir })).stderr).toBe(expected);

      const doctor = await runCli(["--config", config, "doctor", "--json"], { PINCER_HOME: stateDir });
      const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string; detail: string; fix?: string }> }).checks;
      const fix = "move that file out of the way, or set PINCER_HOME to a folder this user can write";
      expect(checks.find((c) => c.name === "state dir")).toEqual({ name: "state dir", status: "fail", detail: `${stateDir}: the state dir cannot be created: part of ${stateDir} is a file, not a folder`, fix });
      expect(checks.find((c) => c.name === "store")).toEqual({ name: "store", status: "fail", detail: `${join(stateDir, "pincer.db")} cannot be created or opened: the state dir is not usable`, fix });
      expect(doctor.code).toBe(1);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  // As root every mode bit is ignored, so the real permission case runs the CLI as `nobody` (setpriv, util-linux).
  const asNobody = process.getuid?.() === 0 && existsSync("/usr/bin/setpriv");
  it.skipIf(!asNobody)("is the same clear error when the user may not write it (EACCES), doctor agreeing", async () => {
    const root = await mkdtemp(join(tmpdir(), "pincer-e2e-"));
    try {
      await chmod(root, 0o755);
      const stateDir = join(root, "state");
      await mkdir(stateDir, { mode: 0o755 }); // root's, readable but not writable by nobody
      await writeFile(join(stateDir, "pincer.yaml"), fakeProviderConfig(fx.fake.baseURL), { mode: 0o644 });
      const expected = `error: ${stateDir}: this user (nobody) may not write the state dir (permission denied). Fix: give it the folder ('sudo chown -R nobody ${stateDir}'), or set PINCER_HOME to a folder this user can write\n`;
      const results = await Promise.all(COMMANDS.map(async (args) => ({ args, r: await runAsNobody(args, { PINCER_HOME: stateDir, SOME_KEY: "sk-test" }) })));
      for (const { args, r } of results) expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 78, stderr: expected });
      const set = await runAsNobody(["config", "set", "gateway.port", "9100"], { PINCER_HOME: stateDir });
      expect(set.stderr).toBe(
        `error: ${join(stateDir, "pincer.yaml")}: this user (nobody) may not write the folder of pincer.yaml (permission denied). Fix: give it the folder ('sudo chown -R nobody ${stateDir}'), or set PINCER_HOME (or --config) to a folder this user can write\n`,
      );
      expect(set.code).toBe(78);
      const doctor = await runAsNobody(["doctor"], { PINCER_HOME: stateDir });
      expect(doctor.stdout).toContain(`✗ state dir    ${stateDir}: this user (nobody) may not write the state dir (permission denied)`);
      expect(doctor.stdout).toContain(`✗ store        ${join(stateDir, "pincer.db")} cannot be created or opened: the state dir is not usable`);
      expect(doctor.stdout).not.toContain("will be created on first use");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("the first gateway start", () => {
  it("creates no token when it fails to listen; the next start stores one and prints a link that works", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const busy = await listenOnFreePort();
    try {
      const port = String((busy.address() as { port: number }).port);
      const failed = await home.cli(["gateway", "--port", port]);
      expect(failed.code).toBe(78);
      expect(failed.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
      expect(failed.stderr).not.toContain("token");
      expect(existsSync(join(home.dir, "gateway-token.json"))).toBe(false);
    } finally {
      busy.close();
    }

    const gw = await startGatewayProcess(home, "", { env: { PINCER_LOG_LEVEL: "warn" } });
    try {
      const link = await until("the Control UI link", () => new RegExp(`Control UI: ${gw.url.replace(/[.]/g, "\\.")}/#token=(pgw_[A-Za-z0-9_-]+)`).exec(gw.output()) ?? undefined);
      expect(gw.output()).toContain("created a gateway token (shown once;");
      expect(existsSync(join(home.dir, "gateway-token.json"))).toBe(true);
      const res = await fetch(`${gw.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${decodeURIComponent(link[1]!)}` } });
      expect(res.status).toBe(200);
    } finally {
      gw.child.kill("SIGTERM");
      await gw.exited;
    }
  });
});

// The machine's own Node, when it is older than Pincer needs (the project's npm scripts bring Node 24).
const OLD_NODE = ["/usr/bin/node", "/usr/local/bin/node"].find((path) => {
  if (!existsSync(path)) return false;
  const [major = 0, minor = 0] = execFileSync(path, ["-p", "process.versions.node"], { encoding: "utf8" }).trim().split(".").map(Number);
  return major < 22 || (major === 22 && minor < 16);
});

describe("the installed command on an older Node", () => {
  it.skipIf(!OLD_NODE)("refuses to start, with the version it needs and the fix, exit 78", async () => {
    const r = await new Promise<CliResult>((resolve) => {
      const child = spawn(OLD_NODE!, [join(REPO_ROOT, "bin/pincer.js"), "--version"], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/^error: pincer needs Node\.js 22\.16 or newer \(it keeps its data with node:sqlite\); this is v\d+\.\d+\.\d+\. Fix: install Node\.js 24 LTS, or run it through the project's npm scripts/);
  });
});

function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

function runAsNobody(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
