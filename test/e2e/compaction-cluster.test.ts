// Compaction on the cluster runtime: a control gateway and a worker on real NATS JetStream and PostgreSQL, a
// 4,000-token window. Turns through /v1 compact on the worker (flush before summary), the summary lands on the
// session in PostgreSQL, `/compact` works as a message, and the transcript stays complete.
import { randomBytes } from "node:crypto";
import { encode } from "gpt-tokenizer";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../fakes/index.ts";
import { fakeProviderConfig, startGatewayProcess, startWorkerProcess, TEST_GATEWAY_TOKEN, useCliFixture } from "./harness.ts";
import { missingClusterServices, NATS_URL, PG_URL, removeInstances } from "./cluster-kit.ts";

const WINDOW = 4_000;
const SESSION = "agent:default:api:dm:long";
const TURNS = 12;

const fx = useCliFixture();
const instance = `e2ectx${randomBytes(4).toString("hex")}`;

const missing = await missingClusterServices();

afterAll(async () => {
  if (missing) return;
  await removeInstances([instance]);
});

async function query<T>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`SET search_path TO "pincer_${instance}"`);
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

type Wire = { messages: Array<{ role: string; content: unknown }>; tools?: unknown[] };
const textOf = (content: unknown): string => (typeof content === "string" ? content : JSON.stringify(content ?? ""));
const isSummary = (r: RecordedRequest): boolean => textOf((r.body as Wire).messages[0]?.content).startsWith("You summarise");
const isFlush = (r: RecordedRequest): boolean => (r.body as Wire).messages.some((m) => m.role === "user" && textOf(m.content).includes("[Context maintenance"));
const requestTokens = (r: RecordedRequest): number => encode(JSON.stringify({ messages: (r.body as Wire).messages, tools: (r.body as Wire).tools ?? [] })).length;

describe.skipIf(missing !== undefined)("compaction on the cluster runtime (NATS JetStream + PostgreSQL)", () => {
  it("compacts on the worker, keeps the summary in PostgreSQL and every request under the window", async () => {
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL, ["  context_windows:", `    fake/gpt-4o-mini: ${WINDOW}`, "policy:", "  tools:", "    allow: [group:fs]"].join("\n")));
    fx.fake.setFallback((req) => {
      if (isSummary(req)) return { text: "Earlier: the user described their garden at length." };
      if (isFlush(req)) return { text: "NO_REPLY" };
      return { text: `noted ${"and more ".repeat(30)}` };
    });
    const env = {
      PINCER_BUS_URL: NATS_URL, PINCER_STORE_URL: PG_URL, PINCER_INSTANCE: instance, PINCER__BUS__ACK_WAIT_MS: "5000", PINCER_LOG_LEVEL: "warn",
    };
    const gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env });
    const worker = await startWorkerProcess(home, { env });
    const ask = async (text: string): Promise<string> => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${gw.token}`, "x-pincer-session": SESSION },
        body: JSON.stringify({ model: "pincer", messages: [{ role: "user", content: text }] }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content;
    };
    try {
      const before = fx.fake.requests.length;
      for (let i = 1; i <= TURNS; i++) await ask(`Part ${i} of my garden story: ${"the tomatoes grew tall beside the beans ".repeat(12)}`);
      expect(await ask("/compact the garden")).toMatch(/^Compacted: \d+ older message\(s\) summarised/);

      const requests = fx.fake.requests.slice(before);
      expect(Math.max(...requests.map(requestTokens))).toBeLessThan(WINDOW);
      expect(requests.findIndex(isFlush)).toBeGreaterThanOrEqual(0);
      expect(requests.findIndex(isFlush)).toBeLessThan(requests.findIndex(isSummary));
      const [session] = await query<{ compaction_summary: string | null }>(`SELECT compaction_summary FROM sessions WHERE key = '${SESSION}'`);
      expect(session?.compaction_summary).toBe("Earlier: the user described their garden at length.");
      const [count] = await query<{ n: string }>(`SELECT count(*) AS n FROM transcript WHERE session_key = '${SESSION}'`);
      expect(count?.n).toBe(String(TURNS * 2));
      const audits = await query<{ reason: string }>("SELECT reason FROM audit WHERE kind = 'context.compaction' ORDER BY id");
      expect(audits.at(-1)?.reason).toBe("/compact");
      expect(audits.length).toBeGreaterThanOrEqual(2);
    } finally {
      for (const p of [gw, worker]) if (p.child.exitCode === null) p.child.kill("SIGTERM");
      await Promise.all([gw.exited, worker.exited]);
    }
  }, 120_000);
});
