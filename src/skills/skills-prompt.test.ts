import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSkillsRuntime } from "./skills-runtime.ts";
import { estimateTokens, renderSkillsIndex } from "./skills-prompt.ts";
import { searchSkills } from "./skill-search-tool.ts";
import { writeSkillLock } from "./skill-lock.ts";
import { makeSkillHome, skillConfig, type SkillHome } from "./skill-test-kit.ts";

const skill = (name: string, description = `Does ${name} things.`) => ({ name, description });
const never = () => undefined;

describe("renderSkillsIndex", () => {
  it("lists every skill by name with its description and SKILL.md location when they fit", () => {
    const index = renderSkillsIndex([skill("web"), skill("gh", "Use the GitHub CLI:\n  issues,   PRs <b>.")], { maxTokens: 1500, lastUse: never });
    expect(index.text).toContain("<skills>\n- gh: Use the GitHub CLI: issues, PRs b. (/skills/gh/SKILL.md)\n- web: Does web things. (/skills/web/SKILL.md)\n</skills>");
    expect(index.text).toContain("read its SKILL.md with the read tool");
    expect(index.omitted).toEqual([]);
    expect(index.text).not.toContain("skill_search");
  });

  it("renders nothing for no skills", () => {
    expect(renderSkillsIndex([], { maxTokens: 1500, lastUse: never }).text).toBe("");
  });

  it("stays under the cap by leaving out the least recently used skills, and says how to find them", () => {
    const skills = Array.from({ length: 40 }, (_, i) => skill(`skill-${String(i).padStart(2, "0")}`, "A fairly ordinary description of what this skill does for you."));
    const used = new Map([["skill-39", 3], ["skill-05", 2], ["skill-20", 1]]);
    const index = renderSkillsIndex(skills, { maxTokens: 200, lastUse: (n) => used.get(n) });
    expect(estimateTokens(index.text)).toBeLessThanOrEqual(200);
    expect(index.listed.length).toBeGreaterThan(2);
    expect(index.listed).toEqual(expect.arrayContaining(["skill-39", "skill-05", "skill-20"]));
    expect(index.listed.length + index.omitted.length).toBe(40);
    expect(index.text).toContain(`${index.omitted.length} more skills: find them with skill_search.`);
  });

  it("with a cap of 0 lists none and points to skill_search", () => {
    const index = renderSkillsIndex([skill("a"), skill("b")], { maxTokens: 0, lastUse: never });
    expect(index.listed).toEqual([]);
    expect(index.text).toContain("2 skills: find them with skill_search.");
    expect(index.text).not.toContain("<skills>");
  });
});

describe("searchSkills", () => {
  it("ranks name matches over description matches and drops non-matches", () => {
    const skills = [skill("github", "Work with issues and pull requests via gh."), skill("weather", "Forecasts for a city."), skill("summarize-url", "Summarize a web page or article.")];
    expect(searchSkills(skills, "summarize this article", 5).map((s) => s.name)).toEqual(["summarize-url"]);
    expect(searchSkills(skills, "GitHub pull requests", 5).map((s) => s.name)).toEqual(["github"]);
    expect(searchSkills(skills, "quantum", 5)).toEqual([]);
  });
});

describe("skills runtime: index cap, LRU and skill_search over turns", () => {
  let home: SkillHome;
  beforeEach(async () => {
    home = await makeSkillHome();
  });
  afterEach(() => home.cleanup());

  it("offers skill_search only when skills were left out, and a skill found or read moves into the index", async () => {
    for (let i = 0; i < 30; i++) await home.addSkill("managed", `tool-${String(i).padStart(2, "0")}`, { description: `Helps with chore number ${i} of the household list.` });
    const runtime = createSkillsRuntime({ stateDir: home.stateDir, configFile: home.configFile, env: {}, bundledDir: home.bundled, hasBin: () => true });
    const turn = (maxTokens: number) => runtime.prepareTurn({ config: skillConfig({ skills: { prompt_max_tokens: maxTokens } }), agentId: "default", workspace: home.workspace });

    const roomy = await turn(5_000);
    expect(roomy?.view.tools).toEqual([]);
    expect(roomy?.view.dirs.size).toBe(30);

    const tight = await turn(150);
    expect(tight!.index.omitted.length).toBeGreaterThan(0);
    expect(tight!.view.tools.map((t) => t.name)).toEqual(["skill_search"]);
    const hidden = tight!.index.omitted.at(-1)!;
    const found = await tight!.view.tools[0]!.execute({ query: `chore number ${Number(hidden.slice(5))}` }, {} as never);
    expect(found.text.split("\n")[0]).toContain(`- ${hidden}: `);
    expect(found.text).not.toContain("BODY-OF");

    const after = await turn(150);
    expect(after!.index.listed).toContain(hidden);
    tight!.view.noteUse(tight!.index.omitted[0]!); // as the read tool does for /skills/<name>/SKILL.md
    expect((await turn(150))!.index.listed).toContain(tight!.index.omitted[0]);
  });

  it("gives a skill's granted env values from the gateway's environment, never sandbox-owned variables", async () => {
    await home.addSkill("managed", "gh");
    await writeSkillLock(home.stateDir, { version: 1, installs: {}, grants: { gh: { bins: ["gh"], env: ["GH_TOKEN", "PATH", "LD_PRELOAD", "UNSET_ONE"], grantedAt: "2026-01-01T00:00:00Z" } } });
    const env = { GH_TOKEN: "t0ken", PATH: "/evil", LD_PRELOAD: "/evil.so" };
    const runtime = createSkillsRuntime({ stateDir: home.stateDir, configFile: home.configFile, env, bundledDir: home.bundled, hasBin: () => true });
    const turn = await runtime.prepareTurn({ config: skillConfig(), agentId: "default", workspace: home.workspace });
    expect(turn!.view.grants?.get("gh")?.bins).toEqual(["gh"]);
    expect(turn!.view.grantedEnv?.("gh")).toEqual({ GH_TOKEN: "t0ken" });
  });

  it("returns nothing when no skill is eligible", async () => {
    const runtime = createSkillsRuntime({ stateDir: home.stateDir, configFile: home.configFile, env: {}, bundledDir: home.bundled });
    expect(await runtime.prepareTurn({ config: skillConfig(), agentId: "default", workspace: home.workspace })).toBeUndefined();
  });

  it("reuses a listing within listTtlMs unless this process changed files, then lists again", async () => {
    await home.addSkill("managed", "first");
    let clock = 1_000;
    let changes = 0;
    const config = skillConfig();
    const runtime = createSkillsRuntime({
      stateDir: home.stateDir, configFile: home.configFile, env: {}, bundledDir: home.bundled, hasBin: () => true, now: () => clock,
      reuse: { listTtlMs: 1_000, changes: () => changes },
    });
    const names = async () => [...(await runtime.prepareTurn({ config, agentId: "default", workspace: home.workspace }))!.view.dirs.keys()].sort();
    expect(await names()).toEqual(["first"]);
    await home.addSkill("managed", "second");
    clock += 500;
    expect(await names()).toEqual(["first"]); // reused: no change made here, and within the second
    changes += 1; // say a write tool call
    expect(await names()).toEqual(["first", "second"]);
    await home.addSkill("managed", "third");
    clock += 1_000; // an edit made outside Pincer shows once the listing is older than listTtlMs
    expect(await names()).toEqual(["first", "second", "third"]);
  });
});
