import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bundledSkillsDir, listSkillFolders } from "./skill-locations.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

describe("bundled skills", () => {
  it("are found from the source tree and from a bundled chunk in dist/", () => {
    expect(bundledSkillsDir()).toBe(join(REPO, "skills"));
    expect(bundledSkillsDir(join(REPO, "dist", "cli", "chunk-abc123.js"))).toBe(join(REPO, "skills"));
  });

  it("ship the skills the docs promise", () => {
    expect(listSkillFolders(join(REPO, "skills"))).toEqual(["github", "skill-creator", "summarize-url", "weather"]);
  });
});
