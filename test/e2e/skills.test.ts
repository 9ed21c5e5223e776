// Skills through the real CLI and the loopback model fake: the prompt carries the index (never a body), the model
// reads a skill through /skills, cannot write there, and a skill written between two turns of one process is offered
// on the next turn without a restart.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fakeProviderConfig, useCliFixture } from "./harness.ts";

const fx = useCliFixture();

/** The system prompt of the fake model's request number `i` (OpenAI chat format). */
function systemOf(i: number): string {
  const messages = fx.fake.requests[i]!.body.messages as Array<{ role: string; content: string }>;
  return messages.find((m) => m.role === "system")!.content;
}

async function addSkill(dir: string, name: string, description: string, body: string): Promise<void> {
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, "SKILL.md"), `---\nname: ${name}\ndescription: ${description}\n---\n${body}`);
}

describe("skills in a turn", () => {
  it("lists skills by name, description and /skills location, never their bodies; reads one through /skills, refuses writes", async () => {
    const home = await fx.home(`${fakeProviderConfig(fx.fake.baseURL)}\nskills:\n  bundled: false\n`);
    await addSkill(join(home.workspace, "skills"), "packing", "Pack a suitcase for a trip.", "SECRET-BODY-PACKING: roll, do not fold.\n");
    await addSkill(join(home.dir, "skills"), "recipes", "Find and adapt recipes.", "SECRET-BODY-RECIPES\n");
    const first = fx.fake.requests.length;
    fx.fake.enqueue(
      { toolCalls: [{ name: "read", args: { path: "/skills/packing/SKILL.md" } }] },
      { toolCalls: [{ name: "write", args: { path: "/skills/recipes/SKILL.md", content: "pwned" } }] },
      { text: "Roll your clothes." },
    );
    const r = await home.cli(["run", "help me pack"]);
    expect(r.stdout).toBe("Roll your clothes.\n");
    const system = systemOf(first);
    expect(system).toContain("- packing: Pack a suitcase for a trip. (/skills/packing/SKILL.md)");
    expect(system).toContain("- recipes: Find and adapt recipes. (/skills/recipes/SKILL.md)");
    expect(JSON.stringify(fx.fake.requests[first]!.body)).not.toContain("SECRET-BODY");
    const toolResults = (i: number) => JSON.stringify(fx.fake.requests[first + i]!.body.messages.filter((m: { role: string }) => m.role === "tool"));
    expect(toolResults(1)).toContain("SECRET-BODY-PACKING");
    expect(toolResults(2)).toContain("skills are read-only to the agent");
  });

  it("without skills the system prompt has no skills section", async () => {
    const home = await fx.home(`${fakeProviderConfig(fx.fake.baseURL)}\nskills:\n  bundled: false\n`);
    const first = fx.fake.requests.length;
    fx.fake.enqueue({ text: "ok" });
    await home.cli(["run", "hi"]);
    expect(systemOf(first)).not.toContain("Skills");
  });

  it("a skill written during one turn is in the next turn's index, in the same process", async () => {
    const home = await fx.home(`${fakeProviderConfig(fx.fake.baseURL)}\nskills:\n  bundled: false\n`);
    await addSkill(join(home.workspace, "skills"), "old-one", "An existing skill.", "body\n");
    const first = fx.fake.requests.length;
    fx.fake.enqueue(
      { toolCalls: [{ name: "write", args: { path: "skills/new-one/SKILL.md", content: "---\nname: new-one\ndescription: Freshly written.\n---\nbody\n" } }] },
      { text: "Wrote it." },
      { text: "Second turn." },
    );
    const r = await home.cli(["chat"], { input: "make a skill\nagain\n" });
    expect(r.code).toBe(0);
    expect(systemOf(first)).not.toContain("new-one");
    expect(systemOf(first + 2)).toContain("- new-one: Freshly written. (/skills/new-one/SKILL.md)");
    expect(systemOf(first + 2)).toContain("- old-one: An existing skill.");
  });
});

describe("pincer skills list | info", () => {
  it("shows status, source, shadowing and warnings; unknown names and agents are errors", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    await addSkill(join(home.workspace, "skills"), "weather", "My own weather.", "x\n");
    await mkdir(join(home.dir, "skills", "notes"), { recursive: true });
    await writeFile(join(home.dir, "skills", "notes", "SKILL.md"), "---\ndescription: Notes.\nfoo: 1\n---\nx\n");
    const list = await home.cli(["skills", "list", "--json"]);
    expect(list.code).toBe(0);
    const skills = (JSON.parse(list.stdout) as { skills: Array<{ name: string; source: string; status: string; shadows: unknown[] }> }).skills;
    expect(skills.filter((s) => s.name === "weather").map((s) => [s.source, s.status])).toEqual([["workspace", "eligible"], ["bundled", "shadowed"]]);
    expect(skills.find((s) => s.name === "notes")).toMatchObject({ source: "managed", status: "eligible" });
    expect(skills.find((s) => s.name === "skill-creator")).toMatchObject({ source: "bundled", status: "eligible" });
    const info = await home.cli(["skills", "info", "notes"]);
    expect(info.stdout).toContain("foo: not an AgentSkills field; ignored");
    expect(info.stdout).toContain("agent sees:  /skills/notes/SKILL.md");
    expect((await home.cli(["skills", "info", "nope"])).code).toBe(1);
    expect((await home.cli(["skills", "list", "--agent", "constructor"])).code).toBe(78);
  });
});
