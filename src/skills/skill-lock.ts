// The lock file `<state>/skills/skills.lock.json`: where each installed skill came from (registry, slug,
// version, bundle sha256, fingerprint of the installed files) and the grants of every skill, installed or not.
// Written atomically (temp + rename, 0600); an unreadable or wrongly shaped file is a ConfigError, never a reset.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ConfigError } from "../core/errors.ts";
import type { SkillGrant } from "./skill-types.ts";

const installSchema = z.object({
  registry: z.string(),
  slug: z.string(),
  version: z.string(),
  /** sha256 (hex) of the downloaded bundle. */
  sha256: z.string(),
  /** ScanReport.fingerprint of the files as installed. */
  fingerprint: z.string(),
  installedAt: z.string(),
});
const grantSchema = z.object({ bins: z.array(z.string()), env: z.array(z.string()), grantedAt: z.string() });
const lockSchema = z.object({
  version: z.literal(1),
  installs: z.record(z.string(), installSchema),
  grants: z.record(z.string(), grantSchema),
});

export type SkillInstallRecord = z.infer<typeof installSchema>;
export type SkillLock = z.infer<typeof lockSchema>;

export const SKILLS_DIR = "skills";
export const LOCK_FILE = "skills.lock.json";

/** The managed skills folder, `<state>/skills`. */
export function managedSkillsDir(stateDir: string): string {
  return join(stateDir, SKILLS_DIR);
}

export function skillLockPath(stateDir: string): string {
  return join(managedSkillsDir(stateDir), LOCK_FILE);
}

export function emptySkillLock(): SkillLock {
  return { version: 1, installs: {}, grants: {} };
}

/** Reads the lock file; a missing file is an empty lock. Records are null-prototype maps (names are user input). */
export async function readSkillLock(stateDir: string): Promise<SkillLock> {
  const path = skillLockPath(stateDir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptySkillLock();
    throw new ConfigError({
      file: path,
      problem: `cannot read the skills lock file (${(error as Error).message})`,
      fix: "check the file's owner and permissions",
      cause: error,
    });
  }
  let parsed: SkillLock;
  try {
    parsed = lockSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new ConfigError({
      file: path,
      problem: `the skills lock file is not valid (${(error as Error).message.split("\n")[0]})`,
      fix: "restore it from a backup, or remove it and reinstall the skills with 'pincer skills install'",
      cause: error,
    });
  }
  return {
    version: 1,
    installs: Object.assign(Object.create(null) as Record<string, SkillInstallRecord>, parsed.installs),
    grants: Object.assign(Object.create(null) as Record<string, SkillGrant>, parsed.grants),
  };
}

/** Writes the whole lock atomically (0600; the folder 0700). */
export async function writeSkillLock(stateDir: string, lock: SkillLock): Promise<void> {
  const dir = managedSkillsDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = skillLockPath(stateDir);
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const body = { version: 1, installs: { ...lock.installs }, grants: { ...lock.grants } };
  await writeFile(temp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
}
