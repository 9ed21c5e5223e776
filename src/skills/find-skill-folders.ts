// Where `pincer skills check` and `pincer doctor` look for skill folders: the default agent's workspace `skills/`,
// the managed `<state>/skills`, `skills.extra_dirs` and the bundled `skills/` of the Pincer package. A stand-in for
// the skills catalog: one function, so the catalog's own discovery can replace it.
import { existsSync, readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { expandHome, resolveWorkspace, type Env } from "../config/paths.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { managedSkillsDir } from "./skill-lock.ts";
import type { SkillSource } from "./skill-types.ts";

export interface SkillFolder {
  /** The folder's name, which is the skill's name for every source. */
  name: string;
  dir: string;
  source: SkillSource;
}

/** Every folder directly under each skills root, in precedence order (a missing root is skipped). */
export async function findSkillFolders(config: PincerConfig, stateDir: string, env: Env): Promise<SkillFolder[]> {
  const workspace = resolveWorkspace(stateDir, "default", config.agents["default"]?.workspace, env);
  const roots: { dir: string; source: SkillSource }[] = [
    { dir: join(workspace, "skills"), source: "workspace" },
    { dir: managedSkillsDir(stateDir), source: "managed" },
    ...config.skills.extra_dirs.map((dir) => ({ dir: toAbsolute(dir, stateDir, env), source: "extra" as const })),
  ];
  const bundled = config.skills.bundled ? findBundledSkillsDir() : undefined;
  if (bundled) roots.push({ dir: bundled, source: "bundled" });
  const found: SkillFolder[] = [];
  for (const root of roots) found.push(...(await listSkillDirs(root.dir, root.source)));
  return found;
}

function toAbsolute(dir: string, stateDir: string, env: Env): string {
  const expanded = expandHome(dir, env);
  return isAbsolute(expanded) ? resolve(expanded) : resolve(stateDir, expanded);
}

/** Sub-folders (and links, which the scanner then blocks) of `root`; hidden names and plain files are not skills. */
async function listSkillDirs(root: string, source: SkillSource): Promise<SkillFolder[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => !e.name.startsWith(".") && (e.isDirectory() || e.isSymbolicLink()))
    .map((e) => ({ name: e.name, dir: join(root, e.name), source }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The `skills/` folder beside the Pincer package's package.json (src/ or dist/ alike), when it has one. */
export function findBundledSkillsDir(): string | undefined {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    try {
      if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name !== "pincer") return undefined;
    } catch {
      return undefined;
    }
    const skills = join(dir, "skills");
    return existsSync(skills) ? skills : undefined;
  }
  return undefined;
}
