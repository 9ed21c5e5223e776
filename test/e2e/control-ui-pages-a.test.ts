// The Control UI's Overview, Sessions, Runs and Audit pages in a real headless Chromium against `pincer gateway` as a
// process with real data: turns through the fake model (a tool call, a tool call the policy denies, a failed turn) and a
// Telegram account on the Bot API fake. One gateway for the file; every page is screenshotted on desktop and phone.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import type { ScriptedReply } from "../fakes/model-script.ts";
import {
  fakeProviderConfig, makeHome, startGatewayProcess, telegramAccountConfig, TEST_GATEWAY_TOKEN, until, useCliFixture,
  type GatewayProcess, type Home,
} from "./harness.ts";
import { ARTIFACTS, chromiumAvailable, closeBrowserAndGateway, launchChromium, MOBILE } from "./browser.ts";


const DESKTOP = { width: 1280, height: 860 };
const ANN = { id: 601, first_name: "Ann", username: "ann" };
/** Text that would run code if a page put it on the page as HTML; each sets a flag the tests look for. */
const HOSTILE = {
  input: `<img src=x onerror="window.__pwned='input'">hi there`,
  args: `<script>window.__pwned='args'</script><img src=x onerror="window.__pwned='args'">`,
  answer: `Done <img src=x onerror="window.__pwned='answer'"> [click me](javascript:window.__pwned='link') <iframe src="javascript:window.__pwned='frame'"></iframe>`,
};
/** Runs of one session made first, to fill a second page of the runs list. */
const BULK_RUNS = 50;

const fx = useCliFixture();
let browser: Browser;
let tg: TelegramFake;
let home: Home;
let gw: GatewayProcess;

/** What the seeded turns left behind, read back from the API. */
const seeded = { toolRunId: "", failedRunId: "", failedCode: "" };

/** One turn through the OpenAI-compatible endpoint in the session of `user`, answered by `replies` (FIFO). */
async function turn(user: string, text: string, ...replies: ScriptedReply[]): Promise<Response> {
  fx.fake.enqueue(...replies);
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${gw.token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "pincer", user, messages: [{ role: "user", content: text }] }),
  });
}

