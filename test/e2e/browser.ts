// The real browser the Control UI tests drive: Debian's chromium through playwright-core, headless and sandbox-free as
// the test machine allows. Missing Chromium skips those tests locally and fails them in CI.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { REPO_ROOT } from "./harness.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable && process.env.CI) throw new Error(`Control UI browser tests need Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)`);

/** Where browser tests keep their screenshots (gitignored). */
export const ARTIFACTS = join(REPO_ROOT, "test/e2e/artifacts");
export const MOBILE = { width: 390, height: 844 };

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
}
