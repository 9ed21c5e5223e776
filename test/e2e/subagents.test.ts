// Sub-agents on the embedded runtime, against the fake OpenAI API: spawn_agent waits for a child's answer or runs it
// in the background, refuses past policy.subagents limits, children inherit the parent's tool policy, stop with
// their parent, and stay within their token budget.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { createApp, type App } from "../../src/app.ts";
import type { RunOutcome } from "../../src/agent/run-agent.ts";
import { startFakeOpenAI, type FakeModelServer } from "../fakes/index.ts";
import { scriptedModel, spawn } from "./agent-script.ts";
import { fakeProviderConfig, makeHome, until, type Home } from "./harness.ts";

let fake: FakeModelServer;
let home: Home;
let app: App | undefined;
let sessionNo = 0;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKeys: ["test-key"], fallback: scriptedModel });
});
afterAll(() => fake.close());
afterEach(async () => {
  await app?.close();
  app = undefined;
  await home.cleanup();
});

async function openApp(extra = ""): Promise<App> {
  home = await makeHome();
  await home.writeConfig(`${fakeProviderConfig(fake.baseURL)}\n${extra}`);
  app = await createApp({ env: { PINCER_HOME: home.dir }, logger: pino({ level: "silent" }) });
  return app;
}

async function turn(a: App, text: string): Promise<{ sessionKey: string; result: Promise<RunOutcome> }> {
  const sessionKey = `agent:default:test:dm:${++sessionNo}`;
  const submitted = await a.dispatcher.send({ agentId: "default", sessionKey, channel: "test", text });
  return { sessionKey, result: submitted.result };
}

