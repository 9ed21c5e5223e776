// The Control UI's API on a real `pincer gateway` process with the Telegram and model fakes: status, pairing approved
// over HTTP letting the next DM through without a restart, the live runs stream, the log file read back, and a config
// edit saved and reloaded by the running gateway. One gateway serves every case.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import { readSse } from "../support/sse.ts";
import { echoLastUserMessage, fakeProviderConfig, makeHome, startGatewayProcess, telegramAccountConfig, until, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";

const fx = useCliFixture();
const ANN = { id: 601, first_name: "Ann" };
let tg: TelegramFake;
let home: Home;
let gw: GatewayProcess;

const api = (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${gw.url}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${gw.token}`, "content-type": "application/json", ...init.headers } });
const json = async (path: string, init?: RequestInit): Promise<any> => (await api(path, init)).json();
const sentToAnn = () => tg.sent.filter((s) => s.chat_id === String(ANN.id));

beforeAll(async () => {
  tg = await startTelegramFake();
  echoLastUserMessage(fx.fake);
  // Not fx.home: that one is removed after each test, and this gateway lives for the whole file.
  home = await makeHome(fakeProviderConfig(fx.fake.baseURL, telegramAccountConfig(tg)));
  gw = await startGatewayProcess(home);
  await until("the channel to connect", () => /channel telegram\/default: connected/.test(gw.output()));
}, 120_000);

afterAll(async () => {
  gw?.child.kill("SIGTERM");
  await gw?.exited;
  await tg?.close();
  await home?.cleanup();
});

describe("the Control UI's API on a running gateway", () => {
  it("shows the gateway, its model and its channel in /status", async () => {
    const status = await json("/status");
    expect(status).toMatchObject({
      version: "0.1.0",
      dashboardUrl: `${gw.url}/`,
      defaultModel: { ok: true },
      models: [{ provider: "fake", ok: true, latencyMs: expect.any(Number) }],
      channels: [{ channel: "telegram", account: "default", state: "connected", identity: expect.any(String) }],
      runs: { inFlight: [] },
    });
  });

  it("approves a DM pairing request over HTTP; the next DM gets an answer without a restart", async () => {
    tg.dmFrom(tg.token, ANN, "hello?");
    await until("the pairing code", () => sentToAnn().find((s) => /pincer pairing approve/.test(s.text ?? "")));
    const { pending } = await json("/pairing?channel=telegram");
    expect(pending).toMatchObject([{ channel: "telegram", account: "default", senderId: String(ANN.id) }]);
    const approve = await api("/pairing/approve", { method: "POST", body: JSON.stringify({ channel: "telegram", account: "default", code: pending[0].code, notify: true }) });
    expect(approve.status).toBe(200);
    await until("the approval notice", () => sentToAnn().find((s) => /approved/.test(s.text ?? "")));

    const runs = readSse(await api("/runs/stream"));
    expect((await runs.next()).event).toBe("ready");
    tg.dmFrom(tg.token, ANN, "what is two and two");
    await until("the answer", () => sentToAnn().find((s) => s.text === "echo: what is two and two"));
    const started = await runs.next();
    const finished = await runs.next();
    await runs.close();
    expect(started).toMatchObject({ event: "run.started", data: { sessionKey: expect.stringContaining(String(ANN.id)), origin: { channel: "telegram" } } });
    expect(finished).toMatchObject({ event: "run.finished", data: { id: (started.data as { id: string }).id, status: "succeeded", reply: "echo: what is two and two" } });
    const channels = await json("/channels");
    expect(channels.channels[0].inbound).toEqual({ total: 2, byOutcome: { paired: 1, run: 1 } });
  });

  it("reads the gateway's log file back, and the file is private", async () => {
    const file = join(home.dir, "logs", "gateway.log");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const logs = await json("/logs?q=gateway%20listening");
    expect(logs).toMatchObject({ file, data: [{ level: "info", msg: "gateway listening", component: "gateway" }] });
  });

  it("saves a config edit; the running gateway reloads it at once", async () => {
    const before = await json("/config/file");
    const edited = `${before.text}\ngateway:\n  rate_limit_per_minute: 321\n`;
    const saved = await json("/config/file", { method: "PUT", body: JSON.stringify({ yaml: edited, baseHash: before.hash }) });
    expect(saved).toMatchObject({ saved: true, changes: [{ keyPath: "gateway.rate_limit_per_minute", after: 321, restart: false }], reload: { ok: true } });
    expect((await json("/config")).gateway.rate_limit_per_minute).toBe(321);
    expect(await readFile(join(home.dir, "pincer.yaml"), "utf8")).toContain("api_key: test-key");
    const stale = await api("/config/file", { method: "PUT", body: JSON.stringify({ yaml: edited, baseHash: before.hash }) });
    expect(stale.status).toBe(409);
  });
});
