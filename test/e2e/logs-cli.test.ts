// `pincer logs` through the real binary: the gateway's log file (written whether or not it runs as a service) read
// with the gateway down, filters, JSON output, `-f` picking up new lines across a rotation, and its usage errors.
import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fakeProviderConfig, REPO_ROOT, startGatewayProcess, useCliFixture } from "./harness.ts";

const fx = useCliFixture();
const CLI = join(REPO_ROOT, "src/cli/main.ts");
const line = (level: number, msg: string, time = Date.now()): string => `${JSON.stringify({ level, time, pid: 1, msg })}\n`;

describe("pincer logs", () => {
  it("reads the log file the gateway wrote (0600, redacted JSON), after the gateway stopped, filtered by level", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const gw = await startGatewayProcess(home);
    // A wrong token is logged at warn once the address is locked out (after 5 failures).
    for (let i = 0; i < 6; i++) await fetch(`${gw.url}/api/v1/status`, { headers: { authorization: "Bearer wrong-token-sk-ant-api03-SECRETSECRETSECRET" } });
    gw.child.kill("SIGTERM");
    expect(await gw.exited).toBe(0);

    const file = join(home.dir, "logs", "gateway.log");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const pretty = await home.cli(["logs"]);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/^\d\d:\d\d:\d\d INFO {2}\[gateway\] gateway listening host=127\.0\.0\.1 port=\d+$/m);
    expect(pretty.stdout).toContain("gateway stopped");

    const json = await home.cli(["logs", "--json", "--level", "warn"]);
    const records = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(records.map((r) => r.msg)).toContain("failed authentication: client locked out");
    expect(records.every((r) => r.level >= 40)).toBe(true);
    expect(json.stdout).not.toContain("SECRETSECRET");

    const none = await home.cli(["logs", "--since", "2000-01-01", "--grep", "no line says this"]);
    expect(none).toMatchObject({ code: 0, stdout: "" });
  });

  it("-f prints new lines as they are written and follows the file across a rotation until interrupted", async () => {
    const home = await fx.home();
    const file = join(home.dir, "logs", "gateway.log");
    mkdirSync(join(home.dir, "logs"));
    writeFileSync(file, line(30, "old line one") + line(30, "old line two"));
    const child = spawn(process.execPath, [CLI, "logs", "-f", "--json", "-n", "1"], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home.dir, PINCER_HOME: home.dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const msgs = (): string[] => stdout.trim().split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
    try {
      await expect.poll(() => stderr, { timeout: 20_000 }).toContain("following");
      expect(msgs()).toEqual(["old line two"]);
      appendFileSync(file, line(50, "new error"));
      await expect.poll(msgs, { timeout: 10_000 }).toEqual(["old line two", "new error"]);
      appendFileSync(file, line(30, "last words of the old file"));
      renameSync(file, `${file}.1`);
      writeFileSync(file, line(30, "first line after rotation"));
      await expect.poll(msgs, { timeout: 10_000 }).toEqual(["old line two", "new error", "last words of the old file", "first line after rotation"]);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
  });

  it("says where the log would be when there is none, and refuses bad options with exit 2", async () => {
    const home = await fx.home();
    const missing = await home.cli(["logs"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: no gateway log at ${join(home.dir, "logs", "gateway.log")} yet: the gateway writes it while it runs. Fix: start it with 'pincer gateway' (or 'pincer gateway install')\n`);
    expect((await home.cli(["logs", "--since", "yesterday-ish"])).code).toBe(2);
    expect((await home.cli(["logs", "--level", "loud"])).code).toBe(2);
    expect((await home.cli(["logs", "-n", "0"])).code).toBe(2);
  });
});