describe("spawn_agent", () => {
  it("runs a child in its own session with parentRunId set and returns its answer as the tool result", async () => {
    const a = await openApp();
    const { sessionKey, result } = await turn(a, `SPAWN ${spawn({ task: "ANSWER forty-two" })}`);
    const outcome = await result;
    expect(outcome.status).toBe("succeeded");
    expect(outcome.reply).toMatch(/^done: Sub-agent [0-9a-f]{8} answered \(\d+ tokens\):\nforty-two$/);
    const [child] = await a.store.runs.list({ sessionKeyPrefix: `${sessionKey}:sub:` });
    expect(child).toMatchObject({ parentRunId: outcome.runId, status: "succeeded", reply: "forty-two", input: "ANSWER forty-two" });
  });

  it("refuses past max_depth, naming the limit", async () => {
    const a = await openApp("policy:\n  subagents:\n    max_depth: 1\n");
    const { result } = await turn(a, `SPAWN ${spawn({ task: `SPAWN ${spawn({ task: "ANSWER too deep" })}` })}`);
    const outcome = await result;
    expect(outcome.reply).toContain("policy.subagents.max_depth is 1 and this run is at depth 1");
    const denied = await a.store.audit.list({ tool: "spawn_agent", decision: "deny" });
    expect(denied).toHaveLength(1);
  });

  it("refuses past max_children per run", async () => {
    const a = await openApp("policy:\n  subagents:\n    max_children: 1\n");
    const { sessionKey, result } = await turn(a, `SPAWN ${spawn({ task: "ANSWER one" })} | ${spawn({ task: "ANSWER two" })}`);
    await result;
    const [denied] = await a.store.audit.list({ tool: "spawn_agent", decision: "deny" });
    expect(denied?.reason).toContain("policy.subagents.max_children is 1 per run and this run started 1");
    expect(await a.store.runs.list({ sessionKeyPrefix: `${sessionKey}:sub:` })).toHaveLength(1);
  });

  it("refuses past max_concurrent in the instance; /subagents kill stops a background child", async () => {
    const a = await openApp("policy:\n  subagents:\n    max_concurrent: 1\n");
    const { sessionKey, result } = await turn(a, `SPAWN ${spawn({ task: "HANG", background: true })} | ${spawn({ task: "HANG", background: true })}`);
    const outcome = await result;
    expect(outcome.reply).toContain("policy.subagents.max_concurrent is 1 and 1 sub-agents are running");
    const [child] = await a.store.runs.list({ sessionKeyPrefix: `${sessionKey}:sub:` });
    expect(child?.status).toBe("running");
    // A finished parent leaves its background child running; /subagents lists it and /subagents kill stops it.
    const { runSubagentsCommand } = await import("../../src/routing/subagent-supervisor.ts");
    const deps = { store: a.store, dispatcher: a.dispatcher, now: Date.now };
    const listing = await runSubagentsCommand(deps, sessionKey, "");
    expect(listing).toMatch(/^Sub-agents \(newest first\):\n([0-9a-f]{8}) running, \d+ tokens, agent default: HANG$/);
    const id = /\n([0-9a-f]{8}) /.exec(listing)![1]!;
    expect(await runSubagentsCommand(deps, sessionKey, `kill ${id}`)).toBe(`Stopped sub-agent ${id}.`);
    await until("the child is cancelled", async () => (await a.store.runs.get(child!.id))?.status === "cancelled");
  });

  it("cancels a waited-for child, and its own child, when the parent is stopped", async () => {
    const a = await openApp();
    const { sessionKey, result } = await turn(a, `SPAWN ${spawn({ task: `SPAWN ${spawn({ task: "HANG" })}` })}`);
    const grandchild = await until("the grandchild runs", async () =>
      (await a.store.runs.list({ sessionKeyPrefix: `${sessionKey}:sub:`, status: ["running"] })).find((r) => r.sessionKey.split(":sub:").length === 3));
    a.dispatcher.stop(sessionKey, "cancelled");
    expect((await result).status).toBe("cancelled");
    await until("every sub-agent is cancelled", async () =>
      (await a.store.runs.list({ sessionKeyPrefix: `${sessionKey}:sub:` })).every((r) => r.status === "cancelled"));
    expect((await a.store.runs.get(grandchild.id))?.status).toBe("cancelled");
  });

  it("stops a background child when its parent is stopped later, and delivers nothing", async () => {
    const a = await openApp();
    const { sessionKey, result } = await turn(a, `THENHANG SPAWN ${spawn({ task: "HANG", background: true })}`);
    const child = await until("the background child runs", async () => (await a.store.runs.list({ sessionKeyPrefix: `${sessionKey}:sub:`, status: ["running"] }))[0]);
    await until("the parent waits on its next model step", async () => (await a.store.transcript.list(sessionKey)).some((m) => m.role === "tool"));
    a.dispatcher.stop(sessionKey, "cancelled");
    expect((await result).status).toBe("cancelled");
    await until("the child is cancelled", async () => (await a.store.runs.get(child.id))?.status === "cancelled");
    expect((await a.store.runs.list({ sessionKey })).map((r) => r.input)).toEqual([`THENHANG SPAWN ${spawn({ task: "HANG", background: true })}`]);
  });

  it("delivers a background child's answer to the parent session as a follow-up message", async () => {
    const a = await openApp();
    const { sessionKey, result } = await turn(a, `SPAWN ${spawn({ task: "ANSWER seven", background: true })}`);
    expect((await result).reply).toMatch(/^done: Started sub-agent [0-9a-f]{8} in the background/);
    const followUp = await until("the follow-up run", async () =>
      (await a.store.runs.list({ sessionKey })).find((r) => r.input.startsWith("[sub-agent ") && r.status === "succeeded"));
    expect(followUp.input).toMatch(/^\[sub-agent [0-9a-f]{8} finished\] Sub-agent [0-9a-f]{8} answered \(\d+ tokens\):\nseven$/);
    expect(followUp.reply).toContain("noted:");
  });

  it("stops a child that goes past policy.subagents.max_tokens", async () => {
    const a = await openApp("policy:\n  subagents:\n    max_tokens: 100\n");
    const { sessionKey, result } = await turn(a, `SPAWN ${spawn({ task: "BURN" })}`);
    expect((await result).reply).toContain("token_budget: the sub-agent used more tokens than policy.subagents.max_tokens allows");
    const [child] = await a.store.runs.list({ sessionKeyPrefix: `${sessionKey}:sub:` });
    expect(child).toMatchObject({ status: "failed", errorCode: "token_budget" });
  });

  it("gives a child of another agent no tool its parent may not use", async () => {
    const a = await openApp([
      "agents:",
      "  default:",
      "    tools:",
      "      deny: [exec]",
      "  helper:",
      "    tools:",
      "      allow: [\"*\"]",
    ].join("\n"));
    const { result } = await turn(a, `SPAWN ${spawn({ task: "TOOLS", agent: "helper" })}`);
    const reply = (await result).reply;
    expect(reply).toContain("read,");
    expect(reply).toContain("spawn_agent");
    expect(reply).not.toContain("exec");
  });
});

