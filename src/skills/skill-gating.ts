// Pure gating of one skill: does this machine meet its requirements (binaries, env vars, config keys, OS)?
// The answer names what is missing. Precedence, allowlists and the scanner's verdict are the catalog's.
import { accessSync, constants, statSync } from "node:fs";
import { join } from "node:path";
import { SANDBOX_PATH } from "../sandbox/sandbox.ts";
import type { SkillManifest } from "./skill-types.ts";

export interface GatingHost {
  /** Whether a program of this name can be run by exec (found on the sandbox's PATH). */
  hasBin: (name: string) => boolean;
  env: Record<string, string | undefined>;
  /** The loaded config, for `requires.config` key paths. */
  config: unknown;
  platform: string;
}

/** Why the skill cannot be offered here, or undefined when it can. `always: true` skips `requires` (not `os`). */
export function checkRequirements(manifest: SkillManifest, host: GatingHost): string | undefined {
  if (manifest.os.length > 0 && !manifest.os.includes(host.platform)) {
    return `supports ${manifest.os.join(", ")}, not ${host.platform}`;
  }
  if (manifest.always) return undefined;
  const { bins, anyBins, env, config } = manifest.requires;
  const missingBins = bins.filter((bin) => !host.hasBin(bin));
  if (missingBins.length > 0) return `needs ${plural("program", missingBins)} on PATH: ${missingBins.join(", ")}`;
  if (anyBins.length > 0 && !anyBins.some((bin) => host.hasBin(bin))) return `needs one of these programs on PATH: ${anyBins.join(", ")}`;
  const missingEnv = env.filter((name) => !host.env[name]);
  if (missingEnv.length > 0) return `needs ${plural("environment variable", missingEnv)} ${missingEnv.join(", ")} set in the gateway's environment`;
  const unset = config.filter((path) => !readConfigPath(host.config, path));
  if (unset.length > 0) return `needs ${plural("config key", unset)} set in pincer.yaml: ${unset.join(", ")}`;
  return undefined;
}

function plural(word: string, items: readonly string[]): string {
  return items.length === 1 ? `the ${word}` : `the ${word}s`;
}

/** The value at a dotted key path, own properties only (`a.b.c`); undefined when any step is missing. */
export function readConfigPath(root: unknown, path: string): unknown {
  let value = root;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * A `hasBin` over PATH-style dirs (default: the sandbox's PATH, since exec runs there): an executable regular file
 * of that name. Names with a slash are never looked up.
 */
export function createBinLookup(path: string = SANDBOX_PATH): (name: string) => boolean {
  const dirs = path.split(":").filter(Boolean);
  return (name) => {
    if (!name || name.includes("/") || name === "." || name === "..") return false;
    return dirs.some((dir) => {
      const file = join(dir, name);
      try {
        if (!statSync(file).isFile()) return false;
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  };
}
