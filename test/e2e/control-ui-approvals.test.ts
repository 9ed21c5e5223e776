// Approvals and elevated mode in a real headless Chromium against `pincer gateway` as a process: a run whose `write`
// needs approval (policy.tools.ask) shows a card in Chat, Allow once lets the tool run and the answer arrive; Always
// adds a rule the Approvals page lists and revokes; Elevate… turns elevated mode on with the code and the banner ends
// it. The call's arguments are hostile markup and stay text.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startFakeOpenAI, type FakeModelServer } from "../fakes/index.ts";
import { fakeProviderConfig, makeHome, startGatewayProcess, TEST_GATEWAY_TOKEN, type GatewayProcess, type Home } from "./harness.ts";
import { ARTIFACTS, chromiumAvailable, closeBrowserAndGateway, launchChromium, withLoggedInPage } from "./browser.ts";

const DESKTOP = { width: 1280, height: 900 };
const HOSTILE = `<img src=x onerror="window.__pwned=1">`;
let browser: Browser;
let fake: FakeModelServer;
let home: Home;
let gw: GatewayProcess;

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 50 });

beforeAll(async () => {
  if (!chromiumAvailable) return;
  await mkdir(ARTIFACTS, { recursive: true });
  fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
  browser = await launchChromium();
  home = await makeHome(fakeProviderConfig(fake.baseURL, [
    "policy:", "  tools:", "    ask: [write]", "  elevated:", "    enabled: true",
  ].join("\n")));
  gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN);
}, 120_000);

afterAll(async () => {
  await closeBrowserAndGateway(browser, gw);
  await fake?.close();
  await home?.cleanup();
});

const withPage = (hash: string, fn: (page: Page) => Promise<void>): Promise<void> => withLoggedInPage(browser, gw, hash, fn, { viewport: DESKTOP });

async function newChat(page: Page): Promise<void> {
  await poll(() => page.getByLabel("Message").isVisible()).toBe(true);
  await page.getByRole("button", { name: "New chat", exact: true }).click();
  await poll(() => decodeURIComponent(page.url())).toMatch(/#\/chat\/agent:default:webchat:dm:webchat-/);
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel("Message").fill(text);
  await page.getByLabel("Message").press("Enter");
}

describe.skipIf(!chromiumAvailable)("Control UI: approvals and elevated mode", () => {
  it("shows the waiting call as a card in Chat; Allow once lets the tool run and the answer arrives", async () => {
    await withPage("#/chat", async (page) => {
      await newChat(page);
      fake.enqueue({ toolCalls: [{ name: "write", args: { path: "note.md", content: HOSTILE } }] }, { text: "Saved the note." });
      await send(page, "save a note");
      const card = page.locator(".chat-approvals .approval-card");
      await poll(() => card.count()).toBe(1);
      expect(await card.locator(".approval-tool").textContent()).toBe("write");
      expect(await card.locator(".approval-why").textContent()).toBe("Waits because policy.tools.ask lists write.");
      await page.screenshot({ path: join(ARTIFACTS, "chat-approval-card.png") });
      await card.getByRole("button", { name: "Allow once" }).click();
      await poll(() => page.locator(".msg.assistant").last().textContent()).toContain("Saved the note.");
      await poll(() => card.locator(".approval-answer").textContent()).toBe("Approved by operator:ui");
      expect(await page.evaluate("window.__pwned")).toBeUndefined();
    });
  });

  it("adds a rule with Always, which the Approvals page lists and revokes", async () => {
    await withPage("#/chat", async (page) => {
      await newChat(page);
      fake.enqueue({ toolCalls: [{ name: "write", args: { path: "a.md", content: "a" } }] }, { text: "Done." });
      await send(page, "write a");
      const card = page.locator(".chat-approvals .approval-card");
      await poll(() => card.count()).toBe(1);
      await card.getByRole("button", { name: "Always" }).click();
      await poll(() => page.locator(".msg.assistant").last().textContent()).toContain("Done.");
    });
    await withPage("#/approvals", async (page) => {
      const rules = page.getByRole("table", { name: "Standing approvals" });
      await poll(() => rules.locator("tbody tr").count()).toBe(1);
      expect(await rules.locator("tbody tr td").first().textContent()).toBe("write");
      await page.screenshot({ path: join(ARTIFACTS, "approvals-desktop.png"), fullPage: true });
      await rules.getByRole("button", { name: /^Revoke write/ }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
      await poll(() => page.getByText("No standing approvals. An Always answer adds one.").isVisible()).toBe(true);
    });
  });

  it("turns elevated mode on with the code and shows the banner until End", async () => {
    await withPage("#/chat", async (page) => {
      await newChat(page);
      fake.enqueue({ text: "hello" });
      await send(page, "hi");
      await poll(() => page.getByRole("button", { name: "Elevate…" }).isVisible()).toBe(true);
      await page.getByRole("button", { name: "Elevate…" }).click();
      await page.getByLabel(/^Minutes/).fill("10");
      await page.getByLabel("Reason").fill("fix the deploy");
      await page.getByRole("button", { name: "Get code" }).click();
      const code = (await page.locator(".elevate-code").textContent())!;
      await page.getByLabel("Confirmation code").fill(code);
      await page.getByRole("button", { name: "Turn on" }).click();
      const banner = page.locator(".elevation-banner");
      await poll(() => banner.textContent()).toMatch(/Elevated mode: 10 min left · fix the deploy/);
      await page.screenshot({ path: join(ARTIFACTS, "chat-elevated.png") });
      await banner.getByRole("button", { name: "End" }).click();
      await poll(() => banner.count()).toBe(0);
    });
  });
});