/** Taint guards exec only: agents that received another agent's message may still message and spawn. */
const UNGUARDED_AGENTS = "policy:\n  taint:\n    guarded: [exec]\n";

describe("send_agent_message (same instance)", () => {
  const twoAgents = "agents:\n  default: {}\n  helper: {}\n";

  it("delivers to the target's session for the sender and, with wait, returns its answer; both sides audited", async () => {
    const a = await openApp(twoAgents);
    const { result } = await turn(a, `SEND ${JSON.stringify({ to: "agent:helper", text: "ANSWER pong", wait: true })}`);
    expect((await result).reply).toBe("done: agent:helper answered:\npong");
    const [target] = await a.store.runs.list({ sessionKey: "agent:helper:a2a:default" });
    expect(target).toMatchObject({ agentId: "helper", status: "succeeded", input: "[message from agent:default, turn 1 of 5]\nANSWER pong" });
    expect((await a.store.audit.list({ kind: "a2a.sent" })).map((r) => r.detail)).toEqual([expect.objectContaining({ to: "agent:helper", turn: 1 })]);
    expect(await a.store.audit.list({ kind: "a2a.received" })).toHaveLength(1);
  });

  it("stops a reply loop at a2a.max_turns", async () => {
    // Another agent's message taints the run reading it, and send_agent_message is guarded by default: the loop under
    // test here needs the replies unguarded.
    const a = await openApp(`${twoAgents}a2a:\n  max_turns: 3\n${UNGUARDED_AGENTS}`);
    await (await turn(a, "PINGPONG agent:helper")).result;
    const refused = await until("the refused fourth message", async () => (await a.store.audit.list({ kind: "a2a.refused" }))[0]);
    expect(refused).toMatchObject({ decision: "deny", reason: "a2a.max_turns (3) reached", detail: { turn: 4 } });
    expect((await a.store.audit.list({ kind: "a2a.sent" })).map((r) => (r.detail as { turn: number }).turn).sort()).toEqual([1, 2, 3]);
  });

  it("refuses another instance on the embedded runtime", async () => {
    const a = await openApp();
    const { result } = await turn(a, `SEND ${JSON.stringify({ to: "other/agent:default", text: "hi" })}`);
    expect((await result).reply).toContain("messages between instances need the cluster runtime (bus.url)");
  });
});

describe("send_agent_message inside a sub-agent", () => {
  it("continues the turn count of the agents' conversation its parent is in", async () => {
    const a = await openApp(`agents:\n  default: {}\n  helper: {}\na2a:\n  max_turns: 1\n${UNGUARDED_AGENTS}`);
    const childTask = `SEND ${JSON.stringify({ to: "agent:default", text: "ANSWER hi" })}`;
    const helperText = `SPAWN ${JSON.stringify({ task: childTask })}`;
    const { result } = await turn(a, `SEND ${JSON.stringify({ to: "agent:helper", text: helperText, wait: true })}`);
    expect((await result).reply).toContain("a2a.max_turns is 1 and this conversation between agents reached it");
    expect(await a.store.audit.list({ kind: "a2a.sent" })).toHaveLength(1);
  });
});
