// The Control UI's Usage, Channels, Logs and Config pages in a real headless Chromium, against `pincer gateway` as a
// process with real data: turns through the fake model (one with a tool call, one failed, two agents) and a Telegram
// account on the loopback Bot API fake. One gateway for the file; the cases run in order and build on each other.
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { Browser, Page } from "playwright-core";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import {
  echoLastUserMessage, fakeProviderConfig, makeHome, startGatewayProcess, telegramAccountConfig, TEST_GATEWAY_TOKEN, until, useCliFixture,
  type GatewayProcess, type Home,
} from "./harness.ts";
import { ARTIFACTS, chromiumAvailable, closeBrowserAndGateway, launchChromium, MOBILE, withLoggedInPage } from "./browser.ts";


const DESKTOP = { width: 1280, height: 800 };
const ANN = { id: 601, first_name: "Ann", username: "ann" };
// A sender name is text from a stranger: it must show as text and run nothing.
const BOB = { id: 602, first_name: '<img src=x onerror="window.__pwned=1">Bob' };

const fx = useCliFixture();
let browser: Browser;
let home: Home;
let gw: GatewayProcess;
let tg: TelegramFake;

interface UsageTotals { calls: number; inputTokens: number; outputTokens: number; cachedTokens: number; costUsd: number }
interface DailyUsage { by: string; dates: string[]; series: Array<{ key: string; total: UsageTotals }>; total: UsageTotals }

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 50 });

async function apiGet<T>(path: string): Promise<T> {
  const res = await fetch(`${gw.url}/api/v1${path}`, { headers: { authorization: `Bearer ${gw.token}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

function chat(text: string, agent = "default"): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${gw.token}`, "x-pincer-session": `ui-b-${agent}` },
    body: JSON.stringify({ model: agent === "default" ? "pincer" : `pincer/${agent}`, messages: [{ role: "user", content: text }] }),
  });
}

beforeAll(async () => {
  if (!chromiumAvailable) return;
  await mkdir(ARTIFACTS, { recursive: true });
  tg = await startTelegramFake();
  echoLastUserMessage(fx.fake);
  const yaml = [
    fakeProviderConfig(fx.fake.baseURL, ["  prices:", "    fake/gpt-4o-mini: { input: 2.5, output: 10 }"].join("\n")),
    "agents:",
    "  default: {}",
    "  helper: {}",
    "budgets:",
    "  - { scope: instance, period: month, max_usd: 1000, max_tokens: 10000000, action: warn }",
    "  - { scope: 'agent:helper', max_tokens: 5000, action: block }",
    telegramAccountConfig(tg),
    "",
  ].join("\n");
  // Not fx.home: that one is removed after each test, and this gateway lives for the whole file.
  [browser, home] = await Promise.all([
    launchChromium(),
    makeHome(yaml),
  ]);
  gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN);
  await until("the Telegram account to connect", () => /channel telegram\/default: connected/.test(gw.output()), 45_000);

  // Real runs: a plain answer, a tool call on the second agent, and a failed one.
  fx.fake.enqueue({ text: "Plain answer.", usage: { input: 1200, output: 80 } });
  expect((await chat("hello")).status).toBe(200);
  fx.fake.enqueue({ toolCalls: [{ name: "ls", args: { path: "." } }], usage: { input: 900, output: 20 } }, { text: "The folder is empty.", usage: { input: 950, output: 30 } });
  expect((await chat("what is in the folder?", "helper")).status).toBe(200);
  fx.fake.enqueue({ error: { status: 400, message: "the fake refuses this one" } });
  expect((await chat("this one fails")).status).not.toBe(200);
}, 120_000);

afterAll(async () => {
  await closeBrowserAndGateway(browser, gw);
  await tg?.close();
  await home?.cleanup();
});

const withPage = (hash: string, fn: (page: Page) => Promise<void>, viewport = DESKTOP): Promise<void> =>
  withLoggedInPage(browser, gw, hash, fn, { viewport, acceptDownloads: true });

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });

/** How far the page's content is wider than the screen (0: nothing sticks out; tables scroll in their own boxes). */
const overflowX = (page: Page) => page.locator("#content").evaluate((el) => el.scrollWidth - el.clientWidth);

