// The heartbeat runner in one process (embedded runtime) against the fake model and the Telegram fake: idle ticks make
// no model call, ticks with open items run once each in a light context without history, HEARTBEAT_OK stays quiet.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeModelServer, type RecordedRequest } from "../../test/fakes/index.ts";
import { startTelegramFake, type TelegramFake } from "../../test/fakes/telegram-api.ts";
import { until } from "../../test/e2e/harness.ts";
import { createApp, type App } from "../app.ts";
import { isHeartbeatOk } from "../channels/kit/reply-directives.ts";
import type { HeartbeatRunner } from "./automation.ts";
import { createHeartbeatRunner, NOTHING_TO_DO, renderHeartbeatInput } from "./heartbeat.ts";

const ANN = { id: 501, first_name: "Ann" };
let dir: string;
let model: FakeModelServer;
let tg: TelegramFake;
let app: App;
let clock: number;

async function openApp(heartbeatYaml: string): Promise<void> {
  await writeFile(join(dir, "pincer.yaml"), [
    "models:",
    `  providers: { fake: { type: openai-compatible, base_url: "${model.baseURL}", api_key: k } }`,
    "  tiers: { default: { primary: fake/gpt-4o-mini } }",
    "channels:",
    "  telegram:",
    "    accounts:",
    `      default: { token: '${tg.token}', api_root: '${tg.apiRoot}', dm_policy: open }`,
    heartbeatYaml,
  ].join("\n"));
  app = await createApp({ env: { PINCER_HOME: dir }, logger: pino({ level: "silent" }) });
}

function runnerOf(a: App): HeartbeatRunner {
  const runner = createHeartbeatRunner({ store: a.store, dispatcher: a.dispatcher, config: () => a.config, workspaceFor: a.workspaceFor, now: () => clock, log: a.log });
  if (!runner) throw new Error("heartbeat not configured");
  return runner;
}

/** Ticks `n` times on the runner's own plan from the fake clock, like the scheduler would. */
async function tickTimes(runner: HeartbeatRunner, n: number): Promise<Array<Awaited<ReturnType<HeartbeatRunner["tick"]>>>> {
  const results = [];
  for (let i = 0; i < n; i++) {
    clock = runner.nextTickAfter(clock)!;
    results.push(await runner.tick(clock));
  }
  return results;
}

const finished = (runId: string) =>
  until(`run ${runId} to finish`, async () => {
    const run = await app.store.runs.get(runId);
    return run && run.status !== "running" && run.status !== "pending" ? run : undefined;
  });

const writeHeartbeat = (text: string) => writeFile(join(app.workspaceFor("default"), "HEARTBEAT.md"), text);
const messagesOf = (req: RecordedRequest) => (req.body as { messages: Array<{ role: string; content: string }> }).messages;
const toolNamesOf = (req: RecordedRequest) => ((req.body as { tools?: Array<{ function: { name: string } }> }).tools ?? []).map((t) => t.function.name);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pincer-heartbeat-"));
  model = await startFakeOpenAI({ apiKeys: ["k"] });
  tg = await startTelegramFake();
  clock = Date.parse("2026-06-01T07:50:00Z");
});

afterEach(async () => {
  await app?.close();
  await tg.close();
  await model.close();
  await rm(dir, { recursive: true, force: true });
});