async function apiGet<T>(path: string): Promise<T> {
  const res = await fetch(`${gw.url}/api/v1${path}`, { headers: { authorization: `Bearer ${gw.token}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  if (!chromiumAvailable) return;
  await mkdir(ARTIFACTS, { recursive: true });
  tg = await startTelegramFake();
  const config = fakeProviderConfig(fx.fake.baseURL, [telegramAccountConfig(tg, ["dm_policy: open"]), "policy:", "  tools:", "    deny: [exec]"].join("\n"));
  [browser, home] = await Promise.all([
    launchChromium(),
    // Not fx.home: that one is removed after each test, and this gateway lives for the whole file.
    makeHome(config),
  ]);
  gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { env: { PINCER_LOG_LEVEL: "warn" } });
  await until("the Telegram account to connect", () => /channel telegram\/default: connected/.test(gw.output()));

  // Older than everything below, so the first page of runs (50) holds every other run and these fill the second.
  for (let i = 1; i <= BULK_RUNS; i++) expect((await turn("bulk", `bulk message ${i}`, { text: `bulk answer ${i}` })).status).toBe(200);
  expect((await turn("ann", "Hello there", { text: "Hi! **How** can I help?" })).status).toBe(200);
  const write = await turn("notes", "Note: buy milk",
    { toolCalls: [{ name: "write", args: { path: "notes/todo.md", content: "- buy milk\n" } }] },
    { text: "Saved your note in `notes/todo.md`." });
  expect(write.status).toBe(200);
  const denied = await turn("shell", "List the files with ls",
    { toolCalls: [{ name: "exec", args: { command: "ls -la" } }] },
    { text: "I am not allowed to run commands here." });
  expect(denied.status).toBe(200);
  const failed = await turn("broken", "This one fails", { error: { status: 400, message: "context too long for this model" } });
  expect(failed.ok).toBe(false);
  await turn("doomed", "Delete me afterwards", { text: "Fine." });
  // Hostile text from a user, a tool call's arguments and a model's answer.
  expect((await turn("evil", HOSTILE.input,
    { toolCalls: [{ name: "write", args: { path: "evil.md", content: HOSTILE.args } }] },
    { text: HOSTILE.answer })).status).toBe(200);
  fx.fake.enqueue({ text: "Hello Ann, from Telegram." });
  tg.dmFrom(tg.token, ANN, "hi from telegram");
  await tg.waitForSent(1);

  // A live config change, reloaded and audited.
  await home.writeConfig(`${config}\ngateway:\n  rate_limit_per_minute: 900\n`);
  gw.child.kill("SIGHUP");
  await until("the config reload to be audited", async () => (await apiGet<{ data: unknown[] }>("/audit?kind=config.reload")).data.length > 0);

  const runs = await apiGet<{ data: Array<{ id: string; status: string; errorCode?: string; sessionKey: string; toolCalls: number }> }>("/runs?limit=50");
  seeded.toolRunId = runs.data.find((r) => r.sessionKey === "agent:default:openai:dm:notes")!.id;
  const failedRun = runs.data.find((r) => r.status === "failed")!;
  seeded.failedRunId = failedRun.id;
  seeded.failedCode = failedRun.errorCode ?? "";
}, 120_000);

afterAll(async () => {
  await closeBrowserAndGateway(browser, gw);
  await tg?.close();
  await home?.cleanup();
});

/** expect.poll with room for a loaded machine (the default gives up after 1 s). */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 50 });

/** A logged-in page at `#/<path>`; fails the test on an uncaught page error, a rate-limited request, or "undefined",
 * "NaN" or "[object Object]" left on the page. */
async function withPage(path: string, fn: (page: Page) => Promise<void>, viewport = DESKTOP): Promise<void> {
  const context = await browser.newContext({ viewport });
  await context.addInitScript((token) => sessionStorage.setItem("pincer.token", token), gw.token);
  // Locator reads wait for their element; a short wait lets a poll that reads a missing element try again soon.
  context.setDefaultTimeout(5_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("response", (res) => res.status() === 429 && errors.push(`rate limited: ${res.url()}`));
  try {
    await page.goto(`${gw.url}/#/${path}`);
    await poll(() => page.locator("#conn").first().textContent()).toBe("connected");
    await fn(page).catch(async (err: unknown) => {
      await page.screenshot({ path: join(ARTIFACTS, `pages-a-failed-${path.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}.png`) }).catch(() => undefined);
      throw err;
    });
    expect(errors).toEqual([]);
    expect(await page.locator("#content").textContent()).not.toMatch(/\bundefined\b|\bNaN\b|\[object Object\]/);
  } finally {
    await context.close();
  }
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

describe.skipIf(!chromiumAvailable)("Control UI pages: Overview, Sessions, Runs, Audit", () => {
  it("Overview shows the gateway, the fake provider reachable with a latency, the Telegram account connected and today's usage", async () => {
    await withPage("overview", async (page) => {
      const provider = page.locator('.ov-provider[data-provider="fake"]');
      await poll(() => provider.isVisible()).toBe(true);
      expect(await provider.locator(".pill").textContent()).toBe("reachable");
      expect(await provider.locator(".ov-latency").textContent()).toMatch(/^\d+ ms$/);
      const account = page.locator('.ov-channel[data-account="telegram/default"]');
      expect(await account.locator(".pill").textContent()).toBe("connected");
      expect(await page.locator('section[aria-labelledby="ov-gateway"]').textContent()).toContain("0.1.0");
      expect(await page.locator("#ov-dashboard-url").textContent()).toBe(`${gw.url}/`);
      expect(Number((await page.locator("#ov-tokens").textContent())?.replace(/[^\d.]/g, ""))).toBeGreaterThan(0);
      await poll(() => page.locator('section[aria-labelledby="ov-errors"]').textContent()).toContain(seeded.failedCode);

      // "Probe again" asks the server to probe now: the check time moves.
      const before = Number(await provider.getAttribute("data-checked-at"));
      const probed = page.waitForResponse((r) => r.url().includes("/api/v1/status?probe=1") && r.ok());
      await page.getByRole("button", { name: "Probe again" }).click();
      await probed;
      await poll(async () => Number(await provider.getAttribute("data-checked-at"))).toBeGreaterThan(before);
      await shot(page, "pages-a-overview-desktop");
    });
    await withPage("overview", async (page) => {
      await poll(() => page.locator('.ov-provider[data-provider="fake"]').isVisible()).toBe(true);
      await shot(page, "pages-a-overview-mobile");
    }, MOBILE);
  }, 60_000);

  it("Runs lists the failed run with its error code, filters by status, and shows a new run without a reload", async () => {
    await withPage("runs", async (page) => {
      const rows = page.locator("table.table tbody tr");
      await poll(() => rows.count()).toBeGreaterThanOrEqual(6);
      const failedRow = rows.filter({ has: page.locator('.pill[data-status="failed"]') });
      expect(await failedRow.count()).toBe(1);
      expect(await failedRow.locator(".badge.error").textContent()).toBe(seeded.failedCode);
      await shot(page, "pages-a-runs-desktop");

      await page.getByLabel("Status").selectOption("failed");
      await poll(() => page.url()).toContain("status=failed");
      await poll(() => rows.count()).toBe(1);
      expect(await rows.first().locator(".pill").getAttribute("data-status")).toBe("failed");
      await page.getByLabel("Status").selectOption("");
      await poll(() => rows.count()).toBeGreaterThanOrEqual(6);

      // The model filter narrows to runs answered by that model (the failed one has none).
      await page.getByLabel("Model").fill("fake/gpt-4o-mini");
      await page.getByLabel("Model").press("Enter");
      await poll(() => page.url()).toContain("model=fake");
      await poll(() => rows.filter({ has: page.locator('.pill[data-status="failed"]') }).count()).toBe(0);
      await page.getByRole("button", { name: "Clear filters" }).click();
      await poll(() => page.url()).toBe(`${gw.url}/#/runs`);
      await poll(() => rows.filter({ has: page.locator('.pill[data-status="failed"]') }).count()).toBe(1);
      await poll(() => page.locator(".reloading").count()).toBe(0);
      await poll(() => page.locator(".runs-live").textContent()).toBe("live");

      // A run started now appears at the top and turns "done" when it finishes, from the live stream alone: the page
      // does not read the list again.
      const listReads: string[] = [];
      page.on("request", (req) => req.url().includes("/api/v1/runs?") && listReads.push(req.url()));
      const answered = turn("live", "Are you live?", { text: "Live and well.", delayMs: 300 });
      const liveRow = rows.filter({ hasText: "openai · live" });
      await poll(() => liveRow.count()).toBe(1);
      expect(await rows.first().textContent()).toContain("openai · live");
      expect((await answered).status).toBe(200);
      await poll(() => liveRow.locator(".pill").getAttribute("data-status")).toBe("succeeded");
      expect(listReads).toEqual([]);
    });
    await withPage("runs", async (page) => {
      await poll(() => page.locator("table.table tbody tr").count()).toBeGreaterThanOrEqual(6);
      await shot(page, "pages-a-runs-mobile");
    }, MOBILE);
  }, 60_000);

  it("Runs pages through older runs and back", async () => {
    await withPage("runs", async (page) => {
      const rows = page.locator("table.table tbody tr");
      await poll(() => rows.count()).toBe(50);
      const first = await rows.first().textContent();
      await page.getByRole("button", { name: "Older →" }).click();
      await poll(() => page.locator(".pager").textContent()).toContain("Page 2");
      await poll(() => rows.first().textContent()).not.toBe(first);
      const older = await rows.count();
      expect(older).toBeGreaterThanOrEqual(BULK_RUNS + 7 - 50);
      for (let i = 0; i < older; i++) expect(await rows.nth(i).textContent()).toContain("openai · bulk");
      expect(await page.getByRole("button", { name: "Older →" }).isDisabled()).toBe(true);
      await page.getByRole("button", { name: "← Newer" }).click();
      await poll(() => rows.first().textContent()).toBe(first);
      expect(await page.getByRole("button", { name: "← Newer" }).isDisabled()).toBe(true);
    });
  }, 60_000);

  it("a run in flight shows on the Overview, and its detail page follows it until it is stopped", async () => {
    const key = "agent:default:openai:dm:slow";
    const answered = turn("slow", "Write it down slowly",
      { toolCalls: [{ name: "write", args: { path: "slow.md", content: "slowly\n" } }] }, { hang: true });
    const run = await until("the slow run to write its file", async () => {
      const found = (await apiGet<{ data: Array<{ id: string; sessionKey: string; toolCalls: number }> }>("/runs?status=running")).data.find((r) => r.sessionKey === key);
      return found && found.toolCalls === 1 ? found : undefined;
    });
    await withPage("overview", async (page) => {
      const inFlight = page.locator('section[aria-labelledby="ov-runs"]');
      await poll(() => inFlight.locator("li").filter({ hasText: "openai · slow" }).count()).toBe(1);
      expect(await inFlight.locator("h2").textContent()).toBe("Runs in flight (1)");
    });
    await withPage(`runs/${encodeURIComponent(run.id)}`, async (page) => {
      const status = page.locator(".run-head .pill");
      await poll(() => status.getAttribute("data-status")).toBe("running");
      await poll(() => page.locator(".run-tool .run-tool-name").textContent()).toBe("write");
      const stop = await fetch(`${gw.url}/api/v1/sessions/${encodeURIComponent(key)}/stop`, { method: "POST", headers: { authorization: `Bearer ${gw.token}` } });
      expect(await stop.json()).toMatchObject({ stopped: true, runId: run.id });
      await poll(() => status.getAttribute("data-status")).toBe("cancelled");
      expect(await status.textContent()).toBe("stopped");
    });
    await answered;
  }, 60_000);

  it("a run's detail page shows its tool call with arguments, result and audit decision; a failed run its error", async () => {
    await withPage(`runs/${encodeURIComponent(seeded.toolRunId)}`, async (page) => {
      const call = page.locator(".run-tool");
      await poll(() => call.count()).toBe(1);
      expect(await call.locator(".run-tool-name").textContent()).toBe("write");
      expect(await call.textContent()).toContain("allowed");
      const args = JSON.parse((await call.locator(".run-tool-args").textContent()) ?? "{}");
      expect(args).toEqual({ path: "notes/todo.md", content: "- buy milk\n" });
      const detail = await apiGet<{ events: Array<{ type: string; result?: string }> }>(`/runs/${seeded.toolRunId}`);
      const result = detail.events.find((e) => e.type === "tool")!.result!;
      expect(result.length).toBeGreaterThan(0);
      expect(await call.locator(".run-tool-result").textContent()).toBe(result);
      // The answer is Markdown, rendered.
      expect(await page.locator(".run-event-text .md code").textContent()).toBe("notes/todo.md");
      await shot(page, "pages-a-run-detail-desktop");
    });
    await withPage(`runs/${encodeURIComponent(seeded.toolRunId)}`, async (page) => {
      await poll(() => page.locator(".run-tool").count()).toBe(1);
      await shot(page, "pages-a-run-detail-mobile");
    }, MOBILE);
    await withPage(`runs/${encodeURIComponent(seeded.failedRunId)}`, async (page) => {
      await poll(() => page.locator(".run-error").textContent()).toContain(seeded.failedCode);
      expect(await page.locator(".run-error").textContent()).toContain("context too long");
    });
  }, 60_000);

  it("Sessions lists every conversation, searches, shows a transcript like Chat, and deletes a session for good", async () => {
    await withPage("sessions", async (page) => {
      const rows = page.locator("table.table tbody tr");
      await poll(() => rows.count()).toBeGreaterThanOrEqual(6);
      const telegram = rows.filter({ hasText: "telegram" });
      expect(await telegram.count()).toBe(1);
      expect(await telegram.textContent()).toContain("601");
      await shot(page, "pages-a-sessions-desktop");

      await page.getByRole("searchbox", { name: "Search" }).fill("notes");
      await poll(() => page.url()).toContain("q=notes");
      await poll(() => rows.count()).toBe(1);
      await rows.first().click();
      await poll(() => page.locator(".sv-tool").count()).toBe(1);
      expect(await page.locator(".sv-user").first().textContent()).toContain("Note: buy milk");
      expect(await page.locator(".sv-answer .md code").textContent()).toBe("notes/todo.md");
      expect(await page.getByRole("link", { name: "Continue in Chat" }).getAttribute("href")).toBe(`#/chat/${encodeURIComponent("agent:default:openai:dm:notes")}`);
      await shot(page, "pages-a-session-desktop");
      await page.getByRole("link", { name: "Continue in Chat" }).click();
      await poll(() => page.locator("#page-title").textContent()).toBe("Chat");
      expect(page.url()).toBe(`${gw.url}/#/chat/${encodeURIComponent("agent:default:openai:dm:notes")}`);

      // A tool call the policy denied says so, as in Chat.
      await page.goto(`${gw.url}/#/sessions/${encodeURIComponent("agent:default:openai:dm:shell")}`);
      await poll(() => page.locator(".sv-tool .badge").first().textContent()).toBe("denied");
      expect(await page.locator(".sv-tool .sv-tool-name").textContent()).toBe("exec");

      // The failed turn keeps its status and error in the transcript.
      await page.goto(`${gw.url}/#/sessions/${encodeURIComponent("agent:default:openai:dm:broken")}`);
      await poll(() => page.locator('.sv-turn-foot .pill[data-status="failed"]').count()).toBe(1);
      expect(await page.locator(".sv-turn-error").textContent()).toContain(seeded.failedCode);

      // Delete asks first; Cancel keeps the session, Delete removes it, and it stays gone after a reload.
      await page.goto(`${gw.url}/#/sessions`);
      const doomed = rows.filter({ hasText: "doomed" });
      await poll(() => doomed.count()).toBe(1);
      await doomed.getByRole("button", { name: /^Delete/ }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
      expect(await doomed.count()).toBe(1);
      await doomed.getByRole("button", { name: /^Delete/ }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
      await poll(() => doomed.count()).toBe(0);
      await page.reload();
      await poll(() => rows.count()).toBeGreaterThanOrEqual(5);
      expect(await doomed.count()).toBe(0);
      expect((await fetch(`${gw.url}/api/v1/sessions/${encodeURIComponent("agent:default:openai:dm:doomed")}`, { headers: { authorization: `Bearer ${gw.token}` } })).status).toBe(404);
    });
    await withPage("sessions", async (page) => {
      await poll(() => page.locator("table.table tbody tr").count()).toBeGreaterThanOrEqual(5);
      await shot(page, "pages-a-sessions-mobile");
    }, MOBILE);
  }, 60_000);

  it("Sessions resets a conversation after confirming: the transcript is emptied, the session stays", async () => {
    const key = "agent:default:openai:dm:ann";
    await withPage(`sessions/${encodeURIComponent(key)}`, async (page) => {
      await poll(() => page.locator(".sv-answer").count()).toBe(1);
      await page.locator(".sv-actions").getByRole("button", { name: "Reset" }).click();
      const reset = page.waitForResponse((r) => r.url().endsWith("/reset"));
      await page.getByRole("dialog").getByRole("button", { name: "Reset" }).click();
      expect((await reset).status()).toBe(200);
      await poll(() => page.locator(".empty-title").textContent()).toBe("This conversation is empty.");
      expect((await apiGet<{ messages: unknown[] }>(`/sessions/${encodeURIComponent(key)}`)).messages).toEqual([]);
    });
  }, 60_000);

  it("Audit lists tool decisions, filters by decision (deny shows only denials) and by tool, and expands a row", async () => {
    await withPage("audit", async (page) => {
      const rows = page.locator("table.table tbody tr:not(.row-detail)");
      await poll(() => rows.count()).toBeGreaterThanOrEqual(2);
      expect(await rows.filter({ hasText: "denied" }).count()).toBeGreaterThanOrEqual(1);
      expect(await rows.filter({ hasText: "allowed" }).count()).toBeGreaterThanOrEqual(1);
      await shot(page, "pages-a-audit-desktop");

      await page.getByLabel("Decision").selectOption("deny");
      await poll(() => page.url()).toContain("decision=deny");
      await poll(() => rows.filter({ hasText: "allowed" }).count()).toBe(0);
      const denials = await rows.count();
      expect(denials).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < denials; i++) expect(await rows.nth(i).locator(".badge").first().textContent()).toBe("denied");
      expect(await rows.first().textContent()).toContain("exec");

      await rows.first().locator("td").first().click(); // not the middle of the row: that is the run's link
      const detail = page.locator("tr.row-detail");
      await poll(() => detail.count()).toBe(1);
      expect(await detail.textContent()).toContain("ls -la");
      expect(await rows.first().getAttribute("aria-expanded")).toBe("true");
      await shot(page, "pages-a-audit-expanded-desktop");

      await page.getByLabel("Decision").selectOption("");
      await page.getByLabel("Kind").fill("config.reload");
      await page.getByLabel("Kind").press("Enter");
      await poll(() => page.url()).toContain("kind=config.reload");
      await poll(() => rows.filter({ hasText: "tool.call" }).count()).toBe(0);
      expect(await rows.count()).toBe(1);
      expect(await rows.first().textContent()).toContain("info");
      await rows.first().locator("td").first().click();
      await poll(() => detail.textContent()).toContain("gateway.rate_limit_per_minute");

      await page.getByLabel("Kind").fill("");
      await page.getByLabel("Kind").press("Enter");
      await page.getByLabel("Tool").fill("write");
      await page.getByLabel("Tool").press("Enter");
      await poll(() => page.url()).toContain("tool=write");
      await poll(() => rows.filter({ hasText: "exec" }).count()).toBe(0);
      const writes = await rows.count();
      expect(writes).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < writes; i++) expect(await rows.nth(i).locator("td").nth(3).textContent()).toBe("write");
    });
    await withPage("audit?decision=deny", async (page) => {
      await poll(() => page.locator("table.table tbody tr").count()).toBeGreaterThanOrEqual(1);
      await shot(page, "pages-a-audit-mobile");
    }, MOBILE);
  }, 60_000);

  it("shows hostile text from users, tools and models as text: nothing in it runs on any of the pages", async () => {
    const key = "agent:default:openai:dm:evil";
    const runId = (await apiGet<{ data: Array<{ id: string }> }>(`/runs?session=${encodeURIComponent(key)}`)).data[0]!.id;
    const flag = (page: Page) => page.evaluate("window.__pwned");
    const noImages = async (page: Page) => expect(await page.locator("#content img").count()).toBe(0);

    await withPage("sessions?q=evil", async (page) => {
      await poll(() => page.locator(".sv-name").first().textContent()).toBe(HOSTILE.input);
      await noImages(page);
      expect(await flag(page)).toBeUndefined();
    });
    await withPage(`sessions/${encodeURIComponent(key)}`, async (page) => {
      await poll(() => page.locator(".sv-answer").count()).toBe(1);
      expect(await page.locator(".sv-user p").first().textContent()).toBe(HOSTILE.input);
      await page.locator(".sv-tool summary").click();
      expect(JSON.parse((await page.locator(".sv-tool pre").first().textContent()) ?? "{}")).toMatchObject({ content: HOSTILE.args });
      const link = page.locator(".sv-answer a");
      expect(await link.count()).toBe(1);
      expect(await link.getAttribute("href")).toBeNull(); // the javascript: link lost its target
      await link.click();
      expect(await page.locator(".sv-answer iframe").count()).toBe(0);
      await noImages(page);
      expect(await flag(page)).toBeUndefined();
    });
    await withPage(`runs/${encodeURIComponent(runId)}`, async (page) => {
      await poll(() => page.locator(".run-tool").count()).toBe(1);
      expect(await page.locator(".run-input-text").textContent()).toBe(HOSTILE.input);
      expect(JSON.parse((await page.locator(".run-tool-args").textContent()) ?? "{}")).toMatchObject({ content: HOSTILE.args });
      await noImages(page);
      expect(await flag(page)).toBeUndefined();
    });
    await withPage(`audit?run=${encodeURIComponent(runId)}`, async (page) => {
      const rows = page.locator("table.table tbody tr:not(.row-detail)");
      await poll(() => rows.count()).toBe(1);
      await rows.first().locator("td").first().click();
      await poll(() => page.locator("tr.row-detail pre").textContent()).toContain("window.__pwned='args'");
      await noImages(page);
      expect(await flag(page)).toBeUndefined();
    });
  }, 60_000);

  it("shows the server's error when the API refuses a filter, and empty states for unknown ids and empty results", async () => {
    await withPage(`audit?run=${"r".repeat(600)}`, async (page) => {
      await poll(() => page.locator(".banner.error").textContent()).toContain("run: must be at most 512 characters");
      expect(await page.locator(".banner.error").getByRole("button", { name: "Retry" }).isVisible()).toBe(true);
    });
    await withPage(`runs/${encodeURIComponent("run_does_not_exist")}`, async (page) => {
      await poll(() => page.locator(".empty-title").textContent()).toBe("There is no such run.");
    });
    await withPage(`sessions/${encodeURIComponent("agent:default:openai:dm:nobody")}`, async (page) => {
      await poll(() => page.locator(".empty-title").textContent()).toBe("There is no such session.");
    });
    await withPage("audit?run=run_nothing_here", async (page) => {
      await poll(() => page.locator(".empty-title").textContent()).toBe("No audit records match these filters.");
    });
    await withPage("runs?range=1h&status=interrupted", async (page) => {
      await poll(() => page.locator(".empty-title").textContent()).toBe("No runs match these filters.");
    });
  }, 60_000);
});
