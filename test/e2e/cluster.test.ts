// The cluster runtime as real processes on real NATS JetStream and PostgreSQL: a control gateway and workers,
// 50 concurrent sessions, a worker killed with runs in hand, and a NATS restart under load.
import { randomBytes } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import pg from "pg";
import {
  fakeProviderConfig, startGatewayProcess, startWorkerProcess, TEST_GATEWAY_TOKEN, useCliFixture, type GatewayProcess, type Home, type WorkerProcess,
} from "./harness.ts";
import { missingClusterServices, NATS_URL, PG_URL, removeInstances } from "./cluster-kit.ts";

const NATS_SERVER = "/usr/sbin/nats-server";

const fx = useCliFixture();
const instances: string[] = [];
const children: ChildProcess[] = [];


const missing = await missingClusterServices();

function clusterEnv(instance: string, natsUrl = NATS_URL): Record<string, string> {
  return {
    PINCER_BUS_URL: natsUrl,
    PINCER_STORE_URL: PG_URL,
    PINCER_INSTANCE: instance,
    PINCER__BUS__ACK_WAIT_MS: "2000",
    PINCER__BUS__BACKOFF_MS: "[200, 500]",
    PINCER_LOG_LEVEL: "warn",
  };
}

function newInstance(): string {
  const id = `e2e${randomBytes(4).toString("hex")}`;
  instances.push(id);
  return id;
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
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

/** The fake answers every request by echoing the last user message, after `delayMs`. */
function echo(delayMs = 0): void {
  fx.fake.setFallback((req) => {
    const messages = (req.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    const last = [...messages].reverse().find((m) => m.role === "user");
    const text = typeof last?.content === "string" ? last.content : JSON.stringify(last?.content);
    return { text: `echo: ${text}`, delayMs };
  });
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

describe.skipIf(missing !== undefined)("cluster runtime (NATS JetStream + PostgreSQL)", () => {
  let home: Home;
  beforeEach(async () => {
    home = await fx.home(fakeProviderConfig(fx.fake.baseURL));
  });

  it("a control gateway and two workers give 50 concurrent sessions exactly one correct reply each", async () => {
    const instance = newInstance();
    const env = clusterEnv(instance);
    echo(20);
    const gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env });
    const workers = [await startWorkerProcess(home, { env }), await startWorkerProcess(home, { env })];
    try {
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => ask(gw, `agent:default:api:dm:s${i}`, `question ${i}`)));
      replies.forEach((reply, i) => expect(reply).toBe(`echo: question ${i}`));
      const runs = await query<{ status: string; n: string }>(instance, "SELECT status, count(*) AS n FROM runs GROUP BY status");
      expect(runs).toEqual([{ status: "succeeded", n: "50" }]);
      const perWorker = await query<{ worker: string; n: string }>(instance, "SELECT worker, count(*) AS n FROM runs GROUP BY worker");
      expect(perWorker.length).toBe(2); // both workers took part
      const replies2 = await query<{ n: string }>(instance, "SELECT count(*) AS n FROM transcript WHERE role = 'assistant'");
      expect(replies2[0]!.n).toBe("50");
    } finally {
      await stop(gw, ...workers);
    }
  }, 90_000);

  it("kill -9 of a worker holding 10 runs: all 10 finish on the other worker, none lost, none doubled", async () => {
    const instance = newInstance();
    const env = clusterEnv(instance);
    echo(15_000); // the doomed worker never finishes one: it dies first
    const gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env });
    const doomed = await startWorkerProcess(home, { env, args: ["--concurrency", "10"] });
    let survivor: WorkerProcess | undefined;
    try {
      const seen = fx.fake.requests.length;
      const answers = Promise.all(Array.from({ length: 10 }, (_, i) => ask(gw, `agent:default:api:dm:k${i}`, `kill ${i}`)));
      for (const end = Date.now() + 15_000; fx.fake.requests.length < seen + 10 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
      expect(fx.fake.requests.length - seen).toBe(10); // the doomed worker holds all ten
      survivor = await startWorkerProcess(home, { env, args: ["--concurrency", "10"] });
      doomed.child.kill("SIGKILL");
      await doomed.exited;
      echo(0);
      const replies = await answers;
      replies.forEach((reply, i) => expect(reply).toBe(`echo: kill ${i}`));
      const runs = await query<{ status: string; attempt: number }>(instance, "SELECT status, attempt FROM runs");
      expect(runs).toHaveLength(10);
      for (const run of runs) expect(run).toEqual({ status: "succeeded", attempt: 2 });
      const assistant = await query<{ run_id: string; n: string }>(instance, "SELECT run_id, count(*) AS n FROM transcript WHERE role = 'assistant' GROUP BY run_id");
      expect(assistant).toHaveLength(10);
      for (const row of assistant) expect(row.n).toBe("1");
      const usage = await query<{ run_id: string; n: string }>(instance, "SELECT run_id, count(*) AS n FROM usage GROUP BY run_id");
      expect(usage).toHaveLength(10);
      for (const row of usage) expect(row.n).toBe("1");
    } finally {
      await stop(gw, doomed, ...(survivor ? [survivor] : []));
    }
  }, 90_000);

  it("a NATS restart during load: clients reconnect and no run is lost", async () => {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), "pincer-nats-"));
    const startNats = async (): Promise<ChildProcess> => {
      const child = spawn(NATS_SERVER, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], { stdio: "ignore" });
      children.push(child);
      const { connect } = await import("@nats-io/transport-node");
      for (const end = Date.now() + 10_000; Date.now() < end; ) {
        try {
          await (await connect({ servers: `nats://127.0.0.1:${port}`, timeout: 500 })).close();
          return child;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error("private nats-server did not start");
    };
    let nats = await startNats();
    const instance = newInstance();
    const env = clusterEnv(instance, `nats://127.0.0.1:${port}`);
    echo(300);
    const gw = await startGatewayProcess(home, TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env });
    const worker = await startWorkerProcess(home, { env, args: ["--concurrency", "8"] });
    try {
      const answers = Promise.all(Array.from({ length: 20 }, (_, i) => ask(gw, `agent:default:api:dm:n${i}`, `during outage ${i}`)));
      await new Promise((r) => setTimeout(r, 400));
      nats.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 1_000));
      nats = await startNats();
      const replies = await answers;
      replies.forEach((reply, i) => expect(reply).toBe(`echo: during outage ${i}`));
      const runs = await query<{ status: string; n: string }>(instance, "SELECT status, count(*) AS n FROM runs GROUP BY status");
      expect(runs).toEqual([{ status: "succeeded", n: "20" }]);
    } finally {
      await stop(gw, worker);
      nats.kill("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}
