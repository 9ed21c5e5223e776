// The exec tool end to end through the gate: runs in bubblewrap and host, policy refusals audited as deny,
// timeout and output cap reported to the model.
import { chown, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { policySchema, type Policy } from "../../core/config-schema.ts";
import type { AuditRecord } from "../../core/domain.ts";
import { createBubblewrapSandbox } from "../../sandbox/bubblewrap-sandbox.ts";
import { detectBubblewrap } from "../../sandbox/detect.ts";
import { createHostSandbox } from "../../sandbox/host-sandbox.ts";
import type { Sandbox } from "../../sandbox/sandbox.ts";
import { createToolGate } from "../tool-gate.ts";
import { createExecTool, formatExecResult } from "./exec-tool.ts";

const detection = await detectBubblewrap();
// CI installs bubblewrap (.ci/run): there a missing sandbox is a failure, not a reason to skip.
if (process.env.CI && !detection.available) throw new Error(`bubblewrap is required in CI: ${detection.reason}`);
const sandboxes: Array<[string, Sandbox | undefined]> = [
  ["host", createHostSandbox()],
  ["bubblewrap", detection.available && detection.path ? createBubblewrapSandbox({ bwrapPath: detection.path }) : undefined],
];

let ws: string;
beforeEach(async () => {
  ws = await realpath(await mkdtemp(join(tmpdir(), "pincer-exec-")));
  await mkdir(join(ws, "sub"));
  await writeFile(join(ws, "x"), "keep me");
  // A root gateway runs commands as the workspace's owner (never root): give it to nobody, as an operator would.
  if (process.getuid?.() === 0) for (const path of [ws, join(ws, "sub"), join(ws, "x")]) await chown(path, 65534, 65534);
});
afterEach(() => rm(ws, { recursive: true, force: true }));

function setup(sandbox: Sandbox, exec: Record<string, unknown> = {}, fs: Record<string, unknown> = {}) {
  const audits: AuditRecord[] = [];
  const gate = createToolGate({ tools: [createExecTool(sandbox)], audit: async (r) => void audits.push(r), now: () => 1_000 });
  const policy: Policy = policySchema.parse({ exec, fs });
  const rules = policy.tools;
  const call = (command: string, cwd?: string) =>
    gate.execute(
      { id: "c1", name: "exec", args: cwd ? { command, cwd } : { command } },
      { workspace: ws, policy, signal: new AbortController().signal, runId: "r1", sessionKey: "s1", rules },
    );
  return { call, audits };
}

describe.each(sandboxes)("exec via %s", (label, sandbox) => {
  it.skipIf(!sandbox)(`runs echo hi${sandbox ? "" : ` (skipped: ${detection.reason})`}`, async () => {
    const { call, audits } = setup(sandbox!);
    expect(await call("echo hi")).toEqual({ text: "exit code 0\nstdout:\nhi", isError: false, decision: "allow" });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ kind: "tool.call", decision: "allow", tool: "exec", runId: "r1", sessionKey: "s1" });
    expect(audits[0]?.detail).toMatchObject({ args: { command: "echo hi" }, exitCode: 0, sandbox: label, durationMs: 0 });
  });

  it.skipIf(!sandbox)("runs in a cwd inside the workspace only", async () => {
    const { call } = setup(sandbox!);
    expect((await call("pwd", "sub")).text).toBe(`exit code 0\nstdout:\n${join(ws, "sub")}`);
    expect(await call("pwd", "..")).toMatchObject({ isError: true, decision: "deny" });
  });

  it.skipIf(!sandbox)("kills a command at the policy timeout", async () => {
    const { call } = setup(sandbox!, { level: "full", timeout_ms: 200 });
    const r = await call("sleep 5");
    expect(r.isError).toBe(true);
    expect(r.text).toContain("[timed out after 200 ms; process killed]");
  });

  it.skipIf(!sandbox)("caps output at the policy limit", async () => {
    const { call } = setup(sandbox!, { level: "full", output_cap_bytes: 100 });
    const r = await call("seq 1 10000");
    expect(r.text).toContain("[output truncated at 100 bytes]");
    expect(r.text.length).toBeLessThan(250);
  });
});

