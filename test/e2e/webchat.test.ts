// WebChat in a real headless Chromium against `pincer gateway` as a process: log in, stream an answer, watch a
// tool call, reload and see history, switch and start sessions, stop a run.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { fakeProviderConfig, startGatewayProcess, TEST_GATEWAY_TOKEN, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`WebChat browser tests need Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)`);

const fx = useCliFixture();
let browser: Browser;
let home: Home;
let gw: GatewayProcess;

beforeAll(async () => {
  if (!available) return;
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

async function start(): Promise<void> {
  home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
  gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN);
}

async function stop(): Promise<void> {
  gw.child.kill("SIGTERM");
  await gw.exited;
}

async function logIn(page: Page, token: string): Promise<void> {
  await page.getByLabel("Gateway token").fill(token);
  await page.getByRole("button", { name: "Log in" }).click();
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel("Message").fill(text);
  await page.getByLabel("Message").press("Enter");
}

/** expect.poll with room for a loaded CI machine (the default gives up after 1 s). */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 50 });

const assistant = (page: Page) => page.locator(".msg.assistant");

describe.skipIf(!available)("WebChat in Chromium", () => {
  it("logs in, streams an answer, shows a tool call, and keeps history across a reload", async () => {
    await start();
    const page = await browser.newPage();
    try {
      await page.goto(gw.url);
      await poll(() => page.getByLabel("Gateway token").isVisible()).toBe(true);

      await logIn(page, "not-the-token");
      await poll(() => page.locator("#login-error").textContent()).toContain("not accepted");

      await logIn(page, gw.token);
      await poll(() => page.locator("#conn").textContent()).toBe("connected");

      const answer = "Streaming words arrive one after another in the browser";
      fx.fake.enqueue({ text: answer, chunkDelayMs: 80 });
      await send(page, "hello from the browser");
      await poll(() => page.locator(".msg.user").last().textContent()).toBe("hello from the browser");
      // Part of the answer is on screen while the run is still streaming.
      await expect
        .poll(async () => {
          const bubble = assistant(page).last();
          const text = (await bubble.textContent()) ?? "";
          return (await bubble.getAttribute("data-state")) === "streaming" && text.length > 0 && text.length < answer.length;
        }, { timeout: 10_000, interval: 20 })
        .toBe(true);
      await poll(() => assistant(page).last().getAttribute("data-state")).toBe("done");
      expect(await assistant(page).last().textContent()).toBe(answer);

      fx.fake.enqueue({ toolCalls: [{ name: "ls", args: { path: "." } }] });
      fx.fake.enqueue({ text: "The workspace is listed above." });
      await send(page, "what files are there?");
      await poll(() => page.locator(".tool summary").first().textContent()).toContain("ls");
      await poll(() => page.locator(".tool").first().getAttribute("data-state")).toBe("ok");
      await poll(() => assistant(page).last().textContent()).toBe("The workspace is listed above.");

      await page.reload();
      await poll(() => page.locator("#conn").textContent()).toBe("connected");
      await poll(() => page.locator(".msg.user").allTextContents()).toEqual(["hello from the browser", "what files are there?"]);
      expect(await page.locator(".msg.assistant").allTextContents()).toContain(answer);
    } finally {
      await page.close();
      await stop();
    }
  }, 60_000);

  it("starts a new session, switches back to the old one, and stops a running answer", async () => {
    await start();
    const page = await browser.newPage();
    try {
      // The first-start link carries the token in the fragment; the page keeps it and removes it from the address.
      await page.goto(`${gw.url}/#token=${gw.token}`);
      await poll(() => page.locator("#conn").textContent()).toBe("connected");
      expect(page.url()).toBe(`${gw.url}/`);

      fx.fake.enqueue({ text: "first session answer" });
      await send(page, "in the first session");
      await poll(() => assistant(page).last().textContent()).toBe("first session answer");

      await page.getByRole("button", { name: "New chat" }).click();
      await poll(() => page.locator(".msg").count()).toBe(0);
      fx.fake.enqueue({ text: "second session answer" });
      await send(page, "in the second session");
      await poll(() => assistant(page).last().textContent()).toBe("second session answer");
      await poll(() => page.locator("#sessions button").count()).toBe(2);

      await page.locator("#sessions button", { hasText: "Main chat" }).click();
      await poll(() => page.locator("#session-title").textContent()).toBe("Main chat");
      await poll(() => page.locator(".msg.user").allTextContents()).toEqual(["in the first session"]);
      expect(await assistant(page).allTextContents()).toEqual(["first session answer"]);

      fx.fake.enqueue({ hang: true });
      await send(page, "this answer never comes");
      await poll(() => page.getByRole("button", { name: "Stop" }).isVisible()).toBe(true);
      await page.getByRole("button", { name: "Stop" }).click();
      await poll(() => assistant(page).last().getAttribute("data-status")).toBe("cancelled");
      await poll(() => page.getByRole("button", { name: "Stop" }).isVisible()).toBe(false);
    } finally {
      await page.close();
      await stop();
    }
  }, 60_000);
});
