// Test support for skills: temp folders laid out like a Pincer home (workspace, state dir, extra and bundled
// roots), skill folders written into them, a fake scanner and a parsed config.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema, type PincerConfig, type PincerConfigInput } from "../core/config-schema.ts";
import type { ScanReport, SkillScanner, SkillSource } from "./skill-types.ts";

export interface SkillHome {
  base: string;
  workspace: string;
  stateDir: string;
  configFile: string;
  extra: string;
  bundled: string;
  /** The root folder of a source (workspace → <workspace>/skills, …). */
  rootOf(source: SkillSource): string;
  /** Writes `<root>/<name>/SKILL.md` (and more files) and returns the folder. */
  addSkill(source: SkillSource, name: string, opts?: { description?: string; frontmatter?: string; body?: string; files?: Record<string, string> }): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeSkillHome(): Promise<SkillHome> {
  const base = await mkdtemp(join(tmpdir(), "pincer-skills-"));
  const workspace = join(base, "workspace");
  const stateDir = join(base, "state");
  const extra = join(base, "extra");
  const bundled = join(base, "bundled");
  await Promise.all([workspace, stateDir, extra, bundled].map((d) => mkdir(d, { recursive: true })));
  const roots: Record<SkillSource, string> = {
    workspace: join(workspace, "skills"),
    "workspace-agents": join(workspace, ".agents", "skills"),
    managed: join(stateDir, "skills"),
    extra,
    bundled,
  };
  return {
    base, workspace, stateDir, extra, bundled,
    configFile: join(base, "pincer.yaml"),
    rootOf: (source) => roots[source],
    async addSkill(source, name, opts = {}) {
      const dir = join(roots[source], name);
      await mkdir(dir, { recursive: true });
      const front = opts.frontmatter ?? `name: ${name}\ndescription: ${opts.description ?? `The ${name} skill (${source}).`}`;
      await writeFile(join(dir, "SKILL.md"), `---\n${front}\n---\n${opts.body ?? `# ${name}\nBODY-OF-${name}\n`}`);
      for (const [rel, text] of Object.entries(opts.files ?? {})) {
        await mkdir(join(dir, rel, ".."), { recursive: true });
        await writeFile(join(dir, rel), text);
      }
      return dir;
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}

export function skillConfig(input: PincerConfigInput = {}): PincerConfig {
  return configSchema.parse(input);
}

/** A scanner that blocks folders whose SKILL.md body holds `BLOCK-ME`, and counts its calls. */
export function fakeScanner(): SkillScanner & { calls: string[] } {
  const calls: string[] = [];
  const scan = async (dir: string): Promise<ScanReport> => {
    calls.push(dir);
    const { readFile } = await import("node:fs/promises");
    const text = await readFile(join(dir, "SKILL.md"), "utf8").catch(() => "");
    const blocked = text.includes("BLOCK-ME");
    return {
      verdict: blocked ? "block" : "ok",
      findings: blocked ? [{ code: "prompt_injection", severity: "block", file: "SKILL.md", line: 4, message: "looks like an injection" }] : [],
      files: 1, bytes: text.length, fingerprint: `fp-${text.length}`,
    };
  };
  return Object.assign(scan, { calls });
}
