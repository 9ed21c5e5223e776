// App.reload against a real config file and the fake OpenAI API: live changes apply to the next turn, an invalid
// file is rejected with the old config kept, restart-only keys are reported, and every reload is audited.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { createApp, type App } from "./app.ts";
import { startFakeOpenAI, type FakeModelServer } from "../test/fakes/index.ts";
import { fakeProviderConfig, makeHome, type Home } from "../test/e2e/harness.ts";

let fake: FakeModelServer;
let home: Home;
let app: App;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
  home = await makeHome();
  await home.writeConfig(fakeProviderConfig(fake.baseURL));
  app = await createApp({ env: { PINCER_HOME: home.dir }, logger: pino({ level: "silent" }) });
});

afterAll(async () => {
  await app.close();
  await fake.close();
  await home.cleanup();
});

async function turn(text: string): Promise<string> {
  fake.enqueue({ text: `re: ${text}` });
  const submitted = await app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:test:dm:reload", channel: "test", text });
  const outcome = await submitted.result;
  expect(outcome.status).toBe("succeeded");
  return (fake.requests.at(-1)!.body as { model: string }).model;
}

describe("App.reload", () => {
  it("reports no change when the file is unchanged", async () => {
    expect(await app.reload()).toEqual({ ok: true, applied: [], restart: [] });
  });

  it("applies a new model to the next turn and audits the reload", async () => {
    expect(await turn("before")).toBe("gpt-4o-mini");
    await home.writeConfig(fakeProviderConfig(fake.baseURL).replace("fake/gpt-4o-mini", "fake/gpt-next") + "\ngateway:\n  rate_limit_per_minute: 7\n");
    const report = await app.reload();
    expect(report).toEqual({ ok: true, applied: expect.arrayContaining(["models.tiers.default.primary", "gateway.rate_limit_per_minute"]), restart: [] });
    expect(app.config.gateway.rate_limit_per_minute).toBe(7);
    expect(await turn("after")).toBe("gpt-next");
    const [audit] = await app.store.audit.list({ kind: "config.reload" });
    expect(audit?.detail).toMatchObject({ applied: expect.arrayContaining(["models.tiers.default.primary"]) });
  });

  it("rejects an invalid file with the error and keeps the running config", async () => {
    const before = app.config;
    await home.writeConfig(fakeProviderConfig(fake.baseURL) + "\ngateway:\n  rate_limit_per_minute: lots\n");
    const report = await app.reload();
    expect(report.ok).toBe(false);
    if (!report.ok) expect(report.error).toContain("gateway.rate_limit_per_minute");
    expect(app.config).toBe(before);
    expect(await turn("still working")).toBe("gpt-next");
  });

  it("lists keys that need a restart without applying them, and adds a new agent with its workspace", async () => {
    await home.writeConfig(fakeProviderConfig(fake.baseURL).replace("fake/gpt-4o-mini", "fake/gpt-next") + "\ngateway:\n  port: 19999\nagents:\n  default: {}\n  helper: { model: fake/helper-model }\n");
    const report = await app.reload();
    expect(report).toMatchObject({ ok: true, restart: ["gateway.port"] });
    expect(app.agentConfig("helper").model).toBe("fake/helper-model");
    expect(app.workspaceFor("helper")).toContain("helper");
    expect(app.config.gateway.port).not.toBe(19999); // still the port in force
    // The pending change is reported again by the next reload, until a restart picks it up.
    expect(await app.reload()).toMatchObject({ ok: true, applied: [], restart: ["gateway.port"] });
  });
});

describe("the workspace of a root gateway", () => {
  // Sandboxed commands never run as root; the workspace Pincer creates is handed to the user they run as, and what
  // the file tools write there belongs to that user too, so commands can change it.
  it.runIf(process.geteuid?.() === 0)("belongs to nobody, and a command can overwrite what the write tool made (runs as root only)", async () => {
    const ws = app.workspaceFor("default");
    expect((await stat(ws)).uid).toBe(65534);
    fake.enqueue({ toolCalls: [{ name: "write", args: { path: "a.txt", content: "from a" } }, { name: "write", args: { path: "b.txt", content: "from b" } }] });
    fake.enqueue({ toolCalls: [{ name: "exec", args: { command: "cp a.txt b.txt" } }] });
    fake.enqueue({ text: "copied" });
    const submitted = await app.dispatcher.send({ agentId: "default", sessionKey: "agent:default:test:dm:owner", channel: "test", text: "copy" });
    expect((await submitted.result).status).toBe("succeeded");
    expect(await readFile(join(ws, "b.txt"), "utf8")).toBe("from a");
  });
});
