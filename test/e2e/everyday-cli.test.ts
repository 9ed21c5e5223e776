// The everyday commands through the real binary against one real gateway process (its stored token, a Telegram
// account on the loopback fake): status, dashboard login links, message send, models, and a token rotation that
// applies at once. Commands that need no gateway run on homes of their own.
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import { echoLastUserMessage, fakeProviderConfig, makeHome, startGatewayProcess, telegramAccountConfig, until, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";

const fx = useCliFixture();

let tg: TelegramFake;
let home: Home;
let gw: GatewayProcess;
/** The token the gateway created on its first start (it runs without PINCER_GATEWAY_TOKEN). */
let firstToken: string;

beforeAll(async () => {
  tg = await startTelegramFake();
  echoLastUserMessage(fx.fake);
  home = await makeHome(fakeProviderConfig(fx.fake.baseURL, telegramAccountConfig(tg)));
  gw = await startGatewayProcess(home, "", { env: { PINCER_LOG_LEVEL: "warn" } });
  await until("the channel to connect", () => /channel telegram\/default: connected/.test(gw.output()));
  firstToken = /created a gateway token[^\n]*\n\s+(pgw_\S+)/.exec(gw.output())![1]!;
}, 120_000);

afterAll(async () => {
  gw?.child.kill("SIGTERM");
  await gw?.exited;
  await tg?.close();
  await home?.cleanup();
}, 60_000);

type Json = Record<string, any>;
const json = (text: string): Json => JSON.parse(text) as Json;
const exchange = (code: string) =>
  fetch(`${gw.url}/api/v1/auth/exchange`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) });
const sessionsWith = (token: string) => fetch(`${gw.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${token}` } });

/** The first frame the gateway answers a /ws auth frame carrying `token` with. */
function wsHello(token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gw.url.replace("http", "ws")}/ws`, { origin: gw.url });
    ws.on("open", () => ws.send(JSON.stringify({ type: "auth", token })));
    ws.on("message", (data) => {
      resolve((JSON.parse(String(data)) as { type: string }).type);
      ws.close();
    });
    ws.on("error", reject);
  });
}

/** An authenticated /ws connection; `closed` gives its close code and the last frame before it. */
function wsConnect(token: string): Promise<{ send(frame: string): void; closed: Promise<{ code: number; frame: string }> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gw.url.replace("http", "ws")}/ws`, { origin: gw.url });
    let last = "";
    const closed = new Promise<{ code: number; frame: string }>((done) => ws.on("close", (code) => done({ code, frame: last })));
    ws.on("open", () => ws.send(JSON.stringify({ type: "auth", token })));
    ws.on("message", (data) => {
      last = String(data);
      if ((JSON.parse(last) as { type: string }).type === "hello") resolve({ send: (f) => ws.send(f), closed });
    });
    ws.on("error", reject);
  });
}

