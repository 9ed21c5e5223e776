// Agent-to-agent messages (send_agent_message): to an agent of this instance through the Dispatcher, into the target's
// session for the sender (`agent:<target>:a2a:<sender>`); to another instance's inbound subject on the cluster runtime,
// accepted there by `acceptA2aMessage` only from senders its a2a.allow_from lists. Every message is audited on both sides.
import { AGENT_ADDRESS, type PincerConfig } from "../core/config-schema.ts";
import type { AuditRecord, Run } from "../core/domain.ts";
import { ToolError } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import { ownEntry } from "../core/own-entry.ts";
import { canPublishToInstance, type Bus } from "../bus/bus.ts";
import type { Store } from "../store/store.ts";
import type { AgentMessageArgs, ToolResult } from "../tools/tool.ts";
import type { A2aJob, RunJob } from "./cluster-messages.ts";
import type { Dispatcher } from "./dispatcher.ts";

export const A2A_CHANNEL = "a2a";
const LOCAL_ADDRESS = /^agent:([a-z0-9][a-z0-9_-]*)$/i;
/** The first line of a delivered message: who sent it, and its turn in the conversation (the loop guard reads it). */
const HEADER = /^\[message from (\S+), turn (\d+) of \d+\]\n/;

export interface AgentMessengerOptions {
  store: Store;
  dispatcher: Dispatcher;
  /** The cluster bus, when there is one: messages to other instances travel on it. */
  bus: Bus | undefined;
  config: () => PincerConfig;
  now: () => number;
}

export interface AgentMessenger {
  /** Contract: a refused send (unknown target, a2a.allow_to, a2a.max_turns) throws ToolError, and is audited. */
  send(run: Run, args: AgentMessageArgs, signal: AbortSignal): Promise<ToolResult>;
}

/** The turn a delivered message's header states, if `input` starts with one. */
function headerTurn(input: string): number | undefined {
  const m = HEADER.exec(input);
  return m ? Number(m[2]) : undefined;
}

/**
 * The turn of the agent conversation a run belongs to: 0 unless an agent's message started it. A sub-agent counts as
 * its top-level ancestor, and a run of an agents' session without a header (a sub-agent's follow-up) as the newest
 * message of that session, so neither resets the count.
 */
export async function loadTurn(store: Store, run: Run): Promise<number> {
  let root = run;
  for (let hops = 0; root.parentRunId !== undefined && hops < 50; hops++) {
    const parent = await store.runs.get(root.parentRunId);
    if (!parent) break;
    root = parent;
  }
  if (!root.sessionKey.includes(`:${A2A_CHANNEL}:`)) return 0;
  const own = headerTurn(root.input);
  if (own !== undefined) return own;
  for (const other of await store.runs.list({ sessionKey: root.sessionKey, limit: 50 })) {
    const turn = headerTurn(other.input);
    if (turn !== undefined) return turn;
  }
  return 0;
}

/** The text the target agent reads: a header naming the sender and the turn, then the message. */
export function renderA2aText(from: string, turn: number, maxTurns: number, text: string): string {
  return `[message from ${from}, turn ${turn} of ${maxTurns}]\n${text}`;
}

