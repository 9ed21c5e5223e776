// Sub-agents and agent-to-agent messages on the cluster runtime, as real processes on real NATS JetStream and
// PostgreSQL: a child run is an ordinary run on the bus and executes on another worker than its waiting parent.
import { randomBytes } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import pg from "pg";
import {
  fakeProviderConfig, startGatewayProcess, startWorkerProcess, TEST_GATEWAY_TOKEN, until, useCliFixture, type GatewayProcess,
} from "./harness.ts";
import { missingClusterServices, NATS_URL, PG_URL, removeInstances } from "./cluster-kit.ts";
import { scriptedModel, spawn } from "./agent-script.ts";


const fx = useCliFixture();
const instances: string[] = [];


const missing = await missingClusterServices();

function clusterEnv(instance: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    PINCER_BUS_URL: NATS_URL,
    PINCER_STORE_URL: PG_URL,
    PINCER_INSTANCE: instance,
    PINCER__BUS__ACK_WAIT_MS: "2000",
    PINCER_LOG_LEVEL: "warn",
  };
}

function newInstance(): string {
  const id = `e2e${randomBytes(4).toString("hex")}`;
  instances.push(id);
  return id;
}

afterAll(async () => {
  if (missing) return;
  await removeInstances(instances);
});

type Completion = { choices: Array<{ message: { content: string } }> };

