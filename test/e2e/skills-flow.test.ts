// A registry skill from search to use, through the real CLI: search → install → the next turn's prompt lists it (the
// fake model's request) without its body → the model reads its SKILL.md through /skills → answers with what it says.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skillMd, startFakeRegistry, type FakeRegistry } from "../fakes/clawhub-registry.ts";
import { fakeProviderConfig, useCliFixture } from "./harness.ts";

const fx = useCliFixture();
let registry: FakeRegistry;
beforeAll(async () => {
  registry = await startFakeRegistry({
    skills: [{
      slug: "packing-list", displayName: "Packing List", summary: "Packs a suitcase.",
      versions: [{ version: "1.0.0", files: { "SKILL.md": skillMd("packing-list", "Pack a suitcase for a trip.", {}, "PACKING-BODY: roll, do not fold.\n") } }],
    }],
  });
});
afterAll(() => registry.close());

describe("a registry skill, end to end", () => {
  it("is found, installed, listed in the prompt, read through /skills and used", async () => {
    const home = await fx.home(`${fakeProviderConfig(fx.fake.baseURL)}\nskills:\n  bundled: false\n`);
    const env = { PINCER_SKILLS_REGISTRY: registry.url };
    const found = await home.cli(["skills", "search", "suitcase", "--json"], { env });
    expect(JSON.parse(found.stdout)).toMatchObject({ results: [{ slug: "packing-list" }] });
    const installed = await home.cli(["skills", "install", "packing-list"], { env });
    expect(installed.code, installed.stderr).toBe(0);

    const first = fx.fake.requests.length;
    fx.fake.enqueue({ toolCalls: [{ name: "read", args: { path: "/skills/packing-list/SKILL.md" } }] }, { text: "Roll, do not fold." });
    const turn = await home.cli(["run", "how do I pack?"]);
    expect(turn.stdout).toBe("Roll, do not fold.\n");
    const request = JSON.stringify(fx.fake.requests[first]!.body);
    expect(request).toContain("packing-list: Pack a suitcase for a trip. (/skills/packing-list/SKILL.md)");
    expect(request).not.toContain("PACKING-BODY");
    const toolResults = JSON.stringify((fx.fake.requests[first + 1]!.body.messages as Array<{ role: string }>).filter((m) => m.role === "tool"));
    expect(toolResults).toContain("PACKING-BODY: roll, do not fold.");
  });
});
