// Memory end to end with `pincer gateway` as a process and the Telegram fake: MEMORY.md reaches the model only in
// sessions the owner is in (owner DM, CLI), never in a group or a DM with someone else; memory_search runs as a tool
// call; the watcher re-indexes a note written while the gateway runs; `pincer memory` reads the same index.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import type { RecordedRequest } from "../fakes/model-script.ts";
import { echoLastUserMessage, fakeProviderConfig, makeHome, startGatewayProcess, telegramAccountConfig, until, useCliFixture, type GatewayProcess, type Home } from "./harness.ts";

const fx = useCliFixture();
const GROUP = { id: -1002, type: "supergroup" as const, title: "Family" };
const ANN = { id: 601, first_name: "Ann", username: "ann" };
const BOB = { id: 602, first_name: "Bob" };
const MARKER = "Private-fact-7731: the spare key is under the blue pot.";

type Body = { messages: Array<{ role: string; content: unknown }>; tools?: Array<{ function?: { name?: string } }> };
const systemOf = (req: RecordedRequest): string => String((req.body as Body).messages.find((m) => m.role === "system")?.content ?? "");
const toolsOf = (req: RecordedRequest): string[] => ((req.body as Body).tools ?? []).map((t) => t.function?.name ?? "");
const lastUserText = (req: RecordedRequest): string => JSON.stringify([...(req.body as Body).messages].reverse().find((m) => m.role === "user")?.content ?? "");

describe("memory on the embedded runtime", () => {
  let tg: TelegramFake;
  let home: Home;
  let gw: GatewayProcess;
  const env = { PINCER_LOG_LEVEL: "info" };
  const requestFor = (text: string) => until(`the model request for "${text}"`, () => fx.fake.requests.find((r) => r.path === "/v1/chat/completions" && lastUserText(r).includes(text)));

  beforeAll(async () => {
    tg = await startTelegramFake();
    echoLastUserMessage(fx.fake);
    home = await makeHome(fakeProviderConfig(fx.fake.baseURL, telegramAccountConfig(tg, ["dm_policy: open", `owners: ["${ANN.id}"]`, "groups:", `  "${GROUP.id}": {}`])));
    await mkdir(join(home.workspace, "memory"), { recursive: true });
    await writeFile(join(home.workspace, "MEMORY.md"), `# Facts\n\n${MARKER}\n`);
    await writeFile(join(home.workspace, "memory", "2025-03-02.md"), "# 2025-03-02\n\nBooked the car service for Thursday.\n");
    gw = await startGatewayProcess(home, undefined, { env });
    await until("the channel to connect", () => /channel telegram\/default: connected/.test(gw.output()));
    await until("the memory index", () => /memory indexed/.test(gw.output()));
  }, 120_000);

  afterAll(async () => {
    gw?.child.kill("SIGTERM");
    await gw?.exited;
    await tg?.close();
    await home?.cleanup();
  }, 60_000);

  it("puts MEMORY.md and the memory tools in the owner's DM only", async () => {
    tg.dmFrom(tg.token, ANN, "owner asks one");
    const owner = await requestFor("owner asks one");
    expect(systemOf(owner)).toContain(MARKER);
    expect(toolsOf(owner)).toEqual(expect.arrayContaining(["memory_search", "memory_get"]));

    tg.dmFrom(tg.token, BOB, "stranger asks two");
    const stranger = await requestFor("stranger asks two");
    expect(systemOf(stranger)).not.toContain(MARKER);
    expect(systemOf(stranger)).not.toContain("MEMORY.md");
    expect(toolsOf(stranger)).not.toContain("memory_search");

    tg.groupMention(tg.token, GROUP, ANN, "group asks three");
    const group = await requestFor("group asks three");
    expect(systemOf(group)).not.toContain(MARKER);
    expect(toolsOf(group)).not.toContain("memory_search");
  }, 60_000);

  it("answers a memory_search tool call from the index, and re-indexes a note written meanwhile", async () => {
    await writeFile(join(home.workspace, "memory", "2025-03-03.md"), "# 2025-03-03\n\nThe dentist moved Mia's appointment to Friday.\n");
    await until("the watcher's re-index", () => /memory re-indexed/.test(gw.output()));
    fx.fake.enqueue({ toolCalls: [{ name: "memory_search", args: { query: "dentist appointment" } }] }, { text: "It is on Friday." });
    tg.dmFrom(tg.token, ANN, "when is the dentist?");
    await until("the answer", () => tg.sent.find((s) => s.text === "It is on Friday."));
    const followUp = fx.fake.requests.findLast((r) => JSON.stringify(r.body).includes("memory/2025-03-03.md:"));
    expect(followUp).toBeDefined();

    const search = await home.cli(["memory", "search", "car service", "--json"], { env });
    expect(search.code).toBe(0);
    expect(JSON.parse(search.stdout).results[0]).toMatchObject({ path: "memory/2025-03-02.md", startLine: 1 });
    const status = await home.cli(["memory", "status", "--json"], { env });
    const report = JSON.parse(status.stdout) as { files: Array<{ path: string }>; embeddings: unknown };
    expect(report.files.map((f) => f.path)).toEqual(["MEMORY.md", "memory/2025-03-02.md", "memory/2025-03-03.md"]);
    expect(report.embeddings).toBeNull();
  }, 60_000);

  it("puts MEMORY.md in a CLI turn (the operator's own session)", async () => {
    const r = await home.cli(["run", "cli asks four"], { env });
    expect(r.code).toBe(0);
    expect(systemOf(await requestFor("cli asks four"))).toContain(MARKER);
  }, 60_000);
});
