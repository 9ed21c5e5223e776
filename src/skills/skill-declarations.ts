// What a skill folder's SKILL.md says about itself that installing and granting need: its name, and the binaries and
// env vars it declares (OpenClaw's `metadata.openclaw.requires.bins/anyBins/env` and `primaryEnv`), read through the
// loader's manifest parser (skill-manifest.ts).
import { loadSkillManifest } from "./skill-manifest.ts";
import { SkillError } from "./skill-errors.ts";

export interface SkillDeclarations {
  name: string;
  /** `requires.bins` and `requires.anyBins`, each once. */
  bins: string[];
  /** `requires.env` and `primaryEnv`, each once. */
  env: string[];
}

const BIN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const ENV = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Reads `<dir>/SKILL.md` (a regular file, not a link). Throws SkillError `invalid_bundle` when the manifest is not
 * usable (missing, no frontmatter, no valid name, no description); binaries and env var names of an unusable shape
 * are left out. */
export async function readSkillDeclarations(dir: string): Promise<SkillDeclarations> {
  const parsed = await loadSkillManifest(dir);
  if (!parsed.ok) throw new SkillError("invalid_bundle", `bundle refused: ${parsed.reason}`);
  const { name, requires, primaryEnv } = parsed.manifest;
  const bins = [...requires.bins, ...requires.anyBins].filter((b) => BIN.test(b));
  const env = [...requires.env, ...(primaryEnv ? [primaryEnv] : [])].filter((e) => ENV.test(e));
  return { name, bins: [...new Set(bins)], env: [...new Set(env)] };
}

/** `binaries curl, jq and env vars API_KEY`, or `nothing`. */
export function describeNeeds(what: { bins: readonly string[]; env: readonly string[] }): string {
  const parts = [what.bins.length ? `binaries ${what.bins.join(", ")}` : "", what.env.length ? `env vars ${what.env.join(", ")}` : ""].filter(Boolean);
  return parts.join(" and ") || "nothing";
}
