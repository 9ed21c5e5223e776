// The scanner the catalog uses unless a caller injects one: the safety scanner (skill-scanner.ts), loaded on first use
// so nothing of it loads before a turn or a skills command needs it.
import type { SkillScanner } from "./skill-types.ts";

/** The default SkillScanner: skill-scanner.ts's scanSkillFolder. */
export async function loadDefaultScanner(): Promise<SkillScanner> {
  return (await import("./skill-scanner.ts")).scanSkillFolder;
}