/** A loopback port nothing listens on (just released), so "not running" never depends on what else runs here. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return String(port);
}

describe("against a running gateway", () => {
  it("status shows the gateway, its channel and today's usage, and says what to do next", async () => {
    const { code, stdout } = await home.cli(["status", "--json"]);
    expect(code).toBe(0);
    const report = json(stdout);
    expect(report.gateway).toMatchObject({ running: true, url: gw.url, pid: gw.child.pid });
    expect(report.channels).toEqual([{ channel: "telegram", account: "default", state: "connected" }]);
    // GET /api/v1/status probes each provider (the fake's model list) and says how long it took.
    expect(report.models).toEqual([{ id: "fake", ok: true, checked: "probe", latencyMs: expect.any(Number) }]);
    expect(report.today).toEqual({ tokens: 0, costUsd: 0 });
    expect(report.next).toContain("open the dashboard: pincer dashboard");

    const text = await home.cli(["status"]);
    expect(text.stdout).toContain(`gateway   running at ${gw.url} (pid ${gw.child.pid}`);
    expect(text.stdout).toContain("telegram/default: connected");
  });

  it("dashboard prints a one-time login link; the code opens one UI session, accepted like the token", async () => {
    const printed = await home.cli(["dashboard", "--no-open"]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(new RegExp(`^${gw.url}/#login=[A-Za-z0-9_-]{32}\\n$`));
    expect(printed.stderr).toContain("the gateway token is unchanged");

    const { stdout } = await home.cli(["dashboard", "--json"]);
    const link = json(stdout);
    expect(link).toMatchObject({ gatewayUrl: gw.url, opened: false });
    const code = new URL(link.url as string).hash.replace("#login=", "");
    const first = await exchange(code);
    expect(first.status).toBe(200);
    const { token } = (await first.json()) as { token: string };
    expect((await sessionsWith(token)).status).toBe(200);
    expect(await wsHello(token)).toBe("hello"); // the /ws auth frame takes it too
    expect((await exchange(code)).status).toBe(401);
    expect((await sessionsWith(firstToken)).status).toBe(200); // the gateway token still works: nothing was rotated
  });

  it("message send delivers through the channel once per idempotency key; wrong accounts and chats are refused", async () => {
    tg.addChat(tg.token, { id: 501, type: "private" });
    const before = tg.sent.length;
    const sent = await home.cli(["message", "send", "--channel", "telegram", "--to", "501", "--idempotency-key", "build-42", "Build **finished**"]);
    expect([sent.code, sent.stdout]).toEqual([0, "sent (telegram/default → 501, 1 message)\n"]);
    expect(tg.sent.slice(before).map((s) => [s.chat_id, s.message.text])).toEqual([["501", "Build finished"]]);

    const again = await home.cli(["message", "send", "--channel", "telegram", "--to", "501", "--idempotency-key", "build-42", "--json", "Build **finished**"]);
    expect(again.code).toBe(0);
    expect(json(again.stdout)).toMatchObject({ status: "duplicate", messages: 0, idempotencyKey: "build-42" });
    expect(tg.sent.length).toBe(before + 1);

    const noAccount = await home.cli(["message", "send", "--channel", "telegram", "--account", "work", "--to", "501", "hi"]);
    expect([noAccount.code, noAccount.stderr]).toEqual([2, "error: channel account telegram/work is not configured. Fix: 'pincer channels list' shows the configured ones\n"]);
    const noChannel = await home.cli(["message", "send", "--channel", "slack", "--to", "C1", "hi"]);
    expect([noChannel.code, noChannel.stderr]).toEqual([2, "error: no slack account is configured. Fix: 'pincer channels add slack'\n"]);
    const unknownChat = await home.cli(["message", "send", "--channel", "telegram", "--to", "999", "hi"]);
    expect(unknownChat.code).toBe(1);
    expect(unknownChat.stderr).toContain("telegram/default refused the message");
    const badChannel = await home.cli(["message", "send", "--channel", "fax", "--to", "1", "hi"]);
    expect(badChannel.code).toBe(2);
  });

  it("models list shows the tiers and the provider's /models; models set edits the tier (validated)", async () => {
    const listed = json((await home.cli(["models", "list", "--json"])).stdout);
    expect(listed.tiers).toEqual([{ tier: "default", primary: "fake/gpt-4o-mini", fallbacks: [], authMode: "auto" }]);
    expect(listed.providers).toEqual([{ id: "fake", type: "openai-compatible", baseUrl: fx.fake.baseURL, credential: "config", models: ["gpt-4.1", "gpt-4o-mini"] }]);
    const text = await home.cli(["models", "list"]);
    expect(text.stdout).toContain("  fake/gpt-4.1\n");

    const set = await home.cli(["models", "set", "fast", "fake/gpt-4.1"]);
    expect([set.code, set.stdout]).toEqual([0, `models.tiers.fast.primary: (unset) → fake/gpt-4.1 in ${join(home.dir, "pincer.yaml")}; a running gateway applies it at once\n`]);
    const before = await readFile(join(home.dir, "pincer.yaml"), "utf8");
    expect(before).toContain("primary: fake/gpt-4.1");
    const unknown = await home.cli(["models", "set", "fast", "nope/gpt"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: <provider\/model>: unknown provider "nope"/);
    expect((await home.cli(["models", "set", "turbo", "fake/gpt-4.1"])).code).toBe(2);
    expect(await readFile(join(home.dir, "pincer.yaml"), "utf8")).toBe(before);
  });

  // Last but one: it changes the token every other case uses.
  it("gateway token --rotate applies at once: the old token and the UI sessions stop working, the new one works", async () => {
    const { stdout } = await home.cli(["dashboard", "--json"]);
    const code = new URL(json(stdout).url as string).hash.replace("#login=", "");
    const { token: session } = (await (await exchange(code)).json()) as { token: string };
    expect((await sessionsWith(session)).status).toBe(200);
    const open = await wsConnect(session); // authenticated before the rotation

    const rotated = await home.cli(["gateway", "token", "--rotate"]);
    expect(rotated.code).toBe(0);
    const next = rotated.stdout.trim();
    expect(rotated.stderr).toContain(`the running gateway (pid ${gw.child.pid}) uses it at once`);
    expect((await sessionsWith(firstToken)).status).toBe(401);
    expect((await sessionsWith(session)).status).toBe(401);
    expect((await sessionsWith(next)).status).toBe(200);
    expect(await wsHello(session)).toBe("error");
    // The connection opened with it ends at its next frame.
    open.send(JSON.stringify({ type: "ping", id: 1 }));
    expect(await open.closed).toEqual({ code: 4401, frame: expect.stringContaining("the token is no longer valid") });
    // The CLI itself still gets in (a fresh login code), e.g. for status.
    expect(json((await home.cli(["status", "--json"])).stdout).gateway.note).toBeUndefined();
  });

  it("a stopped gateway removes gateway.json, and status then says it is not running", async () => {
    gw.child.kill("SIGTERM");
    expect(await gw.exited).toBe(0);
    await expect(readFile(join(home.dir, "gateway.json"), "utf8")).rejects.toMatchObject({ code: "ENOENT" });
    const report = json((await home.cli(["status", "--json"], { env: { PORT: await closedPort() } })).stdout);
    expect(report.gateway.running).toBe(false);
  });
});

describe("without a running gateway", () => {
  it("status answers from the config and the state dir and says to start the gateway", async () => {
    const local = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const port = await closedPort();
    const { code, stdout } = await local.cli(["status", "--json"], { env: { PORT: port } });
    expect(code).toBe(0);
    const report = json(stdout);
    expect(report.gateway).toEqual({ running: false, url: `http://127.0.0.1:${port}`, note: `nothing answers at http://127.0.0.1:${port}` });
    expect(report.models).toEqual([{ id: "fake/gpt-4o-mini", ok: true, checked: "credential" }]);
    expect(report.source).toBe("local");
    expect(report.next).toEqual([
      "start the gateway: pincer gateway (or 'pincer gateway install' to keep it running)",
      "reach the agent from a chat app: pincer channels add telegram --token-env TELEGRAM_BOT_TOKEN",
    ]);

    // A gateway killed without cleaning up left its file: its pid is gone, so no request is even tried.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    await writeFile(join(local.dir, "gateway.json"), JSON.stringify({ pid: dead, hostname: hostname(), url: "http://127.0.0.1:9", startedAt: 0, version: "0.1.0", tokenSource: "file" }));
    const stale = json((await local.cli(["status", "--json"], { env: { PORT: port } })).stdout);
    expect(stale.gateway).toEqual({ running: false, url: `http://127.0.0.1:${port}`, note: `the gateway that last ran here (pid ${dead}) has stopped` });
  });

  it("doctor --probe reports each provider's latency, or the failure with a fix (exit 1)", async () => {
    const local = await fx.home(fakeProviderConfig(fx.fake.baseURL, ["    fast:", "      primary: down/gpt-4o-mini"].join("\n")).replace(
      "  tiers:",
      ["    down:", "      type: openai-compatible", `      base_url: http://127.0.0.1:${await closedPort()}/v1`, "  tiers:"].join("\n"),
    ));
    fx.fake.enqueue({ text: "OK" });
    const { code, stdout } = await local.cli(["doctor", "--probe", "--json"]);
    expect(code).toBe(1);
    const probes = (json(stdout).checks as Json[]).filter((c) => c.name === "probe");
    expect(probes).toHaveLength(2);
    expect(probes[0]).toMatchObject({ status: "ok", detail: expect.stringMatching(/^fake\/gpt-4o-mini: answered in \d+ ms$/) });
    expect(probes[1]).toMatchObject({ status: "fail", detail: expect.stringMatching(/^down\/gpt-4o-mini: .*cannot reach the provider.* \[network\]$/) });
    expect(probes[1]!.fix).toBe("check models.providers.down.base_url, that the server runs, and that this machine can reach it");
    const text = await local.cli(["doctor", "--probe"]);
    expect(text.stdout).toContain("✓ probe        fake/gpt-4o-mini: answered in");
  });

  it("status reads today's usage and failures from the store, and an invalid config exits 78 with the fix first", async () => {
    const local = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    fx.fake.enqueue({ text: "ok", usage: { input: 40, output: 2 } });
    expect((await local.cli(["run", "hello"])).code).toBe(0);
    const env = { PORT: await closedPort() };
    const text = (await local.cli(["status"], { env })).stdout;
    expect(text).toContain("today     42 tokens");
    expect(text).toContain(`gateway   not running (would listen at http://127.0.0.1:${env.PORT})`);

    await local.writeConfig("models: [unclosed");
    const broken = await local.cli(["status"], { env });
    expect(broken.code).toBe(78);
    expect(broken.stdout).toContain("config    INVALID:");
    expect(broken.stdout).toMatch(/next {6}fix .*pincer\.yaml/);
  });

  it("dashboard and message send say the gateway is not running (exit 1)", async () => {
    const local = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const env = { PORT: await closedPort() };
    const dash = await local.cli(["dashboard"], { env });
    expect(dash.code).toBe(1);
    expect(dash.stderr).toContain(`error: the gateway is not running (nothing answers at http://127.0.0.1:${env.PORT}), so there is nothing to log in to`);
    const msg = await local.cli(["message", "send", "--channel", "telegram", "--to", "1", "hi"], { env });
    expect([msg.code, msg.stderr]).toEqual([1, `error: the gateway is not running (nothing answers at http://127.0.0.1:${env.PORT}). Fix: start it with 'pincer gateway' (or 'pincer gateway install' to keep it running)\n`]);
  });

  it("status renders a gateway's GET /api/v1/status when it has one", async () => {
    const local = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const token = "pgw_test_7fQ2mX9kLp4Rz8Vw3Nc6Hb1T";
    const body = {
      version: "9.9.9", uptime: 7_260, dashboardUrl: "http://127.0.0.1:1/",
      providers: [{ id: "fake", ok: true, latencyMs: 42 }, { id: "spare", ok: false, latencyMs: 5, error: "spare/x: rate limited (429)" }],
      channels: [{ channel: "telegram", account: "default", state: "failed", lastError: "401 Unauthorized: token revoked" }],
      runsInFlight: [{ id: "run_1", sessionKey: "agent:default:telegram:dm:501", startedAt: Date.now() - 65_000 }],
      today: { tokens: 1234, costUsd: 0.0123 },
      lastErrors: [{ at: Date.now() - 120_000, message: "run run_0 failed (timeout): no answer" }],
    };
    const stub = createServer((req, res) => {
      const authed = req.headers.authorization === `Bearer ${token}`;
      const answer = req.url === "/healthz" ? { ok: true } : req.url === "/api/v1/status" && authed ? body : undefined;
      res.writeHead(answer ? 200 : 404, { "content-type": "application/json" }).end(JSON.stringify(answer ?? {}));
    });
    await new Promise<void>((done) => stub.listen(0, "127.0.0.1", done));
    const url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
    try {
      await writeFile(join(local.dir, "gateway.json"), JSON.stringify({ pid: process.pid, hostname: hostname(), url, startedAt: 0, version: "9.9.9", tokenSource: "env" }));
      const env = { PINCER_GATEWAY_TOKEN: token };
      const report = json((await local.cli(["status", "--json"], { env })).stdout);
      expect(report.source).toBe("gateway");
      expect(report.models).toEqual([
        { id: "fake", ok: true, checked: "probe", latencyMs: 42 },
        { id: "spare", ok: false, checked: "probe", latencyMs: 5, error: "spare/x: rate limited (429)" },
      ]);
      expect(report.today).toEqual({ tokens: 1234, costUsd: 0.0123 });
      const text = (await local.cli(["status"], { env })).stdout;
      expect(text).toContain(`gateway   running at ${url} (pid ${process.pid}, up 2 h 1 min, v9.9.9)`);
      expect(text).toContain("          spare: NOT reachable: spare/x: rate limited (429)");
      expect(text).toContain("channels  telegram/default: failed (401 Unauthorized: token revoked)");
      expect(text).toContain("runs      1 in flight\n          run_1 agent:default:telegram:dm:501, for 1 min");
      expect(text).toContain("today     1,234 tokens, $0.0123");
      expect(text).toContain("errors    2 min ago: run run_0 failed (timeout): no answer");
      expect(text).toContain("next      model provider spare: spare/x: rate limited (429)");
    } finally {
      stub.close();
    }
  });
});

describe("config edits", () => {
  it("agents add, list and remove, keeping the built-in default agent and refusing to remove it", async () => {
    const local = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const added = await local.cli(["agents", "add", "work", "--model", "fake/gpt-4.1"]);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`added agent work (model fake/gpt-4.1, workspace ${join(local.dir, "workspace-work")})`);
    const listed = json((await local.cli(["agents", "list", "--json"])).stdout);
    expect(listed.agents.map((a: Json) => [a.id, a.model, a.default])).toEqual([["default", "default", true], ["work", "fake/gpt-4.1", false]]);

    expect((await local.cli(["agents", "add", "work"])).code).toBe(1);
    expect((await local.cli(["agents", "add", "bad.id"])).code).toBe(2);
    expect((await local.cli(["agents", "add", "x", "--model", "not a ref"])).code).toBe(2);
    const keep = await local.cli(["agents", "remove", "default"]);
    expect([keep.code, keep.stderr]).toEqual([1, "error: agent \"default\" is the default agent: it answers every chat no binding routes elsewhere, so it cannot be removed\n"]);

    const removed = await local.cli(["agents", "remove", "work"]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`nothing was deleted: its sessions and runs stay in the store ('pincer sessions list --agent work'), its workspace stays at ${join(local.dir, "workspace-work")}`);
    expect(json((await local.cli(["agents", "list", "--json"])).stdout).agents.map((a: Json) => a.id)).toEqual(["default"]);
    expect((await local.cli(["agents", "remove", "work"])).code).toBe(2);
  });
});