export function createAgentMessenger(opts: AgentMessengerOptions): AgentMessenger {
  const { store, dispatcher } = opts;
  const audit = (record: Omit<AuditRecord, "at" | "decision" | "tool"> & Partial<Pick<AuditRecord, "decision">>): Promise<void> =>
    store.audit.write({ at: opts.now(), decision: "info", tool: "send_agent_message", ...record });

  async function sendLocal(run: Run, target: string, args: AgentMessageArgs, turn: number, signal: AbortSignal): Promise<ToolResult> {
    const config = opts.config();
    if (!ownEntry(config.agents, target)) {
      throw new ToolError("invalid_args", `send_agent_message: unknown agent "${target}"; agents: ${Object.keys(config.agents).join(", ")}`);
    }
    if (target === run.agentId) throw new ToolError("invalid_args", "send_agent_message: an agent cannot message itself; use spawn_agent to delegate");
    const sessionKey = `agent:${target}:${A2A_CHANNEL}:${run.agentId}`;
    const text = renderA2aText(`agent:${run.agentId}`, turn, config.a2a.max_turns, args.text);
    const session = await store.sessions.ensure({ key: sessionKey, agentId: target, channel: A2A_CHANNEL });
    const submitted = await dispatcher.send({
      agentId: target, sessionKey, channel: A2A_CHANNEL, text, queueMode: "followup", session, trigger: "agent",
      taint: [{ kind: "agent", label: `message from agent:${run.agentId}`, at: opts.now() }],
    });
    const detail = { from: `agent:${run.agentId}`, to: `agent:${target}`, turn, chars: args.text.length, wait: args.wait, ...(submitted.runId ? { targetRunId: submitted.runId } : {}) };
    await audit({ kind: "a2a.sent", runId: run.id, sessionKey: run.sessionKey, reason: `message to agent:${target} (turn ${turn})`, detail });
    await audit({ kind: "a2a.received", runId: submitted.runId, sessionKey, reason: `message from agent:${run.agentId} (turn ${turn})`, detail });
    if (!args.wait) return { text: `Delivered to agent:${target}.`, detail: { turn } };
    const onAbort = (): void => void dispatcher.stop(sessionKey, "cancelled");
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const outcome = await submitted.result;
      // answerRunId: the answering run, whose taint (if any) the asking run takes on with its answer.
      if (outcome.status === "succeeded") return { text: `agent:${target} answered:\n${outcome.reply}`, detail: { turn, answerRunId: outcome.runId } };
      return { text: `agent:${target} did not answer: ${outcome.status}${outcome.error ? ` (${outcome.error})` : ""}`, isError: true, detail: { turn } };
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async function sendRemote(run: Run, instance: string, target: string, args: AgentMessageArgs, turn: number): Promise<ToolResult> {
    const config = opts.config();
    const bus = opts.bus;
    if (!bus || !canPublishToInstance(bus)) {
      throw new ToolError("denied", `send_agent_message: "${instance}/agent:${target}" is another instance; messages between instances need the cluster runtime (bus.url)`);
    }
    if (!config.a2a.allow_to.includes(instance)) {
      await audit({ kind: "a2a.refused", decision: "deny", runId: run.id, sessionKey: run.sessionKey, reason: `a2a.allow_to does not list "${instance}"`, detail: { to: `${instance}/agent:${target}` } });
      throw new ToolError("denied", `send_agent_message: this instance may not message "${instance}"; add it to a2a.allow_to (and its a2a.allow_from must list "${config.instance}/agent:${run.agentId}")`);
    }
    if (args.wait) {
      throw new ToolError("invalid_args", "send_agent_message: wait is for agents of this instance; an agent of another instance answers, if it chooses, with a message of its own");
    }
    const job: A2aJob = { kind: "a2a", msgId: newId("a2a"), from: { instance: config.instance, agent: run.agentId }, to: target, text: args.text, turn };
    await bus.publishInbound(instance, job, { msgId: job.msgId });
    await audit({
      kind: "a2a.sent", runId: run.id, sessionKey: run.sessionKey, reason: `message to ${instance}/agent:${target} (turn ${turn})`,
      detail: { msgId: job.msgId, from: `${config.instance}/agent:${run.agentId}`, to: `${instance}/agent:${target}`, turn, chars: args.text.length },
    });
    return { text: `Sent to ${instance}/agent:${target}. If it answers, its answer arrives as a message in this agent's conversation with it.`, detail: { turn } };
  }

  return {
    async send(run, args, signal) {
      const config = opts.config();
      const local = LOCAL_ADDRESS.exec(args.to);
      const remote = local ? undefined : AGENT_ADDRESS.exec(args.to);
      if (!local && !remote) throw new ToolError("invalid_args", `send_agent_message: "to" must be agent:<id> or <instance>/agent:<id>, got "${args.to}"`);
      const turn = (await loadTurn(store, run)) + 1;
      if (turn > config.a2a.max_turns) {
        await audit({ kind: "a2a.refused", decision: "deny", runId: run.id, sessionKey: run.sessionKey, reason: `a2a.max_turns (${config.a2a.max_turns}) reached`, detail: { to: args.to, turn } });
        throw new ToolError("limit", `send_agent_message refused: a2a.max_turns is ${config.a2a.max_turns} and this conversation between agents reached it; answer without messaging back`);
      }
      if (local) return sendLocal(run, local[1]!, args, turn, signal);
      const [, instance, target] = remote!;
      if (instance === config.instance) return sendLocal(run, target!, args, turn, signal);
      return sendRemote(run, instance!, target!, args, turn);
    },
  };
}

export interface A2aAcceptDeps {
  store: Store;
  bus: Bus;
  config: () => PincerConfig;
  now: () => number;
}

/**
 * A message from another instance, taken from this instance's inbound queue: accepted only from a sender a2a.allow_from
 * lists, within a2a.max_turns, for an agent that exists; then a run in `agent:<to>:a2a:<instance>/<agent>`.
 * Contract: idempotent under redelivery (the run id comes from the message id); a refusal is audited and dropped.
 */
export async function acceptA2aMessage(deps: A2aAcceptDeps, job: A2aJob): Promise<"accepted" | "refused"> {
  const config = deps.config();
  const from = `${job.from.instance}/agent:${job.from.agent}`;
  const sessionKey = `agent:${job.to}:${A2A_CHANNEL}:${job.from.instance}/${job.from.agent}`;
  const refusal = !config.a2a.allow_from.includes(from) ? `a2a.allow_from does not list "${from}"`
    : job.turn > config.a2a.max_turns ? `a2a.max_turns (${config.a2a.max_turns}) reached`
    : !ownEntry(config.agents, job.to) ? `no agent "${job.to}" here`
    : undefined;
  const detail = { msgId: job.msgId, from, to: `agent:${job.to}`, turn: job.turn, chars: job.text.length };
  if (refusal) {
    await deps.store.audit.write({ at: deps.now(), kind: "a2a.refused", decision: "deny", runId: undefined, sessionKey: undefined, tool: undefined, reason: refusal, detail });
    return "refused";
  }
  const runId = `run_${job.msgId}`;
  if (!(await deps.store.runs.get(runId))) {
    await deps.store.sessions.ensure({ key: sessionKey, agentId: job.to, channel: A2A_CHANNEL });
    try {
      await deps.store.runs.create({
        id: runId, sessionKey, agentId: job.to, input: renderA2aText(from, job.turn, config.a2a.max_turns, job.text), createdAt: deps.now(), trigger: "agent",
        taint: [{ kind: "agent", label: `message from ${from}`, at: deps.now() }],
      });
    } catch (err) {
      if (!(await deps.store.runs.get(runId))) throw err; // another router took the same redelivered message first
    }
    await deps.store.audit.write({ at: deps.now(), kind: "a2a.received", decision: "info", runId, sessionKey, tool: undefined, reason: `message from ${from} (turn ${job.turn})`, detail });
  }
  await deps.bus.publish("runs", { runId } satisfies RunJob, { msgId: runId });
  return "accepted";
}