describe("heartbeat runner", () => {
  it("is not created without a heartbeat config, and skips ticks for an unknown agent", async () => {
    await openApp("");
    expect(createHeartbeatRunner({ store: app.store, dispatcher: app.dispatcher, config: () => app.config, workspaceFor: app.workspaceFor, now: () => clock, log: app.log })).toBeUndefined();
    await app.close();
    await openApp("heartbeat: { agent: ops }");
    expect(await tickTimes(runnerOf(app), 1)).toEqual([{ status: "skipped", reason: 'heartbeat.agent: unknown agent "ops"; add agents.ops or change heartbeat.agent' }]);
  });

  it("makes no model call, run or session while HEARTBEAT.md has no open item and nothing is pending", async () => {
    await openApp("heartbeat: { every: 30m, tz: UTC }");
    const runner = runnerOf(app);
    expect((await tickTimes(runner, 3)).map((t) => t.reason)).toEqual([NOTHING_TO_DO, NOTHING_TO_DO, NOTHING_TO_DO]); // no file at all
    await writeHeartbeat("# Heartbeat\n\n<!-- Add what to check, one per line:\n- e.g. is the build on main red?\n-->\n\n## Done\n- [x] renew the domain\n");
    const ticks = await tickTimes(runner, 48);
    expect(ticks.every((t) => t.status === "skipped" && t.reason === NOTHING_TO_DO)).toBe(true);
    expect(model.requests).toHaveLength(0);
    expect(await app.store.runs.list({})).toHaveLength(0);
    expect(await app.store.sessions.list({})).toHaveLength(0);
    expect(await app.store.journal.pending()).toHaveLength(0);
  });

  it("runs once per tick with an open item, each in a fresh session with a light context and no history", async () => {
    await openApp("heartbeat: { every: 30m, active_hours: '08:00-22:00', tz: Europe/Paris }");
    const workspace = app.workspaceFor("default");
    await writeFile(join(workspace, "AGENTS.md"), "AGENTS-MARKER: long standing instructions");
    await writeHeartbeat("# Heartbeat\n- [ ] tell me if the build on main is red\n- [x] renew the domain\n");
    model.enqueue({ text: "FIRST-REPLY: the build is green" }, { text: "HEARTBEAT_OK" });
    const runner = runnerOf(app);
    const [first, second] = await tickTimes(runner, 2);
    expect(first).toMatchObject({ status: "started", runId: expect.any(String), sessionKey: expect.stringMatching(/^agent:default:heartbeat:dm:/) });
    expect(second!.sessionKey).not.toBe(first!.sessionKey);
    await finished(first!.runId!);
    await finished(second!.runId!);

    expect(model.requests).toHaveLength(2);
    const [req1, req2] = model.requests as [RecordedRequest, RecordedRequest];
    expect(messagesOf(req2).map((m) => m.role)).toEqual(["system", "user"]);
    expect(JSON.stringify(messagesOf(req2))).not.toContain("FIRST-REPLY");
    const [system, input] = messagesOf(req1);
    expect(system!.content).not.toContain("AGENTS-MARKER");
    expect(system!.content).not.toContain("<skills>");
    expect(input!.content).toBe([
      "Heartbeat, Mon 2026-06-01 10:00 Europe/Paris.",
      "Open items (HEARTBEAT.md):",
      "- [ ] tell me if the build on main is red",
      "Reply exactly HEARTBEAT_OK if nothing needs the user now; otherwise a short message for the user.",
    ].join("\n"));
    expect(toolNamesOf(req1)).toContain("read");
    expect(toolNamesOf(req1)).not.toContain("spawn_agent");
    expect(toolNamesOf(req1)).not.toContain("send_agent_message");
    const run = await app.store.runs.get(first!.runId!);
    expect(run).toMatchObject({ trigger: "heartbeat", status: "succeeded" });
    // The same tick again (the scheduler retrying it) starts nothing new.
    expect(await runner.tick(clock)).toMatchObject({ status: "started", runId: second!.runId });
    expect(model.requests).toHaveLength(2);
  });

  it("runs when automation input is pending for its agent, without reading that input", async () => {
    await openApp("heartbeat: { every: 1h, tz: UTC }");
    await app.store.journal.append({
      channel: "hook", account: "github", platformMessageId: "d-1", sessionKey: "agent:default:hook:dm:github/1",
      payload: { agentId: "default", text: "UNTRUSTED BODY" }, receivedAt: Date.parse("2026-06-01T07:55:00Z"),
    });
    await app.store.journal.append({
      channel: "hook", account: "other", platformMessageId: "d-2", sessionKey: "agent:ops:hook:dm:other/1", payload: { agentId: "ops", text: "x" },
    });
    model.enqueue({ text: "HEARTBEAT_OK" });
    const [tick] = await tickTimes(runnerOf(app), 1);
    await finished(tick!.runId!);
    const input = messagesOf(model.requests[0]!).at(-1)!.content;
    expect(input).toContain("Pending, not yet handled: hook github since 07:55.");
    expect(input).not.toContain("UNTRUSTED BODY");
    expect(input).not.toContain("Open items");
  });

  it("delivers a heartbeat's message to the chat but never HEARTBEAT_OK, which a chat reply may still say", async () => {
    await openApp(`heartbeat: { every: 30m, tz: UTC, deliver: "telegram:default:${ANN.id}" }`);
    tg.addChat(tg.token, { id: ANN.id, type: "private" });
    await app.startChannels({ noticePollMs: 50 });
    await writeHeartbeat("- [ ] tell me if the build on main is red\n");
    const sentToAnn = () => tg.sent.filter((s) => s.chat_id === String(ANN.id));
    const runner = runnerOf(app);

    model.enqueue({ text: "HEARTBEAT_OK." });
    const [quiet] = await tickTimes(runner, 1);
    await finished(quiet!.runId!);
    model.enqueue({ text: "The build on main is red." });
    const [loud] = await tickTimes(runner, 1);
    await until("the heartbeat's message", () => (sentToAnn().length >= 1 ? true : undefined));
    await finished(loud!.runId!);
    model.enqueue({ text: "HEARTBEAT_OK" });
    tg.dmFrom(tg.token, ANN, "say the heartbeat word");
    await until("the chat reply", () => (sentToAnn().length >= 2 ? true : undefined));
    expect(sentToAnn().map((s) => s.text)).toEqual(["The build on main is red.", "HEARTBEAT_OK"]);
  });
});

describe("isHeartbeatOk", () => {
  it("accepts the token trimmed and with trailing punctuation only", () => {
    for (const reply of ["HEARTBEAT_OK", "  HEARTBEAT_OK\n", "HEARTBEAT_OK.", "HEARTBEAT_OK!"]) expect(isHeartbeatOk(reply)).toBe(true);
    for (const reply of ["heartbeat_ok", "HEARTBEAT_OK, but the build is red", "All good: HEARTBEAT_OK", ""]) expect(isHeartbeatOk(reply)).toBe(false);
  });
});

describe("renderHeartbeatInput", () => {
  it("caps the items it lists and says how many more the file has", () => {
    const items = Array.from({ length: 200 }, (_, i) => `- [ ] item number ${i} with some words to make it longer`);
    const text = renderHeartbeatInput({ at: Date.parse("2026-06-01T10:00:00Z"), tz: "UTC", items, pending: [] });
    expect(text.length).toBeLessThan(1_600);
    expect(text).toMatch(/\(\d+ more in HEARTBEAT\.md\)/);
  });
});
