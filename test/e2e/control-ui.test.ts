// The Control UI in a real headless Chromium against `pincer gateway` as a process: the shell (login, navigation,
// first-start link, logout, mobile menu), what it is served with (CSP, vendor allowlist), and the Chat page (streamed
// Markdown, hostile answers, tool calls and failures across a reload, commands, sessions, images, offline messages).
// One gateway for the file (restarted on the same port by the offline case, which runs last).
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { fakeProviderConfig, makeHome, startGatewayProcess, TEST_GATEWAY_TOKEN, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";
import { ARTIFACTS, chromiumAvailable, launchChromium, MOBILE } from "./browser.ts";



const fx = useCliFixture();
let browser: Browser;
let home: Home;
let gw: GatewayProcess;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  await mkdir(ARTIFACTS, { recursive: true });
  [browser, home] = await Promise.all([
    launchChromium(),
    // Not fx.home: that one is removed after each case, and this gateway serves them all.
    makeHome(fakeProviderConfig(fx.fake.baseURL)),
  ]);
  gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (gw) {
    gw.child.kill("SIGTERM");
    await gw.exited;
  }
  await home?.cleanup();
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

describe.skipIf(!chromiumAvailable)("Control UI shell in Chromium", () => {
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
      for (const title of ["Chat", "Sessions", "Runs", "Usage", "Channels", "Skills", "Logs", "Audit", "Config", "Overview"]) {
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

async function openChat(page: Page, hash = "#/chat"): Promise<void> {
  await page.goto(`${gw.url}/#token=${gw.token}`);
  await poll(() => page.locator("#conn").first().textContent()).toBe("connected");
  await page.goto(`${gw.url}/${hash}`);
  await poll(() => page.getByLabel("Message").isVisible()).toBe(true);
}

/** Opens a new conversation (so cases do not share one). */
async function newChat(page: Page): Promise<string> {
  await page.getByRole("button", { name: "New chat", exact: true }).click();
  await poll(() => decodeURIComponent(page.url())).toMatch(/#\/chat\/agent:default:webchat:dm:webchat-/);
  return decodeURIComponent(page.url().split("#/chat/")[1]!);
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel("Message").fill(text);
  await page.getByLabel("Message").press("Enter");
}

const assistant = (page: Page) => page.locator(".msg.assistant");
/** The last answer's text as read (Markdown paragraphs end in a newline). */
const lastAnswer = async (page: Page) => (await assistant(page).allTextContents()).at(-1)?.trim();

/** What a conversation shows, in order: one line per item, as text a person reads. */
async function transcriptOf(page: Page): Promise<string[]> {
  return page.locator(".messages > *").evaluateAll((els) => els.map((el) => {
    if (el.matches(".tool")) return `tool ${el.querySelector(".tool-name")?.textContent} ${el.getAttribute("data-status")} ${el.querySelector(".args")?.textContent?.replace(/\s+/g, " ") ?? ""} => ${el.querySelector(".result")?.textContent ?? ""}`;
    if (el.matches(".run-status")) return `status ${el.getAttribute("data-status")}: ${el.textContent}`;
    if (el.matches(".msg.user")) return `user: ${el.querySelector(".text")?.textContent ?? ""}`;
    if (el.matches(".msg.assistant")) return `assistant: ${el.querySelector(".md")?.innerHTML}`;
    return `${el.className}: ${el.textContent}`;
  }));
}

describe.skipIf(!chromiumAvailable)("Chat page in Chromium", () => {
  it("streams an answer and renders its Markdown to real elements: code with highlighting and Copy, a table, safe links", async () => {
    await withPage(async (page) => {
      await openChat(page);
      await newChat(page);
      const answer = "## Plan\n\nSteps **one** and [docs](https://example.com/docs).\n\n| name | size |\n|---|---|\n| a.txt | 3 |\n\n> quoted\n\n```js\nconst x = 1;\n```\n\n- first\n- second";
      fx.fake.enqueue({ text: answer, chunkDelayMs: 40 });
      await send(page, "make a plan");
      await poll(() => page.locator(".msg.user").last().textContent()).toBe("make a plan");
      // Part of the answer is on screen while it still streams.
      await expect.poll(async () => (await assistant(page).last().getAttribute("data-state")) === "streaming" && ((await assistant(page).last().textContent()) ?? "").length > 0, { timeout: 10_000, interval: 20 }).toBe(true);
      await poll(() => assistant(page).last().getAttribute("data-state")).toBe("done");
      const md = assistant(page).last().locator(".md");
      expect(await md.locator("h2").textContent()).toBe("Plan");
      expect(await md.locator("strong").textContent()).toBe("one");
      expect(await md.locator("table td").allTextContents()).toEqual(["a.txt", "3"]);
      expect(await md.locator("blockquote").textContent()).toContain("quoted");
      expect(await md.locator("li").allTextContents()).toEqual(["first", "second"]);
      const link = md.locator("a", { hasText: "docs" });
      expect(await link.getAttribute("href")).toBe("https://example.com/docs");
      expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
      expect(await link.getAttribute("target")).toBe("_blank");
      expect(await md.locator("pre code").textContent()).toBe("const x = 1;");
      await poll(() => md.locator("pre code .hljs-keyword").count()).toBe(1);
      expect(await md.locator("pre button", { hasText: "Copy" }).count()).toBe(1);
      await page.screenshot({ path: join(ARTIFACTS, "chat-markdown-desktop.png") });
      await page.setViewportSize(MOBILE);
      await page.screenshot({ path: join(ARTIFACTS, "chat-markdown-mobile.png") });
    });
  }, 60_000);

  it("runs nothing from a hostile answer: no script, handler, javascript: link, frame or SVG executes", async () => {
    await withPage(async (page) => {
      const dialogs: string[] = [];
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await openChat(page);
      await newChat(page);
      const hostile = [
        "Here you go <img src=x onerror=\"window.__pwned='img'\"> <script>window.__pwned='script'</script>",
        "[click me](javascript:window.__pwned='link') and [data](data:text/html,<script>alert(1)</script>)",
        "<iframe src=\"javascript:window.top.__pwned='iframe'\"></iframe> <svg onload=\"window.__pwned='svg'\"><circle r=5 /></svg>",
        "<a href=\"javascript:alert('a')\">raw link</a> <details open ontoggle=\"window.__pwned='details'\">x</details> ![img](javascript:alert(2))",
        "```html\n<script>window.__pwned='code'</script>\n```",
      ].join("\n\n");
      fx.fake.enqueue({ text: hostile });
      await send(page, "say something nasty");
      await poll(() => assistant(page).last().getAttribute("data-state")).toBe("done");
      const md = assistant(page).last().locator(".md");
      expect(await md.locator("script, iframe, svg, img, details, object, embed").count()).toBe(0);
      for (const a of await md.locator("a").all()) expect((await a.getAttribute("href")) ?? "").not.toMatch(/^(javascript|data):/i);
      await md.locator("a", { hasText: "click me" }).click();
      expect(await md.textContent()).toContain("<script>window.__pwned='script'</script>"); // shown as text
      expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
      expect(dialogs).toEqual([]);
    });
  }, 60_000);

  it("shows tool calls and a failed turn the same after a reload", async () => {
    await withPage(async (page) => {
      await openChat(page);
      await newChat(page);
      fx.fake.enqueue({ toolCalls: [{ name: "ls", args: { path: "." } }, { name: "no_such_tool", args: { x: 1 } }] }, { text: "Listed **it**." });
      await send(page, "what files are there?");
      await poll(() => lastAnswer(page)).toBe("Listed it.");
      fx.fake.enqueue({ error: { status: 400, message: "model exploded" } });
      await send(page, "now fail");
      await poll(() => page.locator(".run-status").count()).toBe(1);
      const live = await transcriptOf(page);
      expect(live.filter((l) => l.startsWith("tool "))).toEqual([
        expect.stringMatching(/^tool ls ok \{ "path": "\." \} => /),
        expect.stringMatching(/^tool no_such_tool denied \{ "x": 1 \} => unknown tool "no_such_tool"/),
      ]);
      expect(live.at(-1)).toMatch(/^status failed: Failed: .*model exploded/);
      await page.screenshot({ path: join(ARTIFACTS, "chat-tools-desktop.png") });

      await page.reload();
      await poll(() => transcriptOf(page)).toEqual(live);
    });
  }, 60_000);

  it("lists commands when / is typed; /new starts over, /status answers without a model call", async () => {
    await withPage(async (page) => {
      await openChat(page);
      await newChat(page);
      fx.fake.enqueue({ text: "first answer" });
      await send(page, "remember me");
      await poll(() => lastAnswer(page)).toBe("first answer");
      const before = fx.fake.requests.length;

      await page.getByLabel("Message").fill("/");
      const hints = page.getByRole("listbox", { name: "Commands" });
      await poll(() => hints.getByRole("option").allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^\/new /), expect.stringMatching(/^\/status /)]));
      await page.screenshot({ path: join(ARTIFACTS, "chat-commands-desktop.png") });
      await page.getByLabel("Message").press("Enter"); // picks the first hint, /new
      expect(await page.getByLabel("Message").inputValue()).toBe("/new ");
      await page.getByLabel("Message").press("Enter");
      await poll(() => page.locator(".msg.command").last().textContent()).toContain("New conversation started");
      expect(await page.locator(".msg.assistant").count()).toBe(0);

      await send(page, "/status");
      await poll(() => page.locator(".msg.command").last().textContent()).toContain("Agent: default");
      await send(page, "/frobnicate now");
      await poll(() => page.locator(".composer-error").textContent()).toBe("Unknown command /frobnicate. Type / to see the commands.");
      expect(fx.fake.requests.length).toBe(before);

      await page.reload();
      await poll(() => page.locator(".chat-empty").isVisible()).toBe(true); // the old conversation is gone
    });
  }, 60_000);

  it("titles a conversation from its first message, renames, finds and deletes it", async () => {
    await withPage(async (page) => {
      await openChat(page);
      const key = await newChat(page);
      fx.fake.enqueue({ text: "Paris is lovely in spring." });
      await send(page, "Plan a weekend in Paris\nwith museums");
      const item = page.locator(`#sessions button[data-session="${key}"] .label`);
      await poll(() => item.textContent()).toBe("Plan a weekend in Paris");
      expect(await page.locator("#session-title").textContent()).toBe("Plan a weekend in Paris");

      await page.getByRole("button", { name: "Rename" }).click();
      await page.getByLabel("Conversation title").fill("Paris trip");
      await page.getByRole("button", { name: "Save" }).click();
      await poll(() => page.locator("#session-title").textContent()).toBe("Paris trip");
      await poll(() => item.textContent()).toBe("Paris trip");

      await page.getByLabel("Search conversations").fill("lovely in SPRING");
      await poll(() => page.locator("#sessions button .label").allTextContents()).toEqual(["Paris trip"]);
      await page.getByLabel("Search conversations").fill("zzz no match");
      await poll(() => page.locator("#sessions button").count()).toBe(0);
      await page.getByLabel("Search conversations").fill("");

      await page.getByRole("button", { name: "Delete" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
      await poll(() => page.locator(`#sessions button[data-session="${key}"]`).count()).toBe(0);
      expect((await fetch(`${gw.url}/api/v1/sessions/${encodeURIComponent(key)}`, { headers: { authorization: `Bearer ${gw.token}` } })).status).toBe(404);
    });
  }, 60_000);

  it("sends a picked image to the model as an image part and shows it in the message", async () => {
    await withPage(async (page) => {
      await openChat(page);
      await newChat(page);
      const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
      await page.locator('input[type="file"]').setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: png });
      await poll(() => page.locator(".thumb img").count()).toBe(1);

      fx.fake.enqueue({ text: "A single pixel." });
      const before = fx.fake.requests.length;
      await send(page, "what is in this picture?");
      await poll(() => page.locator(".messages").innerHTML()).toContain("A single pixel.");
      expect(await page.locator(".msg.user .images img").count()).toBe(1);
      const body = fx.fake.requests[before]?.body as { messages: Array<{ role: string; content: unknown }> };
      const content = body.messages.findLast((m) => m.role === "user")?.content as Array<{ type: string; image_url?: { url: string } }>;
      expect(content.map((p) => p.type)).toEqual(["text", "image_url"]);
      expect(content[1]?.image_url?.url).toBe(`data:image/png;base64,${png.toString("base64")}`);
    });
  }, 60_000);

  // Last: restarts the gateway.
  it("keeps a message typed while the gateway is down visibly pending, and sends it once it is back", async () => {
    await withPage(async (page) => {
      await openChat(page);
      const key = await newChat(page);
      const port = new URL(gw.url).port;
      gw.child.kill("SIGTERM");
      await gw.exited;
      await poll(() => page.locator(".header #conn, .nav #conn").first().getAttribute("data-state")).toBe("reconnecting");
      await poll(() => page.locator(".chat-main .banner").textContent()).toContain("Offline");
      await send(page, "sent while offline");
      await poll(() => page.locator(".msg.user").last().getAttribute("data-state")).toBe("pending");
      expect(await page.locator(".msg.user .note").last().textContent()).toBe("Waiting for the connection…");
      await page.screenshot({ path: join(ARTIFACTS, "chat-offline-desktop.png") });

      fx.fake.enqueue({ text: "got it after the restart" });
      gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { args: ["--port", port] });
      await poll(() => lastAnswer(page)).toBe("got it after the restart");
      expect(await page.locator(".msg.user").last().getAttribute("data-state")).toBe("sent");
      const history = await (await fetch(`${gw.url}/api/v1/sessions/${encodeURIComponent(key)}`, { headers: { authorization: `Bearer ${gw.token}` } })).json() as { messages: unknown[] };
      expect(history.messages).toHaveLength(2); // sent once
    });
  }, 90_000);
});
