// The Control UI's Schedules page in a real headless Chromium against `pincer gateway` as a process: the automation
// strip (scheduler, heartbeat, hooks without secrets), a schedule created in the form (a bad cron refused with the field
// marked), listed with its next fire time, paused and resumed, its history (fires recorded in the store, with a link to
// the run), edited, deleted after a confirm; a hostile message stays text. One gateway for the file.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { openSqliteStore } from "../../src/store/index.ts";
import { fakeProviderConfig, makeHome, startGatewayProcess, TEST_GATEWAY_TOKEN, type GatewayProcess, type Home } from "./harness.ts";
import { ARTIFACTS, chromiumAvailable, closeBrowserAndGateway, launchChromium, MOBILE, withLoggedInPage } from "./browser.ts";

const DESKTOP = { width: 1280, height: 900 };
const SECRET = "hook-secret-do-not-show-3141";
let browser: Browser;
let home: Home;
let gw: GatewayProcess;

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 50 });

beforeAll(async () => {
  if (!chromiumAvailable) return;
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  home = await makeHome([
    fakeProviderConfig("http://127.0.0.1:9/v1"),
    "heartbeat:", "  every: 45m", "  active_hours: \"08:00-22:00\"",
    "hooks:", "  github:", "    auth: github", "    secret_env: GH_SECRET", "    message: \"{{body.action}}\"",
    "  ci:", "    auth: token", "    secret_env: CI_SECRET", "    message: done",
    "",
  ].join("\n"));
  gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { env: { GH_SECRET: SECRET } });
}, 120_000);

afterAll(async () => {
  await closeBrowserAndGateway(browser, gw);
  await home?.cleanup();
});

const withPage = (hash: string, fn: (page: Page) => Promise<void>, viewport = DESKTOP): Promise<void> =>
  withLoggedInPage(browser, gw, hash, fn, { viewport });
const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const row = (page: Page, name: string) => page.locator(".sch-table tbody tr:not(.row-detail)", { has: page.locator(".sch-name", { hasText: new RegExp(`^${name}$`) }) });

async function fill(page: Page, fields: Record<string, string>): Promise<void> {
  const form = page.locator("#schedule-form");
  for (const [name, value] of Object.entries(fields)) {
    const field = form.locator(`[name="${name}"]`);
    if ((await field.evaluate((el) => el.tagName)) === "SELECT") await field.selectOption(value);
    else await field.fill(value);
  }
}