async function ask(gw: GatewayProcess, session: string, text: string): Promise<string> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${gw.token}`, "x-pincer-session": session },
    body: JSON.stringify({ model: "pincer", messages: [{ role: "user", content: text }] }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return ((await res.json()) as Completion).choices[0]!.message.content;
}

async function query<T>(instance: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`SET search_path TO "pincer_${instance}"`);
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

async function stop(...procs: Array<{ child: ChildProcess; exited: Promise<number | null> }>): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGTERM");
  await Promise.all(procs.map((p) => p.exited));
}

describe.skipIf(missing !== undefined)("sub-agents on the cluster runtime (NATS JetStream + PostgreSQL)", () => {
  it("runs a child on another worker than its waiting parent (one slot each), and returns its answer", async () => {
    const instance = newInstance();
    const env = clusterEnv(instance);
    fx.fake.setFallback(scriptedModel);
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env });
    // One run at a time per worker: the waiting parent holds its worker's only slot, so the child must run elsewhere.
    const workers = [await startWorkerProcess(home, { env, args: ["--concurrency", "1"] }), await startWorkerProcess(home, { env, args: ["--concurrency", "1"] })];
    try {
      const reply = await ask(gw, "agent:default:api:dm:parent", `SPAWN ${spawn({ task: "ANSWER from the child" })}`);
      expect(reply).toMatch(/^done: Sub-agent [0-9a-f]{8} answered \(\d+ tokens\):\nfrom the child$/);
      const runs = await query<{ id: string; session_key: string; parent_run_id: string | null; worker: string; status: string }>(
        instance, "SELECT id, session_key, parent_run_id, worker, status FROM runs ORDER BY created_at");
      expect(runs).toHaveLength(2);
      const [parent, child] = runs;
      expect(child).toMatchObject({ parent_run_id: parent!.id, status: "succeeded" });
      expect(child!.session_key.startsWith("agent:default:api:dm:parent:sub:")).toBe(true);
      expect(child!.worker).not.toBe(parent!.worker);
    } finally {
      await stop(gw, ...workers);
    }
  }, 90_000);

  it("stopping a parent stops its child running on the other worker", async () => {
    const instance = newInstance();
    const env = clusterEnv(instance);
    fx.fake.setFallback(scriptedModel);
    const home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
    const gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env });
    const workers = [await startWorkerProcess(home, { env, args: ["--concurrency", "1"] }), await startWorkerProcess(home, { env, args: ["--concurrency", "1"] })];
    try {
      const session = "agent:default:api:dm:stopped-parent";
      const answer = ask(gw, session, `SPAWN ${spawn({ task: "HANG" })}`).catch((err: unknown) => String(err));
      await until("the child running", async () =>
        (await query<{ n: string }>(instance, "SELECT count(*) AS n FROM runs WHERE parent_run_id IS NOT NULL AND status = 'running'"))[0]!.n === "1", 60_000);
      const res = await fetch(`${gw.url}/api/v1/sessions/${encodeURIComponent(session)}/stop`, { method: "POST", headers: { authorization: `Bearer ${gw.token}` } });
      expect(res.status).toBe(200);
      await answer;
      const statuses = await until("parent and child stopped", async () => {
        const rows = await query<{ parent_run_id: string | null; status: string }>(instance, "SELECT parent_run_id, status FROM runs");
        return rows.every((r) => r.status === "cancelled") ? rows : undefined;
      }, 60_000);
      expect(statuses).toHaveLength(2);
    } finally {
      await stop(gw, ...workers);
    }
  }, 120_000);

  it("delivers a message to an instance whose a2a.allow_from lists the sender, and audits and drops it elsewhere", async () => {
    const [a, b, c] = [newInstance(), newInstance(), newInstance()];
    fx.fake.setFallback(scriptedModel);
    const config = fakeProviderConfig(fx.fake.baseURL);
    const envA = clusterEnv(a, { PINCER__A2A__ALLOW_TO: JSON.stringify([b, c]) });
    const envB = clusterEnv(b, { PINCER__A2A__ALLOW_FROM: JSON.stringify([`${a}/agent:default`]) });
    const envC = clusterEnv(c);
    const procs: Array<{ child: ChildProcess; exited: Promise<number | null> }> = [];
    const gateways = [
      await startGatewayProcess(await fx.home(config), TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env: envA }),
      await startGatewayProcess(await fx.home(config), TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env: envB }),
      await startGatewayProcess(await fx.home(config), TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env: envC }),
    ];
    procs.push(...gateways);
    const [gwA] = gateways;
    try {
      const homeW = await fx.home(config);
      procs.push(await startWorkerProcess(homeW, { env: envA }), await startWorkerProcess(homeW, { env: envB }));
      const toB = await ask(gwA!, "agent:default:api:dm:a2a", `SEND ${JSON.stringify({ to: `${b}/agent:default`, text: "ANSWER hello from A" })}`);
      expect(toB).toBe(`done: Sent to ${b}/agent:default. If it answers, its answer arrives as a message in this agent's conversation with it.`);
      const received = await until("B's run of the message", async () =>
        (await query<{ session_key: string; input: string; status: string; reply: string }>(b, "SELECT session_key, input, status, reply FROM runs"))
          .find((r) => r.status === "succeeded"), 60_000);
      expect(received).toEqual({
        session_key: `agent:default:a2a:${a}/default`, input: `[message from ${a}/agent:default, turn 1 of 5]\nANSWER hello from A`,
        status: "succeeded", reply: "hello from A",
      });
      const auditB = await query<{ kind: string }>(b, "SELECT kind FROM audit WHERE kind LIKE 'a2a.%'");
      expect(auditB).toEqual([{ kind: "a2a.received" }]);

      await ask(gwA!, "agent:default:api:dm:a2a2", `SEND ${JSON.stringify({ to: `${c}/agent:default`, text: "ANSWER unwanted" })}`);
      const refused = await until("C's refusal", async () =>
        (await query<{ decision: string; reason: string }>(c, "SELECT decision, reason FROM audit WHERE kind = 'a2a.refused'"))[0], 60_000);
      expect(refused).toEqual({ decision: "deny", reason: `a2a.allow_from does not list "${a}/agent:default"` });
      expect(await query(c, "SELECT id FROM runs")).toEqual([]);
      const sentA = await query<{ kind: string }>(a, "SELECT kind FROM audit WHERE kind = 'a2a.sent'");
      expect(sentA).toHaveLength(2);
    } finally {
      await stop(...procs);
    }
  }, 120_000);
});
