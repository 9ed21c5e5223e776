// Consent for what a skill declares it needs: binaries (`requires.bins`/`anyBins`) and env vars (`requires.env`,
// `primaryEnv`) are the skill's only when the user grants them. Grants live in the lock file's `grants[name]`; every
// grant and revoke is audited and recorded in the store too (for the other nodes of a cluster). Only what SKILL.md
// declares can be granted.
import { join } from "node:path";
import { ownEntry, setOwnEntry } from "../core/own-entry.ts";
import { describeNeeds as describe, readSkillDeclarations } from "./skill-declarations.ts";

export { describeNeeds as describe } from "./skill-declarations.ts";
import { SkillError } from "./skill-errors.ts";
import { checkSkillName, exists } from "./skill-install.ts";
import { managedSkillsDir } from "./skill-lock.ts";
import { auditSkill, type SkillActor } from "./skill-staging.ts";
import type { SkillGrant } from "./skill-types.ts";
import { updateSkillLock } from "./skills-mutex.ts";

export interface GrantRequest {
  name: string;
  /** Binaries to grant or revoke; absent (with `env` absent too) means everything declared or granted. */
  bins?: string[];
  env?: string[];
  /** The skill's folder; default `<state>/skills/<name>` (the loader knows the other sources). */
  dir?: string;
}

/** Grants `bins`/`env` (default: all the skill declares), added to what it had. Returns the grant now in force. */
export async function grantSkill(actor: SkillActor, req: GrantRequest): Promise<SkillGrant> {
  checkSkillName(req.name);
  const dir = req.dir ?? join(managedSkillsDir(actor.stateDir), req.name);
  if (!(await exists(dir))) throw new SkillError("not_installed", `no skill "${req.name}" in ${managedSkillsDir(actor.stateDir)}. See 'pincer skills list'`);
  const declared = await readSkillDeclarations(dir);
  if (declared.bins.length + declared.env.length === 0) throw new SkillError("invalid_grant", `skill "${req.name}" declares no binaries or env vars; there is nothing to grant`);
  const everything = req.bins === undefined && req.env === undefined;
  const bins = everything ? declared.bins : (req.bins ?? []);
  const env = everything ? declared.env : (req.env ?? []);
  const undeclared = [...bins.filter((b) => !declared.bins.includes(b)).map((b) => `binary ${b}`), ...env.filter((e) => !declared.env.includes(e)).map((e) => `env var ${e}`)];
  if (undeclared.length > 0) {
    throw new SkillError("invalid_grant", `skill "${req.name}" does not declare ${undeclared.join(", ")}; it declares ${describe(declared)}. Only what its SKILL.md declares can be granted`);
  }
  const grant = await updateSkillLock(actor.stateDir, async (lock) => {
    const had = ownEntry(lock.grants, req.name);
    const next: SkillGrant = { bins: union(had?.bins ?? [], bins), env: union(had?.env ?? [], env), grantedAt: new Date(actor.now()).toISOString() };
    await actor.repo.setGrant(req.name, next);
    setOwnEntry(lock.grants, req.name, next);
    return next;
  });
  await auditSkill(actor, "skill.granted", `granted ${describe({ bins, env })} to ${req.name}`, { name: req.name, bins, env });
  return grant;
}

/** Revokes `bins`/`env` (default: every grant of the skill). Returns what stays granted (undefined: nothing). */
export async function revokeSkill(actor: SkillActor, req: GrantRequest): Promise<SkillGrant | undefined> {
  checkSkillName(req.name);
  const everything = req.bins === undefined && req.env === undefined;
  const { removed, left } = await updateSkillLock(actor.stateDir, async (lock) => {
    const had = ownEntry(lock.grants, req.name);
    if (!had) throw new SkillError("invalid_grant", `skill "${req.name}" has no grants to revoke`);
    const bins = everything ? had.bins : (req.bins ?? []);
    const env = everything ? had.env : (req.env ?? []);
    const missing = [...bins.filter((b) => !had.bins.includes(b)).map((b) => `binary ${b}`), ...env.filter((e) => !had.env.includes(e)).map((e) => `env var ${e}`)];
    if (missing.length > 0) throw new SkillError("invalid_grant", `skill "${req.name}" was not granted ${missing.join(", ")}; it has ${describe(had)}`);
    const next: SkillGrant = { bins: had.bins.filter((b) => !bins.includes(b)), env: had.env.filter((e) => !env.includes(e)), grantedAt: had.grantedAt };
    await actor.repo.setGrant(req.name, next.bins.length + next.env.length === 0 ? undefined : next);
    if (next.bins.length + next.env.length === 0) delete lock.grants[req.name];
    else setOwnEntry(lock.grants, req.name, next);
    return { removed: { bins, env }, left: next.bins.length + next.env.length > 0 ? next : undefined };
  });
  await auditSkill(actor, "skill.revoked", `revoked ${describe(removed)} from ${req.name}`, { name: req.name, ...removed });
  return left;
}


function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
