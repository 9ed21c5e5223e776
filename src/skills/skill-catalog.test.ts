import { rm, utimes, writeFile, symlink, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../core/domain.ts";
import { createSkillCatalog, type SkillCatalogOptions } from "./skill-catalog.ts";
import { writeSkillLock } from "./skill-lock.ts";
import { fakeScanner, makeSkillHome, skillConfig, type SkillHome } from "./skill-test-kit.ts";

let home: SkillHome;
beforeEach(async () => {
  home = await makeSkillHome();
});
afterEach(() => home.cleanup());

function catalog(extra: Partial<SkillCatalogOptions> = {}) {
  return createSkillCatalog({ stateDir: home.stateDir, configFile: home.configFile, env: {}, bundledDir: home.bundled, hasBin: () => true, platform: "linux", ...extra });
}
const config = (input: Parameters<typeof skillConfig>[0] = {}) => skillConfig({ skills: { extra_dirs: [home.extra] }, ...input });

describe("skill catalog", () => {
  it("orders the five sources by precedence; the higher one wins a name and records what it shadows", async () => {
    const sources = ["bundled", "extra", "managed", "workspace-agents", "workspace"] as const;
    for (const source of sources) await home.addSkill(source, "notes");
    await home.addSkill("managed", "only-managed");
    await home.addSkill("bundled", "only-bundled");
    const { entries } = await catalog().list({ config: config(), workspace: home.workspace });
    const notes = entries.filter((e) => e.name === "notes");
    expect(notes.map((e) => [e.source, e.status])).toEqual([
      ["workspace", "eligible"], ["workspace-agents", "shadowed"], ["managed", "shadowed"], ["extra", "shadowed"], ["bundled", "shadowed"],
    ]);
    expect(notes[0]!.shadows.map((s) => s.source)).toEqual(["workspace-agents", "managed", "extra", "bundled"]);
    expect(notes[1]!.reason).toContain(`the workspace skill at ${home.rootOf("workspace")}/notes`);
    expect(entries.find((e) => e.name === "only-managed")?.status).toBe("eligible");
    expect(entries.find((e) => e.name === "only-bundled")?.source).toBe("bundled");
  });

  it("resolves relative extra_dirs against the config file's folder, skips the lock file and leaves bundled out when disabled", async () => {
    await home.addSkill("extra", "from-extra");
    await home.addSkill("bundled", "shipped");
    await writeSkillLock(home.stateDir, { version: 1, installs: {}, grants: { "from-extra": { bins: ["jq"], env: [], grantedAt: "2026-01-01T00:00:00Z" } } });
    const { entries } = await catalog().list({ config: skillConfig({ skills: { extra_dirs: ["./extra"], bundled: false } }), workspace: home.workspace });
    expect(entries.map((e) => e.name)).toEqual(["from-extra"]);
    expect(entries[0]!.grants?.bins).toEqual(["jq"]);
  });

  it("gates on bins, anyBins, env, config keys and os, naming what is missing; always skips requires", async () => {
    const req = (name: string, requires: object, more = "") =>
      home.addSkill("managed", name, { frontmatter: `name: ${name}\ndescription: d\nmetadata: '${JSON.stringify({ openclaw: { requires, ...JSON.parse(more || "{}") } })}'` });
    await req("needs-bin", { bins: ["gh", "jq"] });
    await req("needs-any", { anyBins: ["rg", "ag"] });
    await req("needs-env", { env: ["GH_TOKEN"] });
    await req("needs-config", { config: ["media.transcription.provider"] });
    await req("mac-only", {}, JSON.stringify({ os: ["darwin"] }));
    await req("always-on", { bins: ["nope"] }, JSON.stringify({ always: true }));
    await req("all-met", { bins: ["jq"], anyBins: ["rg", "ag"], env: ["HOME_X"], config: ["skills.bundled"] });
    const hasBin = (name: string) => name === "jq" || name === "ag";
    const { entries } = await catalog({ hasBin, env: { HOME_X: "1", GH_TOKEN: "" } }).list({ config: config(), workspace: home.workspace });
    const status = Object.fromEntries(entries.map((e) => [e.name, `${e.status}${e.reason ? `: ${e.reason}` : ""}`]));
    expect(status).toEqual({
      "all-met": "eligible",
      "always-on": "eligible",
      "mac-only": "unavailable: supports darwin, not linux",
      "needs-any": "eligible",
      "needs-bin": "unavailable: needs the program on PATH: gh",
      "needs-config": "unavailable: needs the config key set in pincer.yaml: media.transcription.provider",
      "needs-env": "unavailable: needs the environment variable GH_TOKEN set in the gateway's environment",
    });
  });

  it("applies the agent's skills allowlist; a broken SKILL.md is unavailable with its reason", async () => {
    await home.addSkill("managed", "alpha");
    await home.addSkill("managed", "beta");
    await home.addSkill("managed", "broken", { frontmatter: "name: broken" });
    const cfg = config({ agents: { default: {}, work: { skills: ["beta"] } } });
    const forWork = await catalog().list({ config: cfg, workspace: home.workspace, agentId: "work" });
    expect(forWork.entries.map((e) => [e.name, e.status])).toEqual([["alpha", "disabled"], ["beta", "eligible"], ["broken", "unavailable"]]);
    expect(forWork.entries[2]!.reason).toMatch(/has no description/);
    const forDefault = await catalog().list({ config: cfg, workspace: home.workspace, agentId: "default" });
    expect(forDefault.entries.filter((e) => e.status === "eligible").map((e) => e.name)).toEqual(["alpha", "beta"]);
  });

  it("blocks what the scanner blocks unless allow_unsafe lists it, and audits that load once per change", async () => {
    await home.addSkill("managed", "evil", { body: "BLOCK-ME\n" });
    await home.addSkill("managed", "risky", { body: "BLOCK-ME\n" });
    const audits: AuditRecord[] = [];
    const cat = catalog({ scan: fakeScanner(), audit: async (r) => void audits.push(r) });
    const cfg = config({ skills: { extra_dirs: [home.extra], allow_unsafe: ["risky"] } });
    const first = await cat.list({ config: cfg, workspace: home.workspace });
    expect(first.entries.map((e) => [e.name, e.status])).toEqual([["evil", "blocked"], ["risky", "eligible"]]);
    expect(first.entries[0]!.reason).toMatch(/safety scanner blocked it \(prompt_injection in SKILL.md:4\)/);
    expect(first.entries[1]!.reason).toMatch(/loaded because skills.allow_unsafe lists it/);
    await cat.list({ config: cfg, workspace: home.workspace });
    expect(audits.map((a) => [a.kind, a.detail?.skill])).toEqual([["skill.unsafe_load", "risky"]]);
    await writeFile(join(home.rootOf("managed"), "risky", "notes.txt"), "changed");
    await cat.list({ config: cfg, workspace: home.workspace });
    expect(audits).toHaveLength(2);
  });

  it("hot reload: picks up an added skill, an edited description and a deleted skill, re-scanning only what changed", async () => {
    const scan = fakeScanner();
    const cat = catalog({ scan });
    const dir = await home.addSkill("managed", "alpha", { description: "First words." });
    await home.addSkill("managed", "beta");
    const list = async () => (await cat.list({ config: config(), workspace: home.workspace })).entries.map((e) => `${e.name}: ${e.manifest?.description}`);
    expect(await list()).toEqual(["alpha: First words.", "beta: The beta skill (managed)."]);
    expect(scan.calls).toHaveLength(2);

    await writeFile(join(dir, "SKILL.md"), "---\nname: alpha\ndescription: Second words, longer.\n---\nbody\n");
    await utimes(join(dir, "SKILL.md"), new Date(), new Date(Date.now() + 5_000)); // a distinct mtime even on coarse clocks
    await home.addSkill("workspace", "gamma");
    await rm(join(home.rootOf("managed"), "beta"), { recursive: true });
    expect(await list()).toEqual(["gamma: The gamma skill (workspace).", "alpha: Second words, longer."]);
    expect(scan.calls).toHaveLength(4); // alpha again and gamma; nothing else
  });

  it("skips skill folders that are symlinks", async () => {
    const target = await home.addSkill("extra", "real-one");
    await mkdir(home.rootOf("managed"), { recursive: true });
    await symlink(target, join(home.rootOf("managed"), "linked"));
    const { entries } = await catalog().list({ config: config(), workspace: home.workspace });
    expect(entries.map((e) => `${e.source}/${e.name}`)).toEqual(["extra/real-one"]);
  });
});
