// `pincer doctor` check of the skills on this machine: each skill folder scanned, blocked skills reported (fail),
// blocked skills that load anyway through skills.allow_unsafe (warn), and installed skills edited since install.
import type { Env } from "../config/paths.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { findSkillFolders, type SkillFolder } from "../skills/find-skill-folders.ts";
import { readSkillLock, type SkillLock } from "../skills/skill-lock.ts";
import { scanSkillFolder } from "../skills/skill-scanner.ts";
import type { ScanReport } from "../skills/skill-types.ts";
import type { Check } from "./doctor-command.ts";

const MAX_NAMES = 5;

/** Never throws. No skill folder at all is one ok line. */
export async function checkSkills(config: PincerConfig, configFile: string, stateDir: string, env: Env): Promise<Check[]> {
  const folders = await findSkillFolders({ config, configFile, stateDir, env });
  if (folders.length === 0) return [{ name: "skills", status: "ok", detail: "no skill folders found" }];
  const scanned: { folder: SkillFolder; report: ScanReport }[] = [];
  for (const folder of folders) scanned.push({ folder, report: await scanSkillFolder(folder.dir) });
  const allowUnsafe = new Set(config.skills.allow_unsafe);
  const blocked = scanned.filter((s) => s.report.verdict === "block" && !allowUnsafe.has(s.folder.name));
  const unsafe = scanned.filter((s) => s.report.verdict === "block" && allowUnsafe.has(s.folder.name));
  const warned = scanned.filter((s) => s.report.verdict === "warn");
  const checks: Check[] = [];
  if (blocked.length > 0) {
    checks.push({
      name: "skills",
      status: "fail",
      detail: `${blocked.length} of ${scanned.length} skill(s) blocked by the safety scanner, so not loaded: ${listNames(blocked.map((s) => s.folder))}`,
      fix: "see why with 'pincer skills check <name>' (or the Control UI's Skills page); remove the folder, or after a careful review add the name to skills.allow_unsafe",
    });
  }
  if (unsafe.length > 0) {
    checks.push({
      name: "skills",
      status: "warn",
      detail: `${listNames(unsafe.map((s) => s.folder))} load(s) despite blocking findings (skills.allow_unsafe)`,
      fix: "re-check them with 'pincer skills check <name>' after every update; remove them from skills.allow_unsafe when no longer needed",
    });
  }
  if (blocked.length === 0 && unsafe.length === 0) {
    const warnings = warned.length > 0 ? `, ${warned.length} with warnings (${listNames(warned.map((s) => s.folder))}; 'pincer skills check' shows them)` : "";
    checks.push({ name: "skills", status: "ok", detail: `${scanned.length} skill(s) scanned, none blocked${warnings}` });
  }
  checks.push(...(await checkInstalledEdits(stateDir, scanned)));
  return checks;
}

/** Managed skills whose files differ from what was installed (the lock's fingerprint). */
async function checkInstalledEdits(stateDir: string, scanned: readonly { folder: SkillFolder; report: ScanReport }[]): Promise<Check[]> {
  if (!scanned.some((s) => s.folder.source === "managed")) return [];
  let lock: SkillLock;
  try {
    lock = await readSkillLock(stateDir);
  } catch (error) {
    return [{ name: "skills lock", status: "fail", detail: error instanceof Error ? error.message : String(error), fix: "restore skills.lock.json from a backup, or remove it and reinstall the skills" }];
  }
  const installs = new Map(Object.entries(lock.installs));
  const edited = scanned.filter((s) => s.folder.source === "managed" && installs.has(s.folder.name) && installs.get(s.folder.name)!.fingerprint !== s.report.fingerprint);
  if (edited.length === 0) return [];
  return [{
    name: "skills",
    status: "warn",
    detail: `installed skill(s) changed since they were installed: ${listNames(edited.map((s) => s.folder))}`,
    fix: "reinstall them to get the published files back (Remove then Install on the Control UI's Skills page does it), or review the changes with 'pincer skills check <name>'",
  }];
}

function listNames(folders: readonly SkillFolder[]): string {
  const names = folders.slice(0, MAX_NAMES).map((f) => (f.source === "managed" || f.source === "workspace" ? f.name : `${f.name} (${f.source})`));
  return names.join(", ") + (folders.length > MAX_NAMES ? ` and ${folders.length - MAX_NAMES} more` : "");
}
