// The real browser the Control UI tests drive: Debian's chromium through playwright-core, headless and sandbox-free as
// the test machine allows. Missing Chromium skips those tests locally and fails them in CI.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { REPO_ROOT, type GatewayProcess } from "./harness.ts";

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

/**
 * Runs `fn` on a page logged in to the gateway at `gw` (its token in the address), opened at `hash`; the test fails
 * on any page error or Content Security Policy violation the page reported meanwhile.
 */
export async function withLoggedInPage(
  browser: Browser,
  gw: { url: string; token: string },
  hash: string,
  fn: (page: Page) => Promise<void>,
  opts: { viewport: { width: number; height: number }; acceptDownloads?: boolean },
): Promise<void> {
  const context = await browser.newContext({ viewport: opts.viewport, acceptDownloads: opts.acceptDownloads ?? false });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy|Uncaught/i.test(msg.text())) problems.push(msg.text());
  });
  try {
    await page.goto(`${gw.url}/#token=${gw.token}`);
    await expect.poll(() => page.locator("#conn").first().getAttribute("data-state"), { timeout: 15_000, interval: 50 }).toBe("open");
    await page.goto(`${gw.url}/${hash}`);
    await fn(page);
    expect(problems).toEqual([]);
  } finally {
    await context.close();
  }
}

/** A browser test's teardown: the browser, then the gateway process (SIGTERM, waiting for it to exit). */
export async function closeBrowserAndGateway(browser: Browser | undefined, gw: GatewayProcess | undefined): Promise<void> {
  await browser?.close();
  if (gw) {
    gw.child.kill("SIGTERM");
    await gw.exited;
  }
}
