// The Control UI in a real headless Chromium against `pincer gateway` as a process: the shell (login, navigation,
// first-start link, logout, mobile menu) and what it is served with (CSP, vendor allowlist). One gateway for the file.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { fakeProviderConfig, REPO_ROOT, startGatewayProcess, TEST_GATEWAY_TOKEN, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`Control UI browser tests need Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)`);

export const ARTIFACTS = join(REPO_ROOT, "test/e2e/artifacts");
const MOBILE = { width: 390, height: 844 };

const fx = useCliFixture();
let browser: Browser;
let home: Home;
let gw: GatewayProcess;

beforeAll(async () => {
  if (!available) return;
  await mkdir(ARTIFACTS, { recursive: true });
  const { chromium } = await import("playwright-core");
  [browser, home] = await Promise.all([
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] }),
    fx.home(fakeProviderConfig(fx.fake.baseURL)),
  ]);
  gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (gw) {
    gw.child.kill("SIGTERM");
    await gw.exited;
  }
});

/** expect.poll with room for a loaded CI machine (the default gives up after 1 s). */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 50 });

async function withPage(fn: (page: Page, context: BrowserContext) => Promise<void>, viewport = { width: 1280, height: 800 }): Promise<void> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  try {
    await fn(page, context);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
}

async function logIn(page: Page, token: string): Promise<void> {
  await page.getByLabel("Gateway token").fill(token);
  await page.getByRole("button", { name: "Log in" }).click();
}

describe.skipIf(!available)("Control UI shell in Chromium", () => {
  it("refuses a wrong token, logs in with the right one, navigates between pages and logs out", async () => {
    await withPage(async (page) => {
      await page.goto(gw.url);
      await poll(() => page.getByLabel("Gateway token").isVisible()).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, "login-desktop.png") });

      await logIn(page, "not-the-token");
      await poll(() => page.locator("#login-error").textContent()).toContain("not accepted");

      await logIn(page, gw.token);
      await poll(() => page.locator("#conn").first().textContent()).toBe("connected");
      expect(await page.locator("#page-title").textContent()).toBe("Overview");

      const nav = page.getByRole("navigation", { name: "Pages" });
      for (const title of ["Chat", "Sessions", "Runs", "Usage", "Channels", "Logs", "Audit", "Config", "Overview"]) {
        await nav.getByRole("link", { name: title }).click();
        await poll(() => page.locator("#page-title").textContent()).toBe(title);
        expect(await nav.getByRole("link", { name: title }).getAttribute("aria-current")).toBe("page");
        expect(page.url()).toBe(`${gw.url}/#/${title.toLowerCase()}`);
      }
      await page.screenshot({ path: join(ARTIFACTS, "overview-desktop.png") });

      // Without "Remember" the login lasts as long as the tab: a reload stays logged in, a logout asks again.
      await page.reload();
      await poll(() => page.locator("#conn").first().textContent()).toBe("connected");
      await page.getByRole("button", { name: "Log out" }).click();
      await poll(() => page.getByLabel("Gateway token").isVisible()).toBe(true);
      await page.reload();
      await poll(() => page.getByLabel("Gateway token").isVisible()).toBe(true);
    });
  }, 60_000);

  it("takes the token from the first-start link, drops it from the address, and opens the menu on a phone", async () => {
    await withPage(async (page) => {
      await page.goto(`${gw.url}/#token=${gw.token}`);
      await poll(() => page.locator(".header #conn").textContent()).toBe("connected");
      expect(page.url()).toBe(`${gw.url}/`);
      const menu = page.getByRole("button", { name: "Menu" });
      expect(await page.getByRole("link", { name: "Runs" }).isVisible()).toBe(false);
      await menu.click();
      await poll(() => page.getByRole("link", { name: "Runs" }).isVisible()).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, "menu-mobile.png") });
      await page.getByRole("link", { name: "Runs" }).click();
      await poll(() => page.locator("#page-title").textContent()).toBe("Runs");
      expect(await menu.getAttribute("aria-expanded")).toBe("false");
    }, MOBILE);
  }, 60_000);

  it("shows the server's error for a login code it does not accept, and removes the code from the address", async () => {
    await withPage(async (page) => {
      await page.goto(`${gw.url}/#login=NOPE1234`);
      await poll(() => page.locator("#login-error").isVisible()).toBe(true);
      expect(await page.locator("#login-error").textContent()).toMatch(/^This login link did not work: .+/);
      expect(page.url()).toBe(`${gw.url}/`);
    });
  }, 60_000);

  it("serves the page under a CSP without unsafe-* sources, and 404 for library files outside the allowlist", async () => {
    const res = await fetch(`${gw.url}/`);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(csp).not.toContain("unsafe");
    expect((await fetch(`${gw.url}/ui/vendor/preact.mjs`)).status).toBe(200);
    for (const path of ["/ui/vendor/preact/package.json", "/ui/vendor/zod.mjs", "/ui/vendor/..%2f..%2fpackage.json", "/ui/vendor/highlight/lib/core.js"]) {
      expect((await fetch(`${gw.url}${path}`)).status, path).toBe(404);
    }
  });
});
