// Installing a skill from a registry into `<state>/skills/<name>/` and removing it again, recorded in the lock file
// and audited. Install: stage (moderation, download, safe extraction, name, scan), then under the skills mutex the
// record in the store (bundle, install, grants: what the other nodes of a cluster sync from), one rename into place and
// the lock entry (plus the grants with `grant`). Update is skill-update.ts; grants skill-grants.ts.
import { lstat, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { SKILL_NAME } from "../core/config-schema.ts";
import { hasOwnEntry, ownEntry, setOwnEntry } from "../core/own-entry.ts";
import { describeNeeds, type SkillDeclarations } from "./skill-declarations.ts";
import { SkillError } from "./skill-errors.ts";
import { managedSkillsDir, readSkillLock, writeSkillLock, type SkillInstallRecord } from "./skill-lock.ts";
import { auditSkill, discardStaged, stageSkill, type SkillActor, type StageOptions } from "./skill-staging.ts";
import type { ScanReport, SkillGrant } from "./skill-types.ts";
import { withSkillsMutex } from "./skills-mutex.ts";

export interface InstallOptions extends StageOptions {
  /** Grant everything the skill declares (binaries, env vars) right away. */
  grant?: boolean;
}

export interface InstallResult {
  name: string;
  dir: string;
  install: SkillInstallRecord;
  /** What SKILL.md declares it needs. */
  declared: Pick<SkillDeclarations, "bins" | "env">;
  /** The grants now in force (undefined: none). */
  grant: SkillGrant | undefined;
  scan: Pick<ScanReport, "verdict" | "findings">;
}

/** Installs `slug` (at `version`, or the latest). Contract: on any failure nothing is left under the state dir. */
export async function installSkill(actor: SkillActor, opts: InstallOptions): Promise<InstallResult> {
  const staged = await stageSkill(actor, opts);
  const { name } = staged.declarations;
  const dir = join(managedSkillsDir(actor.stateDir), name);
  try {
    await actor.repo.putBundle(staged.sha256, staged.bundle);
    return await withSkillsMutex(actor.stateDir, async () => {
      const lock = await readSkillLock(actor.stateDir);
      if (await exists(dir)) {
        const known = ownEntry(lock.installs, name);
        throw new SkillError(
          "exists",
          known
            ? `skill "${name}" is installed already (${known.slug} ${known.version} from ${known.registry}). Fix: 'pincer skills update ${name}', or remove it first`
            : `${dir} exists and was not installed from a registry. Fix: move that folder away, or keep it and do not install "${opts.slug}"`,
        );
      }
      const install: SkillInstallRecord = {
        registry: opts.client.registry, slug: staged.skill.slug, version: staged.version, sha256: staged.sha256,
        fingerprint: staged.report.fingerprint, installedAt: new Date(actor.now()).toISOString(),
      };
      const hadGrant = ownEntry(lock.grants, name);
      setOwnEntry(lock.installs, name, install);
      const { bins, env } = staged.declarations;
      if (opts.grant && bins.length + env.length > 0) actor.progress?.(`granting ${describeNeeds({ bins, env })} to ${name} (--grant)`);
      if (opts.grant && bins.length + env.length > 0) setOwnEntry(lock.grants, name, { bins, env, grantedAt: install.installedAt });
      const grantNow = ownEntry(lock.grants, name);
      await actor.repo.setInstall(name, install);
      if (grantNow !== hadGrant) await actor.repo.setGrant(name, grantNow);
      try {
        await rename(staged.dir, dir);
        try {
          await writeSkillLock(actor.stateDir, lock);
        } catch (err) {
          await rm(dir, { recursive: true, force: true });
          throw err;
        }
      } catch (err) {
        await actor.repo.setInstall(name, undefined).catch(() => undefined);
        if (grantNow !== hadGrant) await actor.repo.setGrant(name, hadGrant).catch(() => undefined);
        throw err;
      }
      actor.progress?.(`installed ${name} (${install.slug} ${install.version}) in ${dir}`);
      await auditSkill(actor, "skill.installed", `installed ${install.slug} ${install.version}`, { name, ...install });
      const grant = ownEntry(lock.grants, name);
      if (opts.grant && grant) await auditSkill(actor, "skill.granted", "granted at install", { name, bins: grant.bins, env: grant.env });
      return { name, dir, install, declared: { bins, env }, grant, scan: { verdict: staged.report.verdict, findings: staged.report.findings } };
    });
  } catch (err) {
    await discardStaged(staged.dir);
    throw err;
  }
}

export interface RemoveResult {
  name: string;
  /** The lock entry removed, if the skill came from a registry. */
  install: SkillInstallRecord | undefined;
  /** The grants removed with it. */
  grant: SkillGrant | undefined;
}

/** Removes `<state>/skills/<name>` and its lock entries (install and grants), audited. */
export async function removeSkill(actor: SkillActor, name: string): Promise<RemoveResult> {
  checkSkillName(name);
  const dir = join(managedSkillsDir(actor.stateDir), name);
  return withSkillsMutex(actor.stateDir, async () => {
    const lock = await readSkillLock(actor.stateDir);
    const install = ownEntry(lock.installs, name);
    const grant = ownEntry(lock.grants, name);
    const present = await exists(dir);
    if (!present && !install && !grant) throw new SkillError("not_installed", `no skill "${name}" in ${managedSkillsDir(actor.stateDir)}. See 'pincer skills list'`);
    await actor.repo.setInstall(name, undefined);
    await actor.repo.setGrant(name, undefined);
    if (present) {
      // Out of sight in one step, then deleted: a reader never sees half a skill.
      const doomed = join(managedSkillsDir(actor.stateDir), `.removing-${randomBytes(6).toString("hex")}`);
      await rename(dir, doomed);
      await rm(doomed, { recursive: true, force: true });
    }
    if (hasOwnEntry(lock.installs, name)) delete lock.installs[name];
    if (hasOwnEntry(lock.grants, name)) delete lock.grants[name];
    await writeSkillLock(actor.stateDir, lock);
    await auditSkill(actor, "skill.removed", `removed ${name}`, { name, slug: install?.slug, version: install?.version, grantsRemoved: grant ? { bins: grant.bins, env: grant.env } : null });
    return { name, install, grant };
  });
}

/** Names go into paths: only valid skill names pass. */
export function checkSkillName(name: string): void {
  if (!SKILL_NAME.test(name)) throw new SkillError("not_installed", `"${name.slice(0, 80)}" is not a skill name (1-64 lowercase letters, digits and single hyphens)`);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
