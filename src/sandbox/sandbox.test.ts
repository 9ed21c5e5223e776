// Contract suite run against both Sandbox implementations, plus bubblewrap-only isolation checks.
import { createServer, type Server } from "node:net";
import { mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBubblewrapSandbox, buildBwrapArgs } from "./bubblewrap-sandbox.ts";
import { createSandbox, detectBubblewrap } from "./detect.ts";
import { createHostSandbox } from "./host-sandbox.ts";
import type { ExecOptions, Sandbox } from "./sandbox.ts";

const detection = await detectBubblewrap();
// CI installs bubblewrap (.ci/run): there a missing sandbox is a failure, not a reason to skip.
if (process.env.CI && !detection.available) throw new Error(`bubblewrap is required in CI: ${detection.reason}`);

function describeSandbox(label: string, make: () => Sandbox, skipReason?: string): void {
  describe.skipIf(skipReason !== undefined)(`Sandbox contract: ${label}${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
    let ws: string;
    const sandbox = skipReason ? undefined : make();
    const run = (argv: string[], more: Partial<ExecOptions> = {}) =>
      sandbox!.exec({ argv, cwd: ws, workspace: ws, timeoutMs: 10_000, outputCapBytes: 64 * 1024, network: false, ...more });

    beforeAll(async () => {
      ws = await realpath(await mkdtemp(join(tmpdir(), "pincer-sbx-")));
    });
    afterAll(() => rm(ws, { recursive: true, force: true }));

    it("runs a program and collects stdout", async () => {
      const r = await run(["echo", "hi"]);
      expect(r).toMatchObject({ exitCode: 0, stdout: "hi\n", truncated: false, timedOut: false });
    });

    it("resolves (never throws) for a non-zero exit and a missing program", async () => {
      expect((await run(["false"])).exitCode).toBe(1);
      expect((await run(["no-such-program-pincer"])).exitCode).not.toBe(0);
    });

    it("writes inside the workspace and starts there with HOME = workspace", async () => {
      await run(["touch", "made-here"]);
      expect(await readFile(join(ws, "made-here"), "utf8")).toBe("");
      expect((await run(["pwd"])).stdout.trim()).toBe(ws);
      expect((await run(["printenv", "HOME"])).stdout.trim()).toBe(ws);
    });

    it("passes stdin and leaves other env vars out", async () => {
      expect((await run(["cat"], { stdin: "abc" })).stdout).toBe("abc");
      expect((await run(["printenv", "USER"])).stdout).toBe("");
    });

    it("kills the process group on timeout", async () => {
      const r = await run(["sleep", "5"], { timeoutMs: 200 });
      expect(r.timedOut).toBe(true);
      expect(r.exitCode === 0).toBe(false);
      expect(r.durationMs).toBeLessThan(3_000);
    });

    it("kills on abort", async () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const r = await run(["sleep", "5"], { signal: ac.signal });
      expect(r.exitCode === 0).toBe(false);
      expect(r.durationMs).toBeLessThan(3_000);
    });

    it("caps collected output and marks it truncated", async () => {
      const r = await run(["head", "-c", "200000", "/dev/zero"], { outputCapBytes: 1000 });
      expect(r.truncated).toBe(true);
      expect(r.stdout.length).toBe(1000);
      expect(r.exitCode).toBe(0);
    });

    it("rejects a cwd outside the workspace", async () => {
      await expect(run(["pwd"], { cwd: "/" })).rejects.toThrow(/outside the workspace/);
    });
  });
}

describeSandbox("host", () => createHostSandbox());
describeSandbox("bubblewrap", () => createBubblewrapSandbox({ bwrapPath: detection.path ?? "" }), detection.available ? undefined : detection.reason);

describe.skipIf(!detection.available)("bubblewrap isolation", () => {
  let ws: string;
  let outside: string;
  let server: Server;
  let port = 0;
  // Our node binary lives outside the system dirs, so expose its folder read-only for these probes.
  const sandbox = createBubblewrapSandbox({ bwrapPath: detection.path ?? "", extraReadOnly: [dirname(process.execPath)] });
  const connectProbe = () => `require("net").connect(${port},"127.0.0.1").on("connect",()=>process.exit(0)).on("error",()=>process.exit(3))`;
  const run = (argv: string[], network = false) =>
    sandbox.exec({ argv, cwd: ws, workspace: ws, timeoutMs: 10_000, outputCapBytes: 64 * 1024, network });

  beforeAll(async () => {
    ws = await realpath(await mkdtemp(join(tmpdir(), "pincer-sbx-")));
    outside = await realpath(await mkdtemp(join(tmpdir(), "pincer-outside-")));
    await writeFile(join(outside, "secret.txt"), "s3cret");
    server = createServer((s) => s.end());
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.close();
    await rm(ws, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it("cannot reach a host loopback server without network, can with it", async () => {
    expect((await run([process.execPath, "-e", connectProbe()])).exitCode).toBe(3);
    expect((await run([process.execPath, "-e", connectProbe()], true)).exitCode).toBe(0);
  });

  it("does not see host files outside the workspace and system dirs", async () => {
    const r = await run(["cat", join(outside, "secret.txt")]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toBe("");
  });

  it("cannot write to system dirs", async () => {
    expect((await run(["touch", "/usr/pincer-probe"])).exitCode).not.toBe(0);
  });
});

describe("buildBwrapArgs", () => {
  const opts: ExecOptions = { argv: ["ls", "-l"], cwd: "/w/sub", workspace: "/w", timeoutMs: 1, outputCapBytes: 1, network: false };

  it("binds the workspace after the fresh /tmp, clears env and ends with the argv", () => {
    const args = buildBwrapArgs(opts, [{ kind: "ro-bind", path: "/usr" }, { kind: "symlink", path: "/bin", target: "usr/bin" }], { PATH: "/usr/bin" });
    expect(args.join(" ")).toBe(
      "--ro-bind /usr /usr --symlink usr/bin /bin --dev /dev --proc /proc --tmpfs /tmp --bind /w /w --unshare-all " +
        "--die-with-parent --new-session --clearenv --setenv PATH /usr/bin --chdir /w/sub -- ls -l",
    );
  });

  it("shares the network only when asked", () => {
    expect(buildBwrapArgs(opts, [], {})).not.toContain("--share-net");
    expect(buildBwrapArgs({ ...opts, network: true }, [], {})).toContain("--share-net");
  });
});

describe("detectBubblewrap / createSandbox", () => {
  it("reports a missing binary with a fix", async () => {
    const d = await detectBubblewrap({ candidates: ["/nonexistent/bwrap"] });
    expect(d).toEqual({ available: false, reason: "bwrap not found. Fix: install bubblewrap (e.g. apt install bubblewrap)" });
  });

  it("falls back to host in auto mode and refuses in bubblewrap mode", () => {
    const missing = { available: false, reason: "bwrap not found" };
    expect(createSandbox("auto", missing).name).toBe("host");
    expect(() => createSandbox("bubblewrap", missing)).toThrow(/policy.exec.sandbox: bubblewrap is not usable: bwrap not found/);
    expect(createSandbox("auto", { available: true, path: "/usr/bin/bwrap" }).name).toBe("bubblewrap");
  });
});
