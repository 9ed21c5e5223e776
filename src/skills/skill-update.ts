// Updating skills installed from a registry: a newer version is staged beside the installed one and swapped in with
// two renames (old away, new in, old removed). Local edits — the folder's fingerprint no longer the lock's — refuse
// the update unless forced. Grants are kept; what the new version declares beyond them is reported, not granted.
import { randomBytes } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ownEntry, setOwnEntry } from "../core/own-entry.ts";
import { SkillError } from "./skill-errors.ts";
import { exists } from "./skill-install.ts";
import { managedSkillsDir, readSkillLock, writeSkillLock, type SkillInstallRecord } from "./skill-lock.ts";
import { auditSkill, discardStaged, stageSkill, type SkillActor, type StageOptions } from "./skill-staging.ts";
import { withSkillsMutex } from "./skills-mutex.ts";

export interface UpdateOptions extends Omit<StageOptions, "slug" | "version"> {
  /** A skill name or registry slug; absent with `all`. */
  target?: string;
  /** Every skill installed from this registry. */
  all?: boolean;
  /** Overwrite local edits (and install a version the registry flags as suspicious). */
  force?: boolean;
}

export interface UpdateOutcome {
  name: string;
  slug: string;
  from: string;
  to: string;
  status: "updated" | "up-to-date" | "skipped";
  /** Why it was skipped (installed from another registry). */
  note?: string;
  /** Binaries and env vars the new version declares that are not granted. */
  ungranted?: { bins: string[]; env: string[] };
}

/** Updates one skill (`target`) or all (`all`); a refusal of one skill with `all` stops the run with its error. */
export async function updateSkills(actor: SkillActor, opts: UpdateOptions): Promise<UpdateOutcome[]> {
  const lock = await readSkillLock(actor.stateDir);
  const entries = Object.entries(lock.installs);
  let chosen: Array<[string, SkillInstallRecord]>;
  if (opts.all) chosen = entries;
  else {
    const found = entries.find(([name]) => name === opts.target) ?? entries.find(([, rec]) => rec.slug === opts.target);
    if (!found) throw new SkillError("not_installed", `no skill "${opts.target ?? ""}" was installed from a registry. See 'pincer skills list'`);
    chosen = [found];
  }
  const outcomes: UpdateOutcome[] = [];
  for (const [name, record] of chosen) {
    if (record.registry !== opts.client.registry) {
      const note = `installed from ${record.registry}; run with PINCER_SKILLS_REGISTRY=${record.registry} to update it`;
      if (!opts.all) throw new SkillError("not_installed", `skill "${name}" was ${note}`);
      outcomes.push({ name, slug: record.slug, from: record.version, to: record.version, status: "skipped", note });
      continue;
    }
    outcomes.push(await updateOne(actor, opts, name, record));
  }
  return outcomes;
}

async function updateOne(actor: SkillActor, opts: UpdateOptions, name: string, record: SkillInstallRecord): Promise<UpdateOutcome> {
  const say = actor.progress ?? (() => undefined);
  const skill = await opts.client.getSkill(record.slug);
  const latest = skill.latestVersion;
  if (!latest || compareVersions(latest, record.version) <= 0) {
    say(`${name} is up to date (${record.version})`);
    return { name, slug: record.slug, from: record.version, to: record.version, status: "up-to-date" };
  }
  const dir = join(managedSkillsDir(actor.stateDir), name);
  if (await exists(dir)) {
    const now = await opts.scan(dir);
    if (now.fingerprint !== record.fingerprint && !opts.force) {
      throw new SkillError("local_edits", `skill "${name}" was edited since ${record.version} was installed (its files no longer match the fingerprint in the lock file). Fix: keep your edits and skip this update, or overwrite them with 'pincer skills update ${name} --force'`);
    }
  }
  const staged = await stageSkill(actor, { ...opts, slug: record.slug, version: latest });
  try {
    if (staged.declarations.name !== name) {
      throw new SkillError("invalid_bundle", `bundle refused: ${record.slug} ${latest} names the skill "${staged.declarations.name}", not "${name}". Fix: remove "${name}" and install ${record.slug} again`);
    }
    await actor.repo.putBundle(staged.sha256, staged.bundle);
    return await withSkillsMutex(actor.stateDir, async () => {
      const lock = await readSkillLock(actor.stateDir);
      if (ownEntry(lock.installs, name)?.version !== record.version) throw new SkillError("busy", `skill "${name}" changed while updating; run the update again`);
      const install: SkillInstallRecord = { ...record, version: latest, sha256: staged.sha256, fingerprint: staged.report.fingerprint, installedAt: new Date(actor.now()).toISOString() };
      await actor.repo.setInstall(name, install);
      try {
        await swapIn(staged.dir, dir);
      } catch (err) {
        await actor.repo.setInstall(name, record).catch(() => undefined);
        throw err;
      }
      setOwnEntry(lock.installs, name, install);
      await writeSkillLock(actor.stateDir, lock);
      await auditSkill(actor, "skill.updated", `updated ${record.slug} ${record.version} → ${latest}`, { name, from: record.version, ...install });
      const grant = ownEntry(lock.grants, name);
      const ungranted = {
        bins: staged.declarations.bins.filter((b) => !grant?.bins.includes(b)),
        env: staged.declarations.env.filter((e) => !grant?.env.includes(e)),
      };
      say(`updated ${name}: ${record.version} → ${latest}`);
      return { name, slug: record.slug, from: record.version, to: latest, status: "updated" as const, ...(ungranted.bins.length + ungranted.env.length > 0 ? { ungranted } : {}) };
    });
  } catch (err) {
    await discardStaged(staged.dir);
    throw err;
  }
}

/** Old folder renamed away, new one renamed in, old one removed; a failed second rename puts the old one back. */
export async function swapIn(staging: string, dir: string): Promise<void> {
  const old = join(dirname(dir), `.replaced-${randomBytes(6).toString("hex")}`);
  const hadOld = await exists(dir);
  if (hadOld) await rename(dir, old);
  try {
    await rename(staging, dir);
  } catch (err) {
    if (hadOld) await rename(old, dir);
    throw err;
  }
  if (hadOld) await rm(old, { recursive: true, force: true });
}

/** Compares versions like semver (numeric parts, a pre-release sorts before its release); negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string): [number[], string] => {
    const [core = "", pre = ""] = v.replace(/\+.*$/, "").split(/-(.*)/s);
    return [core.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : 0)), pre];
  };
  const [ca, pa] = split(a);
  const [cb, pb] = split(b);
  for (let i = 0; i < Math.max(ca.length, cb.length); i++) {
    const d = (ca[i] ?? 0) - (cb[i] ?? 0);
    if (d !== 0) return d;
  }
  if (pa === pb) return 0;
  if (!pa) return 1;
  if (!pb) return -1;
  return pa < pb ? -1 : 1;
}