describe.skipIf(!chromiumAvailable)("Control UI pages: Usage, Channels, Logs, Config", () => {
  it("Usage: a chart and a table whose totals match the API, grouping and range, and a CSV download", async () => {
    const api = await apiGet<DailyUsage>("/usage/daily?days=30&by=model");
    expect(api.total.calls).toBeGreaterThanOrEqual(3);
    await withPage("#/usage", async (page) => {
      await poll(() => page.locator(".usage-chart canvas").count()).toBeGreaterThan(0);
      expect((await page.locator(".usage-chart canvas").first().boundingBox())!.width).toBeGreaterThan(300);
      const foot = page.locator(".usage-card-table tfoot td");
      const cell = async (i: number) => Number(await foot.nth(i).locator("[data-value]").getAttribute("data-value"));
      expect([await cell(1), await cell(2), await cell(3), await cell(4)]).toEqual([api.total.calls, api.total.inputTokens, api.total.outputTokens, api.total.cachedTokens]);
      expect(await cell(5)).toBeCloseTo(api.total.costUsd, 9);
      expect(await page.locator(".usage-card-table tbody tr").first().textContent()).toContain("fake/gpt-4o-mini");

      // Budgets: one row each, the bar at the share the API reports.
      const budgets = (await apiGet<{ data: Array<{ scope: string; statuses: Array<{ used: number }> }> }>("/budgets")).data;
      const table = page.getByRole("table", { name: "Budgets and their use this period" });
      await poll(() => table.locator("tbody tr").count()).toBe(2);
      const bars = table.getByRole("progressbar");
      for (const [i, b] of budgets.entries()) {
        expect(await bars.nth(i).getAttribute("aria-valuenow")).toBe(String(Math.min(100, Math.floor(b.statuses[0]!.used * 100))));
      }
      expect(await table.locator("tbody tr").nth(1).textContent()).toContain("agent:helper");
      await shot(page, "usage-desktop");

      // By agent: one row per agent, as the API says.
      await page.getByRole("group", { name: "Group by" }).getByRole("button", { name: "Agent" }).click();
      const byAgent = await apiGet<DailyUsage>("/usage/daily?days=30&by=agent");
      await poll(() => page.locator(".usage-card-table tbody tr").allTextContents()).toHaveLength(byAgent.series.length);
      const agentCells = await page.locator(".usage-card-table tbody tr td:first-child").allTextContents();
      expect(agentCells.sort()).toEqual(byAgent.series.map((s) => s.key).sort());
      expect(agentCells).toEqual(expect.arrayContaining(["default", "helper"]));
      expect(page.url()).toContain("by=agent");

      // 7 days, shown as cost; the table keeps matching.
      await page.getByRole("group", { name: "Range" }).getByRole("button", { name: "7 days" }).click();
      await page.getByRole("group", { name: "Show" }).getByRole("button", { name: "Cost" }).click();
      await poll(() => page.locator('[data-days="7"][data-by="agent"][aria-busy="false"]').count()).toBe(1);
      expect(await page.locator(".usage-title").first().textContent()).toMatch(/^Cost per day by agent/);
      const week = await apiGet<DailyUsage>("/usage/daily?days=7&by=agent");
      await poll(async () => Number(await foot.nth(1).locator("[data-value]").getAttribute("data-value"))).toBe(week.total.calls);

      // CSV: fetched with the bearer token and saved as a file.
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
      expect(download.suggestedFilename()).toMatch(/^pincer-usage-by-agent-.*\.csv$/);
      const csv = await readFile((await download.path())!, "utf8");
      const [header, ...rows] = csv.trim().split(/\r?\n/);
      expect(header).toBe("date,agent,calls,input_tokens,output_tokens,cached_tokens,cost_usd");
      expect(rows.reduce((sum, r) => sum + Number(r.split(",")[2]), 0)).toBe(week.total.calls);
    });
    await withPage("#/usage", async (page) => {
      await poll(() => page.locator(".usage-chart canvas").count()).toBeGreaterThan(0);
      await shot(page, "usage-mobile");
      expect(await overflowX(page)).toBe(0);
    }, MOBILE);
  }, 90_000);

  it("Channels: the account's health; approving a pairing request in the page lets the next DM through", async () => {
    await withPage("#/channels", async (page) => {
      const card = page.locator('[data-account="telegram/default"]');
      await poll(() => card.locator("[data-status]").getAttribute("data-status")).toBe("connected");
      expect(await page.getByText("No pending pairing requests.").isVisible()).toBe(true);

      // An unknown sender gets a pairing code; the request shows up in the page.
      tg.dmFrom(tg.token, ANN, "hello, may I?");
      await until("the pairing code", () => tg.sent.find((s) => s.chat_id === String(ANN.id) && /pairing/i.test(s.text ?? "")));
      tg.dmFrom(tg.token, BOB, "me too");
      await until("Bob's pairing code", () => tg.sent.find((s) => s.chat_id === String(BOB.id) && /pairing/i.test(s.text ?? "")));
      await page.getByRole("button", { name: "Refresh" }).click();
      await poll(() => page.locator(".pairing-pending tbody tr").count()).toBe(2);
      await poll(() => card.locator('[data-stat="inbound"]').textContent()).toBe("2");
      await shot(page, "channels-desktop");

      // The channel filter narrows accounts and requests: nothing on Slack, both back on Telegram.
      await page.goto(`${gw.url}/#/channels?channel=slack`);
      await poll(() => page.getByText("No slack accounts.").isVisible()).toBe(true);
      await poll(() => page.getByText("No pending pairing requests.").isVisible()).toBe(true);
      await page.getByLabel("Channel").selectOption("telegram");
      await poll(() => page.url()).toContain("#/channels?channel=telegram");
      await poll(() => page.locator(".pairing-pending tbody tr").count()).toBe(2);
      expect(await page.locator("[data-account]").count()).toBe(1);

      // Deny Bob (after confirming), approve Ann and tell her.
      expect(await page.locator(".pairing-pending").textContent()).toContain('<img src=x onerror="window.__pwned=1">Bob');
      expect(await page.locator(".pairing-pending img").count()).toBe(0);
      expect(await page.evaluate("window.__pwned")).toBeUndefined();
      await page.getByRole("button", { name: /^Deny .*Bob \(602\)$/ }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Deny" }).click();
      await poll(() => page.locator(".pairing-pending tbody tr").count()).toBe(1);
      expect(await page.getByLabel("Tell the sender when approved").isChecked()).toBe(true);
      await page.getByRole("button", { name: "Approve Ann (601)" }).click();
      await poll(() => page.getByRole("status").filter({ hasText: "Approved Ann (601) on telegram/default. They were told." }).count()).toBe(1);
      await poll(() => page.locator(".pairing-approved tbody tr").count()).toBe(1);
      expect(await page.getByText("No pending pairing requests.").isVisible()).toBe(true);
      await until("the approval notice", () => tg.sent.find((s) => s.chat_id === String(ANN.id) && /approved/i.test(s.text ?? "")));

      tg.dmFrom(tg.token, ANN, "now answer me");
      await until("the answer", () => tg.sent.find((s) => s.chat_id === String(ANN.id) && s.text === "echo: now answer me"));

    });
    await withPage("#/channels", async (page) => {
      await poll(() => page.locator(".pairing-approved tbody tr").count()).toBe(1);
      await shot(page, "channels-mobile");
      expect(await overflowX(page)).toBe(0);
      // Revoke Ann again (confirmed): the list empties.
      await page.getByRole("button", { name: "Revoke Ann (601)" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
      await poll(() => page.getByText("No senders approved by pairing yet.").isVisible()).toBe(true);
    }, MOBILE);
  }, 120_000);

  it("Logs: shows a line written after the page opened, filters by level and text, pauses and resumes", async () => {
    const marker = `ui-b-${randomBytes(4).toString("hex")}`;
    await withPage("#/logs", async (page) => {
      await poll(() => page.locator(".logs-state").textContent()).toBe("live");
      await poll(() => page.locator(".log-line").count()).toBeGreaterThan(0);
      const before = await page.locator(".log-line").count();

      await connectClient(marker); // logs "client connected" with client=<marker>
      const line = page.locator(".log-line", { hasText: marker });
      await poll(() => line.count()).toBe(1);
      expect(await line.getAttribute("data-level")).toBe("info");
      expect(await page.locator(".log-line").count()).toBeGreaterThan(before);
      await shot(page, "logs-desktop");

      // Text search: only matching lines; then warn and above hides the info line.
      await page.getByRole("searchbox", { name: "Search the log" }).fill(marker);
      await poll(() => page.url()).toContain(`q=${marker}`);
      await poll(() => page.locator(".log-line").count()).toBe(1);
      await page.getByLabel("Level").selectOption("warn");
      await poll(() => page.locator(".logs-note").textContent()).toContain("No lines match this filter yet.");
      await page.getByRole("searchbox", { name: "Search the log" }).fill("");
      await poll(() => page.url()).not.toContain("q=");

      // A rejected token logs a warning, which this filter shows live; while paused it waits behind Resume.
      await page.getByRole("button", { name: "Pause" }).click();
      await poll(() => page.locator(".logs-state").textContent()).toBe("paused");
      const shown = await page.locator(".log-line").count();
      await connectClient(`${marker}-bad`, "not-the-token");
      await poll(() => page.getByRole("button", { name: /^Resume \(\d+ new\)$/ }).count()).toBe(1);
      expect(await page.locator(".log-line").count()).toBe(shown);
      await page.getByRole("button", { name: /^Resume/ }).click();
      await poll(() => page.locator(".log-line", { hasText: "rejected token" }).count()).toBeGreaterThan(0);
      expect(await page.locator(".log-line", { hasText: "rejected token" }).last().getAttribute("data-level")).toBe("warn");

      // More lines than fit: the view follows the bottom; scrolled up, it stays put until "Latest".
      await page.getByLabel("Level").selectOption("info");
      await poll(() => page.locator(".logs-state").textContent()).toBe("live");
      for (let i = 0; i < 60; i++) await connectClient(`${marker}-many-${i}`);
      await poll(() => page.locator(".log-line", { hasText: `${marker}-many-59` }).count()).toBe(1);
      const log = page.getByRole("log", { name: "Gateway log" });
      const gap = () => log.evaluate((el) => el.scrollHeight - el.clientHeight - el.scrollTop);
      expect(await log.evaluate((el) => el.scrollHeight > el.clientHeight * 1.5)).toBe(true);
      await poll(gap).toBeLessThan(24);
      await log.evaluate((el) => el.scrollTo({ top: 0 }));
      await poll(() => page.getByRole("button", { name: "↓ Latest" }).isVisible()).toBe(true);
      await connectClient(`${marker}-after-scroll`);
      await poll(() => page.locator(".log-line", { hasText: `${marker}-after-scroll` }).count()).toBe(1);
      expect(await log.evaluate((el) => el.scrollTop)).toBe(0);
      await page.getByRole("button", { name: "↓ Latest" }).click();
      await poll(gap).toBeLessThan(24);
      expect(await page.getByRole("button", { name: "↓ Latest" }).count()).toBe(0);
    });
    await withPage("#/logs", async (page) => {
      await poll(() => page.locator(".log-line", { hasText: `${marker}-after-scroll` }).count()).toBe(1);
      await shot(page, "logs-mobile");
      expect(await overflowX(page)).toBe(0);
    }, MOBILE);
  }, 90_000);

  it("Config: shows the effective config, refuses an invalid edit with its key path and line, saves a valid one", async () => {
    const file = join(home.dir, "pincer.yaml");
    const original = await readFile(file, "utf8");
    await withPage("#/config", async (page) => {
      const tree = page.getByTestId("effective-config");
      await poll(() => tree.getByText("gateway", { exact: true }).count()).toBeGreaterThan(0);
      expect(await tree.textContent()).not.toContain("test-key"); // the provider's api_key is redacted
      await shot(page, "config-desktop");

      await page.getByRole("link", { name: "Edit pincer.yaml" }).click();
      const editor = page.getByLabel("pincer.yaml");
      await poll(() => editor.inputValue()).toContain("fake/gpt-4o-mini");
      expect(await editor.inputValue()).not.toContain("test-key"); // literal secrets become placeholders

      // Invalid: refused with the key path and line; the file on disk stays as it was.
      const lines = (await editor.inputValue()).trimEnd().split("\n");
      await editor.fill([...lines, "log:", "  level: loud", ""].join("\n"));
      await page.getByRole("button", { name: "Review and save…" }).click();
      const problem = page.locator(".config-problem").first();
      await poll(() => problem.textContent()).toContain("log.level");
      expect(await problem.textContent()).toContain(`line ${lines.length + 2}`);
      expect(await page.locator(".line-gutter .bad").textContent()).toBe(String(lines.length + 2));
      expect(await readFile(file, "utf8")).toBe(original);
      await shot(page, "config-invalid-desktop");

      // Valid: reviewed (the change applies at once), saved, reloaded; the effective config shows it.
      await editor.fill([...lines, "log:", "  level: debug", ""].join("\n"));
      await page.getByRole("button", { name: "Review and save…" }).click();
      const change = page.locator(".config-changes li", { hasText: "log.level" });
      await poll(() => change.textContent()).toContain("debug");
      expect(await change.textContent()).toContain("applies at once");
      expect(await page.locator(".diff-line.add").allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining("level: debug")]));
      await shot(page, "config-review-desktop");
      await page.getByRole("button", { name: "Save and reload" }).click();
      await poll(() => page.locator(".config-saved").textContent()).toContain("log.level");
      const saved = await readFile(file, "utf8");
      expect(saved).toContain("level: debug");
      expect(saved).toContain("api_key: test-key"); // the kept secret went back in
      expect((await apiGet<{ log: { level: string } }>("/config")).log.level).toBe("debug");

      await page.getByRole("link", { name: "Effective config" }).click();
      await page.getByRole("group", { name: "Show as" }).getByRole("button", { name: "JSON" }).click();
      await poll(() => page.locator(".config-json").textContent()).toContain('"level": "debug"');
    });
    await withPage("#/config/edit", async (page) => {
      await poll(() => page.getByLabel("pincer.yaml").inputValue()).toContain("level: debug");
      await shot(page, "config-mobile");
      expect(await overflowX(page)).toBe(0);
    }, MOBILE);
  }, 90_000);

  it("each page shows the gateway's error message, never a stack or `undefined`", async () => {
    const failing = (message: string, status = 500) => ({ status, contentType: "application/json", body: JSON.stringify({ error: { type: status === 404 ? "not_found" : "internal_error", message } }) });
    const clean = async (page: Page) => {
      const text = (await page.locator("#content").textContent()) ?? "";
      expect(text).not.toMatch(/undefined|\bat \S+:\d+|Error:/);
    };
    await withPage("#/overview", async (page) => {
      await page.route("**/api/v1/usage/daily?*", (route) => route.fulfill(failing("usage is unavailable (test)")));
      await page.route("**/api/v1/channels", (route) => route.abort());
      await page.route("**/api/v1/logs/stream?*", (route) => route.fulfill(failing("this process writes no log file (test)", 404)));
      await page.route("**/api/v1/config", (route) => route.fulfill(failing("config is unavailable (test)")));
      await page.route("**/api/v1/config/file", (route) => route.fulfill(failing("no config file to edit (test)", 404)));

      await page.goto(`${gw.url}/#/usage`);
      await poll(() => page.getByRole("alert").textContent()).toContain("usage is unavailable (test)");
      await clean(page);
      await page.unroute("**/api/v1/usage/daily?*");
      await page.route("**/api/v1/usage.csv?*", (route) => route.fulfill(failing("no CSV today (test)")));
      await page.getByRole("button", { name: "Retry" }).click();
      await poll(() => page.locator(".usage-chart canvas").count()).toBeGreaterThan(0);
      await page.getByRole("button", { name: "Download CSV" }).click();
      await poll(() => page.getByRole("alert").textContent()).toContain("The CSV could not be downloaded: no CSV today (test)");

      await page.goto(`${gw.url}/#/channels`);
      await poll(() => page.getByRole("alert").textContent()).toContain("Could not reach the gateway. Is it running?");
      await clean(page);

      await page.goto(`${gw.url}/#/logs`);
      await poll(() => page.getByRole("alert").textContent()).toContain("this process writes no log file (test)");
      expect(await page.locator(".logs-state").textContent()).toBe("stopped");
      await clean(page);

      await page.goto(`${gw.url}/#/config`);
      await poll(() => page.getByRole("alert").textContent()).toContain("config is unavailable (test)");
      await clean(page);
      await page.getByRole("link", { name: "Edit pincer.yaml" }).click();
      await poll(() => page.getByText("There is no config file to edit.").isVisible()).toBe(true);
    });
  }, 60_000);
});

/** Opens a /ws connection as `client` (logged by the gateway as "client connected", or a rejected token), then closes. */
function connectClient(client: string, token = gw.token): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gw.url.replace("http", "ws")}/ws`);
    ws.on("open", () => ws.send(JSON.stringify({ type: "auth", token, client })));
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type: string };
      if (frame.type === "hello" || frame.type === "error") ws.close();
    });
    ws.on("close", () => resolve());
    ws.on("error", reject);
  });
}
