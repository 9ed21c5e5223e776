// Skill grants at exec, through the gate and the host sandbox: a granted binary runs, a blocked one stays refused,
// granted env vars reach only that skill's commands and never the audit record.
import { mkdir, mkdtemp, realpath, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { policySchema } from "../../core/config-schema.ts";
import type { AuditRecord } from "../../core/domain.ts";
import { createHostSandbox } from "../../sandbox/host-sandbox.ts";
import type { SkillView } from "../tool.ts";
import { createToolGate } from "../tool-gate.ts";
import { createExecTool } from "./exec-tool.ts";

let base: string;
let ws: string;
beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "pincer-grants-")));
  ws = join(base, "ws");
  await mkdir(ws);
  await mkdir(join(base, "gh"));
  await mkdir(join(base, "other"));
  await writeFile(join(base, "other", "show.sh"), "echo token=[$GH_TOKEN] other=[$OTHER_KEY]\n");
  await writeFile(join(base, "gh", "show.sh"), "echo token=[$GH_TOKEN]\n");
  await chmod(base, 0o755);
});
afterEach(() => rm(base, { recursive: true, force: true }));

const SECRET = "ghp_supersecretvalue123";

function setup(exec: Record<string, unknown> = {}) {
  const audits: AuditRecord[] = [];
  const gate = createToolGate({ tools: [createExecTool(createHostSandbox())], audit: async (r) => void audits.push(r) });
  const policy = policySchema.parse({ exec: { safe_bins: ["echo"], ...exec } });
  const env: Record<string, string> = { GH_TOKEN: SECRET, OTHER_KEY: "other-value", PATH: "/evil" };
  const grants = new Map([
    ["gh", { bins: ["printenv", "rm"], env: ["GH_TOKEN", "PATH"] }],
    ["other", { bins: ["sh"], env: ["OTHER_KEY"] }],
  ]);
  const skills: SkillView = {
    dirs: new Map([["gh", join(base, "gh")], ["other", join(base, "other")]]),
    tools: [], noteUse: () => undefined, grants,
    grantedEnv: (name) => Object.fromEntries((grants.get(name)?.env ?? []).filter((k) => k !== "PATH").map((k) => [k, env[k]!])),
  };
  const call = (command: string) =>
    gate.execute({ id: "c1", name: "exec", args: { command } }, { workspace: ws, policy, signal: new AbortController().signal, runId: "r1", sessionKey: "s1", rules: policy.tools, skills });
  return { call, audits };
}

describe("skill grants at exec", () => {
  it("lets a granted binary run and names the skill in the audit record", async () => {
    const { call, audits } = setup();
    const r = await call("printenv GH_TOKEN");
    expect(r).toEqual({ text: `exit code 0\nstdout:\n${SECRET}`, isError: false, decision: "allow" });
    expect(audits[0]!.detail).toMatchObject({ skillGrant: "gh", skill: "gh", skillEnv: ["GH_TOKEN"] });
    expect(JSON.stringify(audits)).not.toContain(SECRET);
  });

  it("still refuses a granted binary that policy.exec.blocked_bins lists", async () => {
    const { call } = setup();
    const r = await call("rm -f x");
    expect(r.decision).toBe("deny");
    expect(r.text).toContain("blocked binary: rm");
  });

  it("passes a skill's env only to that skill's commands", async () => {
    const { call } = setup();
    expect((await call("sh /skills/other/show.sh")).text).toBe("exit code 0\nstdout:\ntoken=[] other=[other-value]");
    expect((await call("sh /skills/gh/show.sh")).text).toBe(`exit code 0\nstdout:\ntoken=[${SECRET}]`);
  });

  it("passes no env when policy.exec.skill_env is false", async () => {
    const { call } = setup({ skill_env: false });
    expect((await call("printenv GH_TOKEN")).text).toMatch(/^exit code 1\n\(no output\)/);
  });
});
