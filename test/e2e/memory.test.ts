// Memory end to end with `pincer gateway` as a process and the Telegram fake: MEMORY.md reaches the model only in
// sessions the owner is in (owner DM, CLI), never in a group or a DM with someone else; memory_search runs as a tool
// call; the watcher re-indexes a note written while the gateway runs; `pincer memory` reads the same index. On the
// cluster runtime a worker answers memory_search from the index in PostgreSQL.
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import pg from "pg";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram-api.ts";
import type { RecordedRequest } from "../fakes/model-script.ts";
import {
  echoLastUserMessage, fakeProviderConfig, makeHome, startGatewayProcess, startWorkerProcess, telegramAccountConfig, TEST_GATEWAY_TOKEN, until, useCliFixture,
  type GatewayProcess, type Home, type WorkerProcess,
} from "./harness.ts";

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

const NATS_URL = process.env.PINCER_TEST_NATS_URL ?? "nats://127.0.0.1:4222";
const PG_URL = process.env.PINCER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function clusterMissing(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    const { connect } = await import("@nats-io/transport-node");
    await (await connect({ servers: NATS_URL, timeout: 2_000 })).close();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
const missing = await clusterMissing();
if (missing && process.env.CI) throw new Error(`the cluster memory case needs NATS and PostgreSQL: ${missing}`);

describe.skipIf(missing !== undefined)("memory on the cluster runtime (NATS JetStream + PostgreSQL)", () => {
  const instance = `mem${randomBytes(3).toString("hex")}`;
  const env = { PINCER_BUS_URL: NATS_URL, PINCER_STORE_URL: PG_URL, PINCER_INSTANCE: instance, PINCER__BUS__ACK_WAIT_MS: "2000", PINCER_LOG_LEVEL: "warn" };
  let home: Home;
  let gw: GatewayProcess;
  let worker: WorkerProcess;

  beforeAll(async () => {
    home = await makeHome(fakeProviderConfig(fx.fake.baseURL));
    await mkdir(join(home.workspace, "memory"), { recursive: true });
    await writeFile(join(home.workspace, "MEMORY.md"), `# Facts\n\n${MARKER}\n`);
    await writeFile(join(home.workspace, "memory", "2025-05-01.md"), "# 2025-05-01\n\nThe plumber comes on Tuesday at 8.\n");
    gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env });
    worker = await startWorkerProcess(home, { env });
  }, 120_000);

  afterAll(async () => {
    for (const p of [gw, worker]) p?.child.kill("SIGTERM");
    await Promise.all([gw?.exited, worker?.exited]);
    await home?.cleanup();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "pincer_${instance}" CASCADE`);
    await client.end();
    const { connect } = await import("@nats-io/transport-node");
    const { jetstreamManager } = await import("@nats-io/jetstream");
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    for (const name of [`PINCER_${instance}`, `PINCER_${instance}_DLQ`]) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  }, 60_000);

  it("a worker answers memory_search from the index in PostgreSQL, with MEMORY.md in the operator's prompt", async () => {
    fx.fake.enqueue({ toolCalls: [{ name: "memory_search", args: { query: "plumber" } }] }, { text: "Tuesday at 8." });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${gw.token}` },
      body: JSON.stringify({ model: "pincer", messages: [{ role: "user", content: "cluster asks: when does the plumber come?" }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe("Tuesday at 8.");
    const first = await requestWith("cluster asks: when does the plumber come?");
    expect(systemOf(first)).toContain(MARKER);
    expect(fx.fake.requests.some((r) => JSON.stringify(r.body).includes("memory/2025-05-01.md:1-3"))).toBe(true);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ path: string }>(`select distinct path from "pincer_${instance}".memory_chunks order by path`);
      expect(rows.map((r) => r.path)).toEqual(["MEMORY.md", "memory/2025-05-01.md"]);
    } finally {
      await client.end();
    }
  }, 90_000);
});

function requestWith(text: string): Promise<RecordedRequest> {
  return until(`the model request for "${text}"`, () => fx.fake.requests.find((r) => r.path === "/v1/chat/completions" && lastUserText(r).includes(text)));
}
