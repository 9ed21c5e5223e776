// The Control UI's Memory page in a real headless Chromium against `pincer gateway` as a process: files and index
// status, a search whose snippets render as text (a note holding HTML runs nothing), Reindex picking up a new note,
// and the layout at phone width. Screenshots go to test/e2e/artifacts.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { fakeProviderConfig, makeHome, startGatewayProcess, TEST_GATEWAY_TOKEN, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";
import { ARTIFACTS, chromiumAvailable, closeBrowserAndGateway, launchChromium, MOBILE, withLoggedInPage } from "./browser.ts";

const DESKTOP = { width: 1280, height: 800 };
const fx = useCliFixture();
let browser: Browser;
let home: Home;
let gw: GatewayProcess;

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 50 });

beforeAll(async () => {
  if (!chromiumAvailable) return;
  await mkdir(ARTIFACTS, { recursive: true });
  [browser, home] = await Promise.all([launchChromium(), makeHome(fakeProviderConfig(fx.fake.baseURL))]);
  await mkdir(join(home.workspace, "memory"), { recursive: true });
  await writeFile(join(home.workspace, "MEMORY.md"), "# Facts\n\n- Prefers green tea, no coffee after noon.\n- Partner: Alex.\n");
  await writeFile(join(home.workspace, "memory", "2025-03-02.md"), "# 2025-03-02\n\nBooked the car service. <img src=x onerror=\"window.__pwned=1\"> mechanic note.\n");
  gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN);
}, 120_000);

afterAll(async () => {
  await closeBrowserAndGateway(browser, gw);
  await home?.cleanup();
});

const withPage = (hash: string, fn: (page: Page) => Promise<void>, viewport = DESKTOP): Promise<void> =>
  withLoggedInPage(browser, gw, hash, fn, { viewport });

describe.skipIf(!chromiumAvailable)("Control UI: Memory page", () => {
  it("lists files and index status, searches with text-only snippets, and reindexes a new note", async () => {
    await withPage("#/memory", async (page) => {
      await poll(() => page.locator(".memory-page table tbody tr").count()).toBe(2);
      expect(await page.locator(".memory-page table tbody").textContent()).toContain("memory/2025-03-02.md");
      expect(await page.locator(".memory-status").textContent()).toMatch(/off\s*full-text search only/);

      await page.getByLabel("Search memory").fill("car service mechanic");
      await page.getByRole("button", { name: "Search" }).click();
      const hit = page.locator(".memory-results li").first();
      await poll(() => hit.textContent()).toContain("memory/2025-03-02.md:1-3");
      expect(await hit.locator(".memory-snippet").textContent()).toContain("<img src=x");
      expect(await page.locator(".memory-results img").count()).toBe(0);
      expect(await page.evaluate("window.__pwned")).toBeUndefined();
      expect(page.url()).toContain("q=car+service+mechanic");
      await page.screenshot({ path: join(ARTIFACTS, "memory-desktop.png"), fullPage: false });

      await writeFile(join(home.workspace, "memory", "2025-03-04.md"), "# 2025-03-04\n\nKayak rental booked.\n");
      await page.getByRole("button", { name: "Reindex" }).click();
      await poll(() => page.locator(".memory-reindexed").textContent()).toMatch(/Indexed \d+ of 3 files/);
      await poll(() => page.locator(".memory-page table tbody tr").count()).toBe(3);
    });
  }, 60_000);

  it("fits a phone screen", async () => {
    await withPage("#/memory?q=tea", async (page) => {
      await poll(() => page.locator(".memory-results li").count()).toBeGreaterThan(0);
      expect(await page.locator("#content").evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(ARTIFACTS, "memory-mobile.png"), fullPage: false });
    }, MOBILE);
  }, 60_000);
});
