// Budgets end to end in one process: a Telegram chat (fake Bot API) and the fake model API. A spent max_tokens budget
// stops the next turn before any request reaches the model and the chat gets one clear message; `/usage` shows the
// budget; a downgrade budget sends the call to the fast tier's model.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeModelServer } from "../test/fakes/index.ts";
import { startTelegramFake, type TelegramFake } from "../test/fakes/telegram-api.ts";
import { createApp, type App } from "./app.ts";

const ANN = { id: 501, first_name: "Ann" };
let tg: TelegramFake | undefined;
let model: FakeModelServer | undefined;
let dir: string | undefined;
let app: App | undefined;

afterEach(async () => {
  await app?.close();
  await tg?.close();
  await model?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  app = tg = model = dir = undefined;
});

/** An app with a Telegram account open to DMs, tiers default = fake/main-model and fast = fake/cheap-model, and `budgets`. */
async function start(budgets: string[]): Promise<{ app: App; tg: TelegramFake; model: FakeModelServer }> {
  tg = await startTelegramFake();
  model = await startFakeOpenAI({ apiKeys: ["k"] });
  dir = await mkdtemp(join(tmpdir(), "pincer-budgets-"));
  await writeFile(join(dir, "pincer.yaml"), [
    "models:",
    `  providers: { fake: { type: openai-compatible, base_url: ${model.baseURL}, api_key: k } }`,
    "  tiers: { default: { primary: fake/main-model }, fast: { primary: fake/cheap-model } }",
    "channels:",
    "  telegram:",
    "    accounts:",
    `      default: { token: '${tg.token}', api_root: '${tg.apiRoot}', dm_policy: open }`,
    "budgets:",
    ...budgets.map((b) => `  - ${b}`),
  ].join("\n"));
  app = await createApp({ env: { PINCER_HOME: dir }, logger: pino({ level: "silent" }) });
  await app.startChannels({ noticePollMs: 50 });
  return { app, tg, model };
}

describe("budgets", () => {
  it("blocks the turn after a max_tokens day budget is spent: no model request, one clear message in the chat", async () => {
    const { app, tg, model } = await start(["{ scope: 'sender:telegram:501', period: day, max_tokens: 15, action: block }"]);
    model.enqueue({ text: "first answer", usage: { input: 10, output: 5 } });
    tg.dmFrom(tg.token, ANN, "hello");
    await tg.waitForSent(1);
    expect(model.requests).toHaveLength(1);
    const [spent] = await app.store.runs.list({ status: ["succeeded"] });
    expect(await app.store.usage.spend({ since: 0, sender: "telegram:501" })).toMatchObject({ tokens: 15, calls: 1 });
    expect(spent).toBeDefined();

    tg.dmFrom(tg.token, ANN, "and again");
    const sent = await tg.waitForSent(2);
    expect(model.requests).toHaveLength(1);
    expect(sent[1]!.text).toMatch(/^⛔ Budget exceeded: The daily budget of sender:telegram:501 is used up: 15 of 15 tokens \(100%\)\. No model was called\. It resets on \d{1,2} \w{3} \d{4}, 00:00 \(UTC\)\.$/);
    const [blocked] = await app.store.runs.list({ status: ["failed"] });
    expect(blocked?.errorCode).toBe("budget_exceeded");

    tg.dmFrom(tg.token, ANN, "/usage");
    const usage = await tg.waitForSent(3);
    expect(usage[2]!.text).toContain("Budgets:\n• sender:telegram:501, daily, block: 15 of 15 tokens (100%); resets ");
    expect(model.requests).toHaveLength(1);
  });

  it("downgrades to the fast tier once the budget is spent: the model API sees the other model", async () => {
    const { tg, model } = await start(["{ scope: 'agent:default', max_tokens: 15, action: downgrade, downgrade_to: fast }"]);
    tg.dmFrom(tg.token, ANN, "one");
    await tg.waitForSent(1);
    tg.dmFrom(tg.token, ANN, "two");
    await tg.waitForSent(2);
    expect(model.requests.map((r) => (r.body as { model: string }).model)).toEqual(["main-model", "cheap-model"]);
  });

  it("warns in the chat at 80 % once and answers on", async () => {
    const { app, tg, model } = await start(["{ scope: session, max_tokens: 18, action: warn }"]);
    tg.dmFrom(tg.token, ANN, "one");
    await tg.waitForSent(1);
    tg.dmFrom(tg.token, ANN, "two");
    const sent = await tg.waitForSent(3);
    expect(sent.map((s) => s.text)).toContain("ok");
    expect(sent.find((s) => s.text?.startsWith("⚠️ Budget notice: 80% of the daily budget of this conversation (session) is used: 15 of 18 tokens (83%)."))).toBeDefined();
    expect(model.requests).toHaveLength(2);
    expect(await app.store.audit.list({ kind: "budget.warn" })).toHaveLength(1);
  });
});
