// `pincer skills check` through the real binary: a folder path or every skill found (workspace, managed,
// skills.extra_dirs), a skill by name, exit codes (1 when anything is blocked, 2 for an unknown name), --json's shape.
import { cp, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, useCliFixture } from "./harness.ts";

const fx = useCliFixture();
const FIXTURES = join(REPO_ROOT, "test/fixtures/skills");
const CONFIG = (extra = ""): string => `skills:\n  bundled: false\n${extra}`;

interface JsonOutput {
  ok: boolean;
  skills: { name: string; source: string; dir: string; allowedUnsafe: boolean; report: { verdict: string; files: number; bytes: number; fingerprint: string; findings: { code: string; severity: string; file: string; line?: number; message: string }[] } }[];
}

describe("pincer skills check", () => {
  it("checks a folder path: exit 0 and an ok line for a clean skill, exit 1 and the findings for a blocked one", async () => {
    const home = await fx.home(CONFIG());
    const clean = await home.cli(["skills", "check", join(FIXTURES, "github-triage")]);
    expect(clean).toMatchObject({ code: 0, stderr: "" });
    expect(clean.stdout).toMatch(/^ok {5}github-triage {2}\(path: .*github-triage; 1 file\(s\), \d+ (?:B|KiB)\)$/m);
    expect(clean.stdout).toContain("1 skill(s): 1 ok, 0 with warnings, 0 blocked");

    const bad = await home.cli(["skills", "check", join(FIXTURES, "clawhavoc-prereq")]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^ {2}block +download_exec +SKILL\.md:13 +pipes a download into a shell/m);
    expect(bad.stdout).toContain("0 ok, 0 with warnings, 1 blocked");
  });

  it("--json: every skill found in the workspace, managed and extra folders, allow_unsafe marked, secrets never printed", async () => {
    const home = await fx.home();
    const extra = join(home.dir, "more-skills");
    await home.writeConfig(CONFIG(`  extra_dirs: [${extra}]\n  allow_unsafe: [leaky]\n`));
    await cp(join(FIXTURES, "github-triage"), join(home.workspace, "skills/github-triage"), { recursive: true });
    const key = `ghp_${"Zq8Wm2Xr6Tn4Yp1Lk9Hv3Bc7Fd5Gs0Ja2Ue8Ri"}`;
    await mkdir(join(home.dir, "skills/leaky"), { recursive: true });
    await writeFile(join(home.dir, "skills/leaky/SKILL.md"), `---\nname: leaky\ndescription: d\n---\nUse token ${key}.\n`);
    await mkdir(join(extra, "linked"), { recursive: true });
    await writeFile(join(extra, "linked/SKILL.md"), "---\nname: linked\ndescription: d\n---\nHi.\n");
    await symlink("/etc/passwd", join(extra, "linked/passwd.md"));

    const result = await home.cli(["skills", "check", "--json"]);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain(key.slice(4));
    const out = JSON.parse(result.stdout) as JsonOutput;
    expect(out.ok).toBe(false);
    expect(out.skills.map((s) => [s.name, s.source, s.report.verdict, s.allowedUnsafe])).toEqual([
      ["github-triage", "workspace", "ok", false],
      ["leaky", "managed", "block", true],
      ["linked", "extra", "block", false],
    ]);
    expect(out.skills[1]!.report.findings).toEqual([{ code: "secret", severity: "block", file: "SKILL.md", line: 5, message: expect.stringContaining("GitHub token (ghp_…") }]);
    expect(out.skills[2]!.report.findings.map((f) => [f.code, f.file])).toEqual([["symlink", "passwd.md"]]);
    expect(out.skills[0]!.report).toMatchObject({ files: 1, findings: [], fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const human = await home.cli(["skills", "check"]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("loads anyway: listed in skills.allow_unsafe");
  });

  it("checks a skill by name, and refuses an unknown name with exit 2", async () => {
    const home = await fx.home(CONFIG());
    await cp(join(FIXTURES, "github-triage"), join(home.dir, "skills/github-triage"), { recursive: true });
    const one = await home.cli(["skills", "check", "github-triage", "--json"]);
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as JsonOutput).skills.map((s) => [s.name, s.source])).toEqual([["github-triage", "managed"]]);

    const unknown = await home.cli(["skills", "check", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: no skill named "nope"');
  });

  it("says so when there is no skill at all, and exits 0", async () => {
    const home = await fx.home(CONFIG());
    const result = await home.cli(["skills", "check"]);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining("no skill folders found") });
    expect(JSON.parse((await home.cli(["skills", "check", "--json"])).stdout)).toEqual({ ok: true, skills: [] });
  });
});
