import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadSkillManifest, MAX_SKILL_FILE_BYTES, parseSkillManifest } from "./skill-manifest.ts";

const at = { file: "/s/gh/SKILL.md", folderName: "gh" };
const parse = (text: string) => parseSkillManifest(text, at);

describe("parseSkillManifest", () => {
  it("reads the spec's fields and the body", async () => {
    const r = await parse([
      "---", "name: gh", "description: Use the GitHub CLI for issues and PRs.", "license: MIT", "compatibility: needs network",
      "allowed-tools: Bash(gh:*) Read", "metadata:", "  author: me", "---", "# GitHub", "Steps…", "",
    ].join("\n"));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.manifest).toMatchObject({ name: "gh", description: "Use the GitHub CLI for issues and PRs.", license: "MIT", compatibility: "needs network", allowedTools: ["Bash(gh:*)", "Read"], metadata: { author: "me" }, userInvocable: true, always: false });
    expect(r.body).toBe("# GitHub\nSteps…\n");
    expect(r.warnings).toEqual([]);
  });

  it("accepts OpenClaw metadata written as one-line JSON, with requires, os and the clawdbot alias", async () => {
    const meta = JSON.stringify({ clawdbot: { requires: { bins: ["gh"], anyBins: ["rg", "grep"], env: ["GH_TOKEN"], config: ["channels.slack"] }, os: ["linux", "darwin"], primaryEnv: "GH_TOKEN", always: true, install: [{ kind: "brew", formula: "gh" }] } });
    const r = await parse(`---\nname: gh\ndescription: d\nhomepage: https://cli.github.com\nuser-invocable: false\nmetadata: '${meta}'\n---\nbody`);
    if (!r.ok) throw new Error(r.reason);
    expect(r.manifest.requires).toEqual({ bins: ["gh"], anyBins: ["rg", "grep"], env: ["GH_TOKEN"], config: ["channels.slack"] });
    expect(r.manifest).toMatchObject({ os: ["linux", "darwin"], primaryEnv: "GH_TOKEN", always: true, userInvocable: false, homepage: "https://cli.github.com" });
    expect(r.manifest.install).toHaveLength(1);
  });

  it("warns about spec violations and still loads: name mismatch, long fields, wrong types, unknown keys", async () => {
    const r = await parse(`---\nname: GitHub Tool\ndescription: ${"x".repeat(1100)}\ncompatibility: ${"c".repeat(600)}\nlicense: 3\nmetadata: [1]\nextra: 1\n---\n`);
    if (!r.ok) throw new Error(r.reason);
    expect(r.manifest.name).toBe("gh");
    expect(r.warnings.map((w) => w.key).sort()).toEqual(["compatibility", "description", "extra", "license", "metadata", "name"]);
    expect(r.warnings[0]!.file).toBe(at.file);
  });

  it("uses the folder name when the frontmatter has none, and a valid frontmatter name when the folder's is not", async () => {
    const a = await parse("---\ndescription: d\n---\n");
    expect(a.ok && a.manifest.name).toBe("gh");
    const b = await parseSkillManifest("---\nname: my-skill\ndescription: d\n---\n", { file: "f", folderName: "My Skill" });
    expect(b.ok && b.manifest.name).toBe("my-skill");
  });

  it.each([
    ["no frontmatter", "# just markdown", /no YAML frontmatter/],
    ["unclosed frontmatter", "---\nname: gh\n", /no YAML frontmatter/],
    ["bad YAML", "---\nname: [gh\n---\n", /not valid YAML/],
    ["a list, not a map", "---\n- a\n---\n", /not a map/],
    ["no description", "---\nname: gh\n---\nbody", /has no description/],
    ["empty description", "---\nname: gh\ndescription: '  '\n---\n", /has no description/],
  ])("is invalid with %s", async (_what, text, reason) => {
    const r = await parse(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe("loadSkillManifest", () => {
  let dir: string;
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("refuses a symlinked or oversized SKILL.md and reports a missing one", async () => {
    dir = await mkdtemp(join(tmpdir(), "pincer-manifest-"));
    await mkdir(join(dir, "linked"));
    await writeFile(join(dir, "real.md"), "---\ndescription: d\n---\n");
    await symlink(join(dir, "real.md"), join(dir, "linked", "SKILL.md"));
    await mkdir(join(dir, "big"));
    await writeFile(join(dir, "big", "SKILL.md"), `---\ndescription: d\n---\n${"x".repeat(MAX_SKILL_FILE_BYTES)}`);
    await mkdir(join(dir, "none"));
    await mkdir(join(dir, "fine"));
    await writeFile(join(dir, "fine", "SKILL.md"), "---\ndescription: fine\n---\n");
    const reasons = await Promise.all(["linked", "big", "none"].map(async (n) => {
      const r = await loadSkillManifest(join(dir, n));
      return r.ok ? "ok" : r.reason;
    }));
    expect(reasons[0]).toMatch(/symbolic link/);
    expect(reasons[1]).toMatch(/larger than 256 KiB/);
    expect(reasons[2]).toMatch(/missing/);
    expect((await loadSkillManifest(join(dir, "fine"))).ok).toBe(true);
  });
});
