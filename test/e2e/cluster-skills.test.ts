// Skills on the cluster runtime as real processes on real NATS JetStream and PostgreSQL: a skill installed through
// the control gateway's API reaches a worker with its own state dir (no shared volume) before its next run — in the
// prompt and readable through /skills — and once removed with the CLI on a third node that never had it locally, the
// worker's next run no longer has it.
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skillMd, startFakeRegistry, type FakeRegistry } from "../fakes/clawhub-registry.ts";
import { fakeProviderConfig, startGatewayProcess, startWorkerProcess, TEST_GATEWAY_TOKEN, useCliFixture, type GatewayProcess } from "./harness.ts";
import { missingClusterServices, NATS_URL, PG_URL, removeInstances } from "./cluster-kit.ts";

const instance = `e2e${randomBytes(4).toString("hex")}`;

const fx = useCliFixture();
let registry: FakeRegistry;


const missing = await missingClusterServices();

beforeAll(async () => {
  registry = await startFakeRegistry({
    skills: [{
      slug: "packing-list", displayName: "Packing List", summary: "Packs a suitcase.",
      versions: [{ version: "1.0.0", files: { "SKILL.md": skillMd("packing-list", "Pack a suitcase for a trip.", {}, "PACKING-BODY: roll, do not fold.\n") } }],
    }],
  });
});

afterAll(async () => {
  await registry?.close();
  if (missing) return;
  await removeInstances([instance]);
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

/** The system prompt of the fake model's request number `i`. */
function systemOf(i: number): string {
  const messages = fx.fake.requests[i]!.body.messages as Array<{ role: string; content: string }>;
  return messages.find((m) => m.role === "system")!.content;
}

describe.skipIf(missing !== undefined)("skills on the cluster runtime (NATS JetStream + PostgreSQL)", () => {
  it("a skill installed on the gateway's node reaches a worker with its own state dir, and a removal on another node too", async () => {
    const env = {
      PINCER_BUS_URL: NATS_URL, PINCER_STORE_URL: PG_URL, PINCER_INSTANCE: instance, PINCER_SKILLS_REGISTRY: registry.url, PINCER_LOG_LEVEL: "warn",
    };
    const yaml = `${fakeProviderConfig(fx.fake.baseURL)}\nskills:\n  bundled: false\n`;
    const gwHome = await fx.home(yaml);
    const workerHome = await fx.home(yaml);
    const otherHome = await fx.home(yaml);
    const gw = await startGatewayProcess(gwHome, TEST_GATEWAY_TOKEN, { args: ["--role", "control"], env });
    const worker = await startWorkerProcess(workerHome, { env });
    try {
      const installed = await fetch(`${gw.url}/api/v1/skills/install`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${gw.token}` },
        body: JSON.stringify({ slug: "packing-list" }),
      });
      expect(installed.status).toBe(201);

      const first = fx.fake.requests.length;
      fx.fake.enqueue({ toolCalls: [{ name: "read", args: { path: "/skills/packing-list/SKILL.md" } }] }, { text: "Roll your clothes." });
      expect(await ask(gw, "agent:default:api:dm:traveller", "help me pack")).toBe("Roll your clothes.");
      expect(systemOf(first)).toContain("- packing-list: Pack a suitcase for a trip. (/skills/packing-list/SKILL.md)");
      const toolResults = JSON.stringify(fx.fake.requests[first + 1]!.body.messages.filter((m: { role: string }) => m.role === "tool"));
      expect(toolResults).toContain("PACKING-BODY: roll, do not fold.");
      // Materialised on the worker's own state dir, with the lock mirrored from the store.
      expect(await readFile(join(workerHome.dir, "skills", "packing-list", "SKILL.md"), "utf8")).toContain("PACKING-BODY");
      const lock = JSON.parse(await readFile(join(workerHome.dir, "skills", "skills.lock.json"), "utf8"));
      expect(lock.installs["packing-list"]).toMatchObject({ registry: registry.url, slug: "packing-list", version: "1.0.0" });

      // A node that never ran a turn: its folder is brought in line with the store before the removal.
      const removed = await otherHome.cli(["skills", "remove", "packing-list"], { env });
      expect(removed).toMatchObject({ code: 0, stdout: "removed packing-list (packing-list 1.0.0)\n" });

      const second = fx.fake.requests.length;
      fx.fake.enqueue({ text: "No skills now." });
      expect(await ask(gw, "agent:default:api:dm:traveller", "again")).toBe("No skills now.");
      expect(systemOf(second)).not.toContain("packing-list");
      expect(await readdir(join(workerHome.dir, "skills"))).toEqual(["skills.lock.json"]);
    } finally {
      for (const p of [gw, worker]) if (p.child.exitCode === null) p.child.kill("SIGTERM");
      await Promise.all([gw.exited, worker.exited]);
    }
  }, 120_000);
});
