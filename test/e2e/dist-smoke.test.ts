// The bundled build as users start it: `bin/pincer.js gateway` running dist/ (built here when missing or older than
// the sources), answering a turn over /v1, one over /ws, serving the Control UI files and /metrics, and a Telegram DM.
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import { echoLastUserMessage, fakeProviderConfig, makeHome, REPO_ROOT, startGatewayProcess, telegramAccountConfig, TEST_GATEWAY_TOKEN, until, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";

const BIN = join(REPO_ROOT, "bin/pincer.js");
const ANN = { id: 501, first_name: "Ann" };

const fx = useCliFixture();

describe.skipIf(process.platform === "win32")("the bundled gateway (dist/ through bin/pincer.js)", () => {
  let tg: TelegramFake;
  let home: Home;
  let gw: GatewayProcess;
  // bin/pincer.js starts `node` from PATH: this Node first.
  const path = `${process.execPath.replace(/\/[^/]+$/, "")}:${process.env.PATH ?? "/usr/bin:/bin"}`;
  const auth = { authorization: `Bearer ${TEST_GATEWAY_TOKEN}` };

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [join(REPO_ROOT, "scripts/build.ts"), "--if-stale"], { cwd: REPO_ROOT, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
    expect(existsSync(join(REPO_ROOT, "dist/cli/main.js"))).toBe(true);
    tg = await startTelegramFake();
    echoLastUserMessage(fx.fake);
    home = await makeHome(
      fakeProviderConfig(fx.fake.baseURL, telegramAccountConfig(tg, [`allow_from: ["${ANN.id}"]`])),
    );
    gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { command: [BIN], env: { PATH: path, PINCER_LOG_LEVEL: "warn" } });
  }, 60_000);

  afterAll(async () => {
    gw?.child.kill("SIGTERM");
    await gw?.exited;
    await tg?.close();
    await home?.cleanup();
  });

  it("runs with Pincer's Node flags", () => {
    const argv = readFileSync(`/proc/${gw.child.pid}/cmdline`, "utf8").split("\0");
    expect(argv).toContain("--max-semi-space-size=8");
    expect(argv).toContain(BIN);
  });

  it("answers a turn over /v1/chat/completions", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ model: "pincer", user: "smoke-http", messages: [{ role: "user", content: "over http" }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toBe("echo: over http");
  });

  it("answers a turn over /ws", async () => {
    const ws = new WebSocket(`${gw.url.replace("http", "ws")}/ws`);
    const final = new Promise<{ status: string; reply: string }>((done, fail) => {
      ws.on("message", (data) => {
        const frame = JSON.parse(String(data)) as { type: string; status: string; reply: string };
        if (frame.type === "run.final") done(frame);
        if (frame.type === "error") fail(new Error(String(data)));
      });
      ws.on("error", fail);
    });
    await new Promise((done) => ws.once("open", done));
    ws.send(JSON.stringify({ type: "auth", token: TEST_GATEWAY_TOKEN, client: "smoke" }));
    ws.send(JSON.stringify({ type: "chat.send", id: 1, messageId: "m-smoke", text: "over ws" }));
    try {
      expect(await final).toMatchObject({ status: "succeeded", reply: "echo: over ws" });
    } finally {
      ws.terminate();
    }
  });

  it("serves the Control UI, its assets and its libraries (from node_modules) from the built tree", async () => {
    const files = [["/", "text/html"], ["/ui/app.js", "text/javascript"], ["/ui/ui.css", "text/css"], ["/ui/vendor/preact.mjs", "text/javascript"], ["/ui/vendor/highlight/core.mjs", "text/javascript"]] as const;
    for (const [path, type] of files) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toContain(type);
      expect((await res.text()).length, path).toBeGreaterThan(0);
    }
  });

  it("serves /metrics", async () => {
    const res = await fetch(`${gw.url}/metrics`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("pincer_runs_total");
  });

  it("edits pincer.yaml with config set (the YAML library loads on first use)", async () => {
    const cfg = await fx.home();
    await promisify(execFile)(BIN, ["config", "set", "gateway.rate_limit_per_minute", "120"], { env: { PATH: path, HOME: cfg.dir, PINCER_HOME: cfg.dir } });
    expect(await readFile(join(cfg.dir, "pincer.yaml"), "utf8")).toContain("rate_limit_per_minute: 120");
  });

  it.skipIf(process.platform !== "linux")("writes a service unit that starts bin/pincer.js with the flags", async () => {
    const svc = await fx.home();
    await promisify(execFile)(BIN, ["gateway", "install", "--no-start"], { env: { PATH: path, HOME: svc.dir, PINCER_HOME: svc.dir } });
    const unit = await readFile(join(svc.dir, ".config/systemd/user/pincer-gateway.service"), "utf8");
    expect(unit).toContain(`ExecStart=${process.execPath} --max-semi-space-size=8 ${BIN} gateway`);
  });

  it("answers a Telegram DM through the lazily loaded channel adapter", async () => {
    tg.dmFrom(tg.token, ANN, "over telegram");
    const answer = await until("the Telegram answer", () => tg.sent.find((s) => s.chat_id === String(ANN.id) && s.text === "echo: over telegram"));
    expect(answer.parse_mode).toBe("HTML");
  });
});
