// The read side of skills on a cluster: before a run, a node brings its managed skills folder `<state>/skills` in line
// with the store. One small query (the generation) when nothing changed since this process last looked; otherwise the
// missing or changed bundles are materialised through the installer's checks — sha256, safe extraction, the name in
// SKILL.md, the scanner — each in a staging folder swapped in with renames, skills no longer installed are removed,
// and the lock file is rewritten from the store (installs and grants). All under the skills folder's mutex, so
// processes sharing a state dir take turns.
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SKILL_NAME } from "../core/config-schema.ts";
import { ownEntry } from "../core/own-entry.ts";
import type { SkillInstallEntry, SkillRepo } from "../store/store.ts";
import { DEFAULT_BUNDLE_LIMITS, extractSkillBundle, type BundleLimits } from "./skill-bundle.ts";
import { readSkillDeclarations } from "./skill-declarations.ts";
import { isSkillError, SkillError } from "./skill-errors.ts";
import { exists } from "./skill-install.ts";
import { managedSkillsDir, readSkillLock, writeSkillLock, type SkillInstallRecord } from "./skill-lock.ts";
import { formatFindings, type SkillActor } from "./skill-staging.ts";
import type { SkillGrant, SkillScanner } from "./skill-types.ts";
import { swapIn } from "./skill-update.ts";
import { withSkillsMutex } from "./skills-mutex.ts";

export interface SkillSyncOptions {
  stateDir: string;
  repo: Pick<SkillRepo, "generation" | "snapshot" | "getBundle">;
  scan: SkillScanner;
  limits?: BundleLimits;
}

/** A skill the store lists that this node did not materialise, and why. */
export interface SkillRefusal {
  name: string;
  reason: string;
}

export interface SkillSyncResult {
  /** False when the generation was the one already synced: nothing else was read. */
  changed: boolean;
  /** Skills written into the folder (new or changed). */
  materialised: string[];
  removed: string[];
  /** Skills left as they were (a refused bundle is not retried until the store changes it; a missing one is). */
  refused: SkillRefusal[];
}

export interface SkillSync {
  /** Brings `<state>/skills` in line with the store. Concurrent calls in one process share one pass. */
  sync(): Promise<SkillSyncResult>;
}

/** One per process: it remembers the generation synced last and the bundles refused. */
export function createSkillSync(opts: SkillSyncOptions): SkillSync {
  let synced: number | undefined;
  const refusedBundles = new Map<string, string>();
  let running: Promise<SkillSyncResult> | undefined;

  const pass = async (): Promise<SkillSyncResult> => {
    const generation = await opts.repo.generation();
    // Generation 0: no skill change was ever recorded (a store older than its skills, e.g. just upgraded). Then the
    // store says nothing about what should be installed, and the skills already here stay.
    if (generation === synced || generation === 0) return { changed: false, materialised: [], removed: [], refused: [] };
    const snapshot = await opts.repo.snapshot();
    const result: SkillSyncResult = { changed: true, materialised: [], removed: [], refused: [] };
    let retry = false;
    await withSkillsMutex(opts.stateDir, async () => {
      const lock = await readSkillLock(opts.stateDir);
      const installs: Record<string, SkillInstallRecord> = Object.create(null);
      for (const [name, entry] of snapshot.installs) {
        if (!SKILL_NAME.test(name)) {
          result.refused.push({ name: name.slice(0, 80), reason: "not a valid skill name" });
          continue;
        }
        const local = ownEntry(lock.installs, name);
        const dir = join(managedSkillsDir(opts.stateDir), name);
        if (local?.sha256 === entry.sha256 && (await exists(dir))) {
          installs[name] = { ...entry };
          continue;
        }
        const known = refusedBundles.get(entry.sha256);
        try {
          if (known) throw new SkillError("invalid_bundle", known);
          await materialise(opts, name, entry, dir);
          installs[name] = { ...entry };
          result.materialised.push(name);
        } catch (err) {
          if (!isSkillError(err)) throw err;
          if (err.code === "not_found") retry = true;
          else refusedBundles.set(entry.sha256, err.message);
          result.refused.push({ name, reason: err.message });
          if (local) installs[name] = local; // the version already here stays, as it is
        }
      }
      for (const name of Object.keys(lock.installs)) {
        if (snapshot.installs.has(name) || !SKILL_NAME.test(name)) continue;
        await removeFolder(join(managedSkillsDir(opts.stateDir), name));
        result.removed.push(name);
      }
      const grants: Record<string, SkillGrant> = Object.create(null);
      for (const [name, grant] of snapshot.grants) if (SKILL_NAME.test(name)) grants[name] = { ...grant };
      await writeSkillLock(opts.stateDir, { version: 1, installs, grants });
    });
    if (!retry) synced = snapshot.generation;
    return result;
  };

  return {
    sync() {
      running ??= pass().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}

/** Writes the bundle of `entry` into `dir` through the installer's checks; SkillError when it is refused or missing. */
async function materialise(opts: SkillSyncOptions, name: string, entry: SkillInstallEntry, dir: string): Promise<void> {
  const bytes = await opts.repo.getBundle(entry.sha256);
  if (!bytes) throw new SkillError("not_found", `the store has no bundle ${entry.sha256.slice(0, 12)}… for "${name}" (${entry.slug} ${entry.version}); it is retried on the next run`);
  if (createHash("sha256").update(bytes).digest("hex") !== entry.sha256) {
    throw new SkillError("invalid_bundle", `bundle refused: the store's bundle for "${name}" does not hash to ${entry.sha256}`);
  }
  const skillsDir = managedSkillsDir(opts.stateDir);
  await mkdir(skillsDir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(skillsDir, ".staging-"));
  try {
    await chmod(staging, 0o700);
    await extractSkillBundle(bytes, staging, opts.limits ?? DEFAULT_BUNDLE_LIMITS);
    const declared = await readSkillDeclarations(staging);
    if (declared.name !== name) throw new SkillError("invalid_bundle", `bundle refused: ${entry.slug} ${entry.version} names the skill "${declared.name.slice(0, 80)}", not "${name}"`);
    const report = await opts.scan(staging);
    if (report.verdict === "block") throw new SkillError("scan_blocked", `the safety scan blocked "${name}" (${entry.slug} ${entry.version}):\n${formatFindings(report.findings, "block")}`);
    await swapIn(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/** Out of sight in one rename, then deleted: a reader never sees half a skill. */
async function removeFolder(dir: string): Promise<void> {
  if (!(await exists(dir))) return;
  const doomed = join(dirname(dir), `.removing-${randomBytes(6).toString("hex")}`);
  await rename(dir, doomed);
  await rm(doomed, { recursive: true, force: true });
}

/** Before an install, update, removal or grant change on a cluster node: its folder and lock may lag behind the store
 * (a change made on another node), so they are brought in line first; what was not materialised is said as progress. */
export async function syncBeforeChange(actor: SkillActor, scan: SkillScanner): Promise<void> {
  const { refused } = await createSkillSync({ stateDir: actor.stateDir, repo: actor.repo, scan }).sync();
  for (const r of refused) actor.progress?.(`warning: skill "${r.name}" from the store was not materialised here: ${r.reason}`);
}
