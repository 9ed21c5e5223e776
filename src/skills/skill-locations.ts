// Where skill folders are looked for, highest precedence first: the workspace's `skills/` and `.agents/skills/`,
// the managed `<state>/skills`, each of `skills.extra_dirs`, then the skills shipped with Pincer. Listing only:
// reading and gating the folders is the catalog's job.
import { existsSync, lstatSync, readdirSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expandHome } from "../config/paths.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { managedSkillsDir } from "./skill-lock.ts";
import { SKILL_FILE } from "./skill-manifest.ts";
import type { SkillSource } from "./skill-types.ts";

/** One folder holding skill folders. */
export interface SkillRoot {
  source: SkillSource;
  /** Absolute, real path (symlinks in the configured path resolved); may not exist. */
  dir: string;
}

export interface SkillRootsInput {
  config: PincerConfig;
  /** The config file's path: relative `extra_dirs` are relative to its folder. */
  configFile: string;
  stateDir: string;
  workspace: string;
  env: Record<string, string | undefined>;
  /** The shipped skills folder; default: bundledSkillsDir(). */
  bundledDir?: string | undefined;
}

/** The skill roots in precedence order. Roots that do not exist are left out. */
export function listSkillRoots(input: SkillRootsInput): SkillRoot[] {
  const roots: SkillRoot[] = [
    { source: "workspace", dir: join(input.workspace, "skills") },
    { source: "workspace-agents", dir: join(input.workspace, ".agents", "skills") },
    { source: "managed", dir: managedSkillsDir(input.stateDir) },
  ];
  for (const entry of input.config.skills.extra_dirs) {
    const expanded = expandHome(entry, input.env);
    roots.push({ source: "extra", dir: isAbsolute(expanded) ? resolve(expanded) : resolve(dirname(input.configFile), expanded) });
  }
  if (input.config.skills.bundled) {
    const bundled = input.bundledDir ?? bundledSkillsDir();
    if (bundled) roots.push({ source: "bundled", dir: bundled });
  }
  const seen = new Set<string>();
  return roots.flatMap((root) => {
    const real = realDir(root.dir);
    // The same folder listed twice (say an extra dir that is the managed one) counts once, at its higher place.
    if (real === undefined || seen.has(real)) return [];
    seen.add(real);
    return [{ source: root.source, dir: real }];
  });
}

function realDir(dir: string): string | undefined {
  try {
    const real = realpathSync(dir);
    return lstatSync(real).isDirectory() ? real : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The folders of `root` that hold a SKILL.md, by name. Folders reached through a symlink are skipped: a skill
 * folder is always a real directory inside its root, so the walker rooted at it can never leave it.
 */
export function listSkillFolders(root: string): string[] {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith(".") && existsSync(join(root, e.name, SKILL_FILE)))
    .map((e) => e.name)
    .sort();
}

/**
 * The `skills/` folder shipped with Pincer: found from this module's location upwards (src/skills/ when run from
 * source, dist/ or a chunk of it when bundled) as the folder beside the package's package.json.
 */
export function bundledSkillsDir(from: string = fileURLToPath(import.meta.url)): string | undefined {
  let dir = dirname(from);
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json"))) {
      const skills = join(dir, "skills");
      return existsSync(skills) ? skills : undefined;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}
