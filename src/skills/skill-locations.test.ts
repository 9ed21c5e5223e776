import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bundledSkillsDir, listSkillFolders } from "./skill-locations.ts";
import { scanSkillFolder } from "./skill-scanner.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

describe("bundled skills", () => {
  it("are found from the source tree and from a bundled chunk in dist/", () => {
    expect(bundledSkillsDir()).toBe(join(REPO, "skills"));
    expect(bundledSkillsDir(join(REPO, "dist", "cli", "chunk-abc123.js"))).toBe(join(REPO, "skills"));
  });

  it("ship the skills the docs promise, each passing the safety scanner with no finding at all", async () => {
    const names = listSkillFolders(join(REPO, "skills"));
    expect(names).toEqual(["github", "skill-creator", "summarize-url", "weather"]);
    for (const name of names) {
      const report = await scanSkillFolder(join(REPO, "skills", name));
      expect({ name, verdict: report.verdict, findings: report.findings }).toEqual({ name, verdict: "ok", findings: [] });
    }
  });
});
