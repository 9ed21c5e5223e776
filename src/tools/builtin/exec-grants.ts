// Pure: what a run's skill grants change for one exec command — granted binaries joining policy.exec.safe_bins
// (the blocked list and the escape checks still apply first), and which skill a command belongs to, for its env.
import { basename, posix } from "node:path";
import type { Policy } from "../../core/config-schema.ts";
import { SKILLS_MOUNT } from "../skill-paths.ts";
import type { SkillView } from "../tool.ts";

export interface ExecGrants {
  /** policy.exec with every granted binary of the run's skills added to safe_bins. */
  exec: Policy["exec"];
  /** The skill whose granted binary let argv[0] run (it was not in safe_bins already), for the audit record. */
  binGrantedBy: string | undefined;
  /** The skill this command belongs to, whose granted env vars it gets (when policy.exec.skill_env allows). */
  owner: string | undefined;
}

/** The skill named by a path under `/skills/<name>/`, if any. */
function skillOfPath(arg: string | undefined): string | undefined {
  if (!arg?.startsWith(`${SKILLS_MOUNT}/`)) return undefined;
  const [name] = posix.normalize(arg).slice(SKILLS_MOUNT.length + 1).split("/");
  return name || undefined;
}

/**
 * Applies the grants of `skills` to one argv. A command belongs to a skill when its program is one of that skill's
 * granted binaries, or is a file under `/skills/<name>/` — directly, or as the script an interpreter runs
 * (`sh /skills/<name>/run.sh`). Pure.
 */
export function applyExecGrants(argv: readonly string[], exec: Policy["exec"], skills: SkillView | undefined): ExecGrants {
  const grants = skills?.grants;
  if (!grants || grants.size === 0) return { exec, binGrantedBy: undefined, owner: undefined };
  const program = basename(argv[0] ?? "");
  const granted = [...grants].flatMap(([, g]) => g.bins).filter((bin) => !exec.safe_bins.includes(bin));
  const widened = granted.length > 0 ? { ...exec, safe_bins: [...exec.safe_bins, ...new Set(granted)] } : exec;
  const byBin = [...grants].find(([, g]) => g.bins.includes(program))?.[0];
  const byPath = [argv[0], argv[1]].map(skillOfPath).find((name) => name !== undefined && skills.dirs.has(name));
  return {
    exec: widened,
    binGrantedBy: byBin !== undefined && !exec.safe_bins.includes(program) ? byBin : undefined,
    owner: byPath ?? byBin,
  };
}