describe.skipIf(!chromiumAvailable)("Control UI: Schedules page", () => {
  it("shows the automation strip, creates a schedule in the form and lists it with its next fire", async () => {
    await withPage("#/schedules", async (page) => {
      await poll(() => page.locator(".sch-table").textContent()).toContain("No schedules yet");
      const strip = page.locator(".sch-strip");
      expect(await strip.locator('[data-tile="heartbeat"]').textContent()).toContain("every 45m");
      expect(await strip.locator('[data-tile="heartbeat"]').textContent()).toContain("08:00-22:00");
      const hooks = strip.locator('[data-tile="hooks"]');
      expect(await hooks.textContent()).toContain("POST /hooks/github");
      expect(await hooks.locator("li", { hasText: "/hooks/ci" }).textContent()).toContain("secret missing");
      expect(await hooks.locator("li", { hasText: "/hooks/github" }).textContent()).not.toContain("secret missing");
      expect(await page.content()).not.toContain(SECRET);

      await page.getByRole("button", { name: "New schedule" }).click();
      const dialog = page.getByRole("dialog", { name: "New schedule" });
      await fill(page, { name: "morning", kind: "cron", expr: "61 8 * * *", tz: "Europe/Paris", message: "Brief me <img src=x onerror=\"window.__pwned=1\">", deliver: "none", concurrency: "replace" });
      await dialog.getByRole("button", { name: "Create" }).click();
      // The gateway refuses the cron; the message names it and the field is marked.
      await poll(() => dialog.locator(".banner.error").textContent()).toContain("--cron");
      expect(await page.locator('#schedule-form [name="expr"]').getAttribute("aria-invalid")).toBe("true");
      await shot(page, "schedules-form-error");

      await fill(page, { expr: "0 8 * * 1-5" });
      await dialog.getByRole("button", { name: "Create" }).click();
      await poll(() => row(page, "morning").count()).toBe(1);
      expect(await page.locator(".sch-notice").textContent()).toContain("Created morning. Next fire");
      const next = Number(await row(page, "morning").locator("[data-next]").getAttribute("data-next"));
      expect(next).toBeGreaterThan(Date.now());
      const parts = new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Paris", hour: "numeric", minute: "numeric", hourCycle: "h23" }).formatToParts(new Date(next));
      expect(`${parts.find((p) => p.type === "hour")!.value}:${parts.find((p) => p.type === "minute")!.value}`).toBe("08:00");
      expect(await row(page, "morning").textContent()).toMatch(/cron 0 8 \* \* 1-5.*Europe\/Paris/);
      expect(await row(page, "morning").locator(".sch-next").textContent()).toMatch(/in \d+ (hour|minute|day)s?|tomorrow/);
      // The message is text.
      expect(await row(page, "morning").locator(".sch-message").textContent()).toContain("<img src=x");
      expect(await page.evaluate("window.__pwned")).toBeUndefined();
      await page.locator("#content").evaluate((el) => el.scrollTo({ top: 0 }));
      await shot(page, "schedules-desktop");
    });
  });

  it("pauses and resumes a schedule, runs it, and opens its history with a link to the run", async () => {
    const store = await openSqliteStore({ path: join(home.dir, "pincer.db") });
    try {
      const schedule = (await store.schedules.get("morning"))!;
      await store.schedules.recordFire({ scheduleId: schedule.id, fireAt: Date.UTC(2026, 0, 5, 7), status: "succeeded", reason: undefined, runId: "run_fromschedule1", sessionKey: undefined, delivery: "sent" });
      await store.schedules.recordFire({ scheduleId: schedule.id, fireAt: Date.UTC(2026, 0, 6, 7), status: "skipped", reason: "previous run still going (forbid)", runId: undefined, sessionKey: undefined, delivery: "none" });
    } finally {
      await store.close();
    }
    await withPage("#/schedules", async (page) => {
      const morning = row(page, "morning");
      await poll(() => morning.count()).toBe(1);
      await morning.getByRole("button", { name: "Pause" }).click();
      await poll(() => morning.locator(".sch-next").count()).toBe(0);
      expect(await morning.textContent()).toContain("paused");
      await poll(() => page.locator('[data-tile="scheduler"]').textContent()).toContain("1 paused");
      await morning.getByRole("button", { name: "Resume" }).click();
      await poll(() => morning.locator(".sch-next").count()).toBe(1);

      await morning.locator(".sch-name").click();
      const history = page.locator('.sch-history[data-history="morning"]');
      await poll(() => history.locator("li").count()).toBe(2);
      expect(await history.locator("li").nth(0).getAttribute("data-fire")).toBe("skipped");
      expect(await history.locator("li").nth(0).textContent()).toContain("previous run still going (forbid)");
      expect(await history.locator("li").nth(1).textContent()).toContain("delivery: sent");
      expect(await history.locator("a").getAttribute("href")).toBe("#/runs/run_fromschedule1");
      expect(await morning.locator("[data-status]").getAttribute("data-status")).toBe("skipped");
      await shot(page, "schedules-history");

      // Run now: a fire recorded now, shown first in the open history — or, while the gateway's scheduler has not
      // started, a notice saying so.
      await morning.getByRole("button", { name: "Run now" }).click();
      const notice = page.locator(".sch-notice");
      await poll(() => notice.textContent()).toMatch(/Started morning|scheduler does not run/);
      if ((await notice.textContent())!.includes("Started morning")) {
        await poll(() => history.locator("li").count()).toBe(3);
        expect(["started", "succeeded", "failed"]).toContain(await history.locator("li").first().getAttribute("data-fire"));
      }
    });
  });

  it("edits a schedule, then deletes it after a confirm", async () => {
    await withPage("#/schedules", async (page) => {
      const morning = row(page, "morning");
      await poll(() => morning.count()).toBe(1);
      await morning.getByRole("button", { name: "Edit" }).click();
      const dialog = page.getByRole("dialog", { name: "Edit morning" });
      expect(await page.locator('#schedule-form [name="expr"]').inputValue()).toBe("0 8 * * 1-5");
      expect(await page.locator('#schedule-form [name="concurrency"]').inputValue()).toBe("replace");
      await fill(page, { kind: "every", expr: "2h", name: "every-two" });
      await dialog.getByRole("button", { name: "Save" }).click();
      await poll(() => row(page, "every-two").count()).toBe(1);
      expect(await row(page, "every-two").textContent()).toContain("every 2h");

      await row(page, "every-two").getByRole("button", { name: "Delete" }).click();
      const confirm = page.getByRole("dialog", { name: "Delete every-two?" });
      await confirm.getByRole("button", { name: "Delete" }).click();
      await poll(() => page.locator(".sch-table").textContent()).toContain("No schedules yet");
    });
  });

  it("fits a phone screen", async () => {
    await withPage("#/schedules", async (page) => {
      await page.getByRole("button", { name: "New schedule" }).click();
      await fill(page, { name: "water", kind: "every", expr: "30m", message: "Drink water" });
      await page.getByRole("dialog", { name: "New schedule" }).getByRole("button", { name: "Create" }).click();
      await poll(() => row(page, "water").count()).toBe(1);
      expect(await page.locator("#content").evaluate((el) => el.scrollWidth - el.clientWidth)).toBe(0);
      await shot(page, "schedules-mobile");
    }, MOBILE);
  });
});
