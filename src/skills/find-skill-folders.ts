// Where `pincer skills check` and `pincer doctor` look for skill folders: the catalog's roots (the default agent's
// workspace `skills/` and `.agents/skills/`, the managed `<state>/skills`, `skills.extra_dirs`, the bundled skills),
// listing every sub-folder — folders reached through a symlink too, which the catalog skips and the scanner blocks.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { resolveWorkspace, type Env } from "../config/paths.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { ownEntry } from "../core/own-entry.ts";
import { listSkillRoots } from "./skill-locations.ts";
import type { SkillSource } from "./skill-types.ts";

export interface SkillFolder {
  /** The folder's name, which is the skill's name for every source. */
  name: string;
  dir: string;
  source: SkillSource;
}

/** Every folder directly under each skills root, in precedence order (a missing root is skipped). */
export async function findSkillFolders(input: { config: PincerConfig; configFile: string; stateDir: string; env: Env }): Promise<SkillFolder[]> {
  const { config, stateDir, env } = input;
  const workspace = resolveWorkspace(stateDir, "default", ownEntry(config.agents, "default")?.workspace, env);
  const roots = listSkillRoots({ config, configFile: input.configFile, stateDir, workspace, env });
  const found: SkillFolder[] = [];
  for (const root of roots) found.push(...(await listSkillDirs(root.dir, root.source)));
  return found;
}

/** Sub-folders (and links, which the scanner then blocks) of `root`; hidden names and plain files are not skills. */
async function listSkillDirs(root: string, source: SkillSource): Promise<SkillFolder[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => !e.name.startsWith(".") && (e.isDirectory() || e.isSymbolicLink()))
    .map((e) => ({ name: e.name, dir: join(root, e.name), source }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
