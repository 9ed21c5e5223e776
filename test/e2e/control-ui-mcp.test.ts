// The Control UI's MCP page in a real headless Chromium against `pincer gateway` as a process, with the reference
// everything server and a server whose command does not exist: Restart starts a server and lists the tools the model
// sees; the broken one shows its error as text; the layout at phone width. Screenshots go to test/e2e/artifacts.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { fakeProviderConfig, makeHome, startGatewayProcess, TEST_GATEWAY_TOKEN, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";
import { ARTIFACTS, chromiumAvailable, closeBrowserAndGateway, launchChromium, MOBILE, withLoggedInPage } from "./browser.ts";
import { EVERYTHING_BIN } from "../../src/mcp/mcp-test-kit.ts";

const DESKTOP = { width: 1280, height: 800 };
const fx = useCliFixture();
let browser: Browser;
let home: Home;
let gw: GatewayProcess;

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 20_000, interval: 50 });

const mcpYaml = [
  "mcp:",
  "  servers:",
  "    everything:",
  `      command: ${JSON.stringify(process.execPath)}`,
  `      args: [${JSON.stringify(EVERYTHING_BIN)}, stdio]`,
  "      tools: [echo, get-sum]",
  "      safe_tools: [echo]",
  "    broken:",
  "      command: /nonexistent/<b>server</b>",
].join("\n");

beforeAll(async () => {
  if (!chromiumAvailable) return;
  await mkdir(ARTIFACTS, { recursive: true });
  [browser, home] = await Promise.all([launchChromium(), makeHome(fakeProviderConfig(fx.fake.baseURL, mcpYaml))]);
  gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN);
}, 120_000);

afterAll(async () => {
  await closeBrowserAndGateway(browser, gw);
  await home?.cleanup();
});

const withPage = (hash: string, fn: (page: Page) => Promise<void>, viewport = DESKTOP): Promise<void> =>
  withLoggedInPage(browser, gw, hash, fn, { viewport });

describe.skipIf(!chromiumAvailable)("Control UI: MCP page", () => {
  it("restarts a server to list its tools, and shows a broken server's error as text", async () => {
    await withPage("#/mcp", async (page) => {
      const everything = page.getByRole("article", { name: "MCP server everything" });
      await poll(() => everything.textContent()).toContain("not listed yet");
      await everything.getByRole("button", { name: "Restart" }).click();
      await poll(() => everything.locator("tbody tr").count()).toBe(2);
      expect(await everything.locator("tbody").textContent()).toContain("mcp__everything__echo");

      const broken = page.getByRole("article", { name: "MCP server broken" });
      await broken.getByRole("button", { name: "Restart" }).click();
      await poll(() => broken.locator(".mcp-error").textContent()).toContain("ENOENT");
      expect(await broken.locator(".mcp-error b").count()).toBe(0);
      await page.screenshot({ path: join(ARTIFACTS, "mcp-desktop.png"), fullPage: false });
    });
  }, 60_000);

  it("fits a phone screen", async () => {
    await withPage("#/mcp", async (page) => {
      await poll(() => page.locator(".mcp-server").count()).toBe(2);
      expect(await page.locator("#content").evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(ARTIFACTS, "mcp-mobile.png"), fullPage: false });
    }, MOBILE);
  }, 60_000);
});