describe("exec policy through the gate", () => {
  const sandbox = createHostSandbox();

  it("refuses a blocked binary, audits it as deny and leaves the file alone", async () => {
    const { call, audits } = setup(sandbox, { level: "full" });
    const r = await call("rm -rf x");
    expect(r).toEqual({ text: "exec refused: blocked binary: rm (policy.exec.blocked_bins)", isError: true, decision: "deny" });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ decision: "deny", reason: expect.stringContaining("blocked binary: rm") });
    expect((await stat(join(ws, "x"))).isFile()).toBe(true);
  });

  it("refuses an escape hatch of a program in safe_bins and leaves the files alone", async () => {
    const safe_bins = [...policySchema.parse({}).exec.safe_bins, "find"];
    const r = await setup(sandbox, { safe_bins }).call("find . -delete");
    expect(r).toEqual({
      text:
        "exec refused: find -delete deletes files, which would get around policy.exec.blocked_bins; " +
        "refused at every level, even with the program in policy.exec.safe_bins",
      isError: true,
      decision: "deny",
    });
    expect((await stat(join(ws, "x"))).isFile()).toBe(true);
  });

  it("the default safe_bins run no interpreters and cannot move files away", async () => {
    for (const command of [`python3 -c "print(1)"`, "node -e 1", "mv x y", "awk 1 x", "sed -n p x", "git status", "find ."]) {
      expect(await setup(sandbox).call(command)).toMatchObject({ isError: true, decision: "deny" });
    }
  });

  it("allowlist refuses a binary outside safe_bins; deny refuses everything", async () => {
    expect(await setup(sandbox).call("uname -a")).toMatchObject({ isError: true, decision: "deny" });
    expect((await setup(sandbox, { level: "deny" }).call("echo hi")).text).toBe("exec refused: exec is disabled (policy.exec.level: deny)");
  });

  it("explains shell syntax instead of running it", async () => {
    const { call, audits } = setup(sandbox);
    const r = await call("ls | wc -l");
    expect(r).toMatchObject({ isError: true, decision: "allow" });
    expect(r.text).toContain("Run one command at a time");
    expect(audits[0]?.detail).toMatchObject({ error: "invalid_args" });
  });

  it("reports a non-zero exit as an error result, not a throw", async () => {
    const r = await setup(sandbox).call("ls no-such-dir");
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^exit code 2\nstderr:\nls: cannot access/);
  });
});

describe("formatExecResult", () => {
  it("explains a failure of a root gateway's command that ran as nobody", () => {
    const r = { exitCode: 2, signal: null, stdout: "", stderr: "ls: cannot open directory '.': Permission denied\n", truncated: false, timedOut: false, durationMs: 1 };
    const opts = { timeoutMs: 1, outputCapBytes: 1 };
    expect(formatExecResult({ ...r, runAs: { uid: 65534, gid: 65534, rootOwnedWorkspace: true } }, opts)).toContain("[ran as nobody (uid 65534): the gateway runs as root");
    expect(formatExecResult(r, opts)).not.toContain("nobody");
    expect(formatExecResult({ ...r, runAs: { uid: 65534, gid: 65534 } }, opts)).not.toContain("nobody"); // the operator gave it the workspace
  });
});

describe.skipIf(!sandboxes[1]![1])("exec via bubblewrap: protected paths", () => {
  it("cannot create .git at the root nor change a path in policy.fs.protected", async () => {
    const { call } = setup(sandboxes[1]![1]!, {}, { protected: ["x"] });
    expect((await call("mkdir .git/hooks")).isError).toBe(true);
    expect((await call("touch x")).text).toContain("Read-only file system");
    expect((await call("touch sub/free")).isError).toBe(false);
    expect(await readFile(join(ws, "x"), "utf8")).toBe("keep me");
    expect(await readdir(join(ws, ".git"))).toEqual([]);
  });
});
