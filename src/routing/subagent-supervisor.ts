// Sub-agents: spawn_agent's child runs, started through the Dispatcher (so they run wherever runs run: in-process, or
// on any worker of the cluster), their limits, cancellation with the parent, and delivering background answers.
// What one child may do (steps, time, tokens, tools) is enforced where it executes (run-executor, toolsFor).
import { randomBytes } from "node:crypto";
import type { PincerConfig } from "../core/config-schema.ts";
import type { AuditRecord, Run, TaintSource } from "../core/domain.ts";
import { ToolError } from "../core/errors.ts";
import { ownEntry } from "../core/own-entry.ts";
import type { RunOutcome } from "../agent/run-agent.ts";
import type { Store } from "../store/store.ts";
import type { SpawnArgs, ToolResult } from "../tools/tool.ts";
import type { Dispatcher } from "./dispatcher.ts";

/** Sessions of sub-agents are `<parent session>:sub:<id>`; the channel they are recorded under. */
export const SUB_SEGMENT = ":sub:";
export const SUBAGENT_CHANNEL = "subagent";
/** Time a waiting parent gives a child past its own time limit before stopping it (a child never started by a worker). */
const START_GRACE_MS = 30_000;

export interface SubagentSupervisorOptions {
  store: Store;
  dispatcher: Dispatcher;
  config: () => PincerConfig;
  isUsableModel: (ref: string) => boolean;
  now: () => number;
}

/** One child as /subagents shows it. */
export interface ChildView {
  id: string;
  sessionKey: string;
  runId: string;
  agentId: string;
  status: string;
  tokens: number;
  depth: number;
  task: string;
}

export interface SubagentSupervisor {
  /** Starts a child of `parent`. Contract: a refused spawn throws ToolError("limit"), naming the policy key. */
  spawn(parent: Run, args: SpawnArgs, signal: AbortSignal): Promise<ToolResult>;
  /** The children (and their children) of a session, newest first, from the store. */
  list(sessionKey: string): Promise<ChildView[]>;
  /** Stops a child of the session and its own children; false when no such child is running. */
  kill(sessionKey: string, childId: string): Promise<boolean>;
}

/** How deep a session is: 0 for a top-level one, 1 for a child, … */
export function subagentDepth(sessionKey: string): number {
  return sessionKey.split(SUB_SEGMENT).length - 1;
}

interface Child {
  parentRunId: string;
  sessionKey: string;
}

/** Contract: children of a run cancelled, interrupted or timed out are stopped too (and theirs, in turn). */
export function createSubagentSupervisor(opts: SubagentSupervisorOptions): SubagentSupervisor {
  const { store, dispatcher } = opts;
  const spawned = new Map<string, number>(); // parent run id → children started
  const live = new Map<string, Child>(); // child session key → (children started here, not finished)
  let starting = 0; // spawns between the concurrency check and their run record

  dispatcher.subscribe((event) => {
    if (event.type !== "run_finished") return;
    const stopped = event.status === "cancelled" || event.status === "interrupted" || event.errorCode === "timeout" || event.errorCode === "token_budget";
    if (stopped) {
      for (const child of live.values()) if (child.parentRunId === event.runId) dispatcher.stop(child.sessionKey, "cancelled");
    }
    spawned.delete(event.runId);
  });

  const audit = (record: Omit<AuditRecord, "at" | "decision" | "tool"> & { decision?: AuditRecord["decision"] }): Promise<void> =>
    store.audit.write({ at: opts.now(), decision: "info", tool: "spawn_agent", ...record });

  async function refuseOverLimits(parent: Run): Promise<void> {
    const limits = opts.config().policy.subagents;
    const depth = subagentDepth(parent.sessionKey) + 1;
    if (depth > limits.max_depth) {
      throw new ToolError("limit", `spawn_agent refused: policy.subagents.max_depth is ${limits.max_depth} and this run is at depth ${depth - 1}; do the task yourself`);
    }
    const count = spawned.get(parent.id) ?? 0;
    if (count >= limits.max_children) {
      throw new ToolError("limit", `spawn_agent refused: policy.subagents.max_children is ${limits.max_children} per run and this run started ${count}`);
    }
    const running = (await store.runs.list({ hasParent: true, status: ["pending", "running", "waiting_approval"] })).length + starting;
    if (running >= limits.max_concurrent) {
      throw new ToolError("limit", `spawn_agent refused: policy.subagents.max_concurrent is ${limits.max_concurrent} and ${running} sub-agents are running; wait for one to finish`);
    }
  }

  async function spawn(parent: Run, args: SpawnArgs, signal: AbortSignal): Promise<ToolResult> {
    const config = opts.config();
    const agentId = args.agent ?? parent.agentId;
    if (!ownEntry(config.agents, agentId)) {
      throw new ToolError("invalid_args", `spawn_agent: unknown agent "${agentId}"; agents: ${Object.keys(config.agents).join(", ")}`);
    }
    if (args.model !== undefined && !opts.isUsableModel(args.model)) {
      throw new ToolError("invalid_args", `spawn_agent: model "${args.model}" is not configured; use a tier name or a provider/model of a configured provider`);
    }
    await refuseOverLimits(parent);
    const id = randomBytes(4).toString("hex");
    const sessionKey = `${parent.sessionKey}${SUB_SEGMENT}${id}`;
    spawned.set(parent.id, (spawned.get(parent.id) ?? 0) + 1);
    starting++;
    let submitted;
    try {
      const session = await store.sessions.ensure({ key: sessionKey, agentId, channel: SUBAGENT_CHANNEL });
      if (args.model !== undefined) await store.sessions.update(sessionKey, { modelOverride: args.model });
      submitted = await dispatcher.send({
        agentId, sessionKey, channel: SUBAGENT_CHANNEL, text: args.task, queueMode: "followup", parentRunId: parent.id, trigger: "agent",
        session: args.model !== undefined ? { ...session, modelOverride: args.model } : session,
      });
    } finally {
      starting--;
    }
    live.set(sessionKey, { parentRunId: parent.id, sessionKey });
    await audit({
      kind: "subagent.spawn", runId: parent.id, sessionKey: parent.sessionKey,
      reason: `started sub-agent ${id} (agent ${agentId})${args.background ? " in the background" : ""}`,
      detail: { childId: id, childSessionKey: sessionKey, agentId, ...(submitted.runId ? { childRunId: submitted.runId } : {}), background: args.background },
    });

    // spawn_agent's shorter timeout_s is enforced here; policy.subagents.timeout_s where the child runs, and this timer
    // (30 s later) only stops a child that no worker started meanwhile.
    const limitMs = Math.min(args.timeoutS ?? Infinity, config.policy.subagents.timeout_s) * 1000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      dispatcher.stop(sessionKey, "cancelled");
    }, args.timeoutS !== undefined && args.timeoutS < config.policy.subagents.timeout_s ? limitMs : limitMs + START_GRACE_MS);
    timer.unref();
    const result = submitted.result.finally(() => {
      clearTimeout(timer);
      live.delete(sessionKey);
    });

    if (args.background) {
      void result.then((outcome) => deliverToParent(parent, id, outcome, timedOut)).catch(() => undefined);
      return { text: `Started sub-agent ${id} in the background (agent ${agentId}). Its answer will arrive in this conversation as a message when it finishes.`, detail: { childId: id } };
    }
    const onAbort = (): void => {
      dispatcher.stop(sessionKey, "cancelled");
    };
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      const outcome = await result;
      return describeOutcome(id, outcome, timedOut);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** A background child's answer as a follow-up message of the parent's session (its reply goes where the parent's went). */
  async function deliverToParent(parent: Run, id: string, outcome: RunOutcome, timedOut: boolean): Promise<void> {
    if ((outcome.status === "cancelled" || outcome.status === "interrupted") && !timedOut) return; // stopped on purpose
    const session = await store.sessions.get(parent.sessionKey);
    if (!session) return;
    const text = `[sub-agent ${id} finished] ${describeOutcome(id, outcome, timedOut).text}`;
    // A child that read untrusted content passes it on with its answer.
    const childTaint = outcome.runId ? (await store.runs.get(outcome.runId))?.taint : undefined;
    await dispatcher.send({
      agentId: parent.agentId, sessionKey: parent.sessionKey, channel: session.channel, text, queueMode: "followup",
      ...(parent.origin ? { origin: parent.origin } : {}), trigger: "agent",
      ...(childTaint?.length ? { taint: [childAnswerSource(id, childTaint, opts.now())] } : {}),
    });
  }

  return {
    spawn,
    list: (sessionKey) => listSubagents(store, sessionKey),
    kill: (sessionKey, childId) => killSubagent({ store, dispatcher, now: opts.now }, sessionKey, childId),
  };
}

/** What the parent (or its conversation) reads of a finished child. */
function describeOutcome(id: string, outcome: RunOutcome, timedOut: boolean): ToolResult {
  const tokens = outcome.usage.inputTokens + outcome.usage.outputTokens;
  // answerRunId: the child's run, whose taint (if any) the parent takes on with the answer.
  if (outcome.status === "succeeded") return { text: `Sub-agent ${id} answered (${tokens} tokens):\n${outcome.reply}`, detail: { childId: id, tokens, answerRunId: outcome.runId } };
  const why = timedOut ? "it ran out of time (spawn_agent timeout_s or policy.subagents.timeout_s)"
    : outcome.status === "failed" ? `${outcome.errorCode ?? "error"}: ${outcome.error ?? "unknown error"}`
    : "it was stopped";
  const partial = outcome.reply ? `\nIts last text: ${outcome.reply}` : "";
  return { text: `Sub-agent ${id} ${outcome.status === "failed" ? "failed" : "did not finish"}: ${why}.${partial}`, isError: true, detail: { childId: id, tokens, status: outcome.status, answerRunId: outcome.runId } };
}

/** The trust label a tainted child's answer carries into its parent: the child, and the first thing it read. */
export function childAnswerSource(id: string, childTaint: readonly TaintSource[], at: number): TaintSource {
  return { kind: "agent", label: `sub-agent ${id} answer (it read ${childTaint[0]!.label})`, at };
}

/** The tool rules of every ancestor of a sub-agent's run (parent first), read from the store along `parentRunId`. */
export async function loadAncestorRules<R>(store: Store, run: Run, rulesOf: (agentId: string) => R): Promise<R[]> {
  const rules: R[] = [];
  const seen = new Set<string>([run.id]);
  let parentId = run.parentRunId;
  while (parentId !== undefined && !seen.has(parentId)) {
    seen.add(parentId);
    const parent = await store.runs.get(parentId);
    if (!parent) break;
    rules.push(rulesOf(parent.agentId));
    parentId = parent.parentRunId;
  }
  return rules;
}

/** The sub-agents (children, and theirs) of a session, newest first, from the store. */
export async function listSubagents(store: Store, sessionKey: string): Promise<ChildView[]> {
  const runs = await store.runs.list({ sessionKeyPrefix: `${sessionKey}${SUB_SEGMENT}`, limit: 100 });
  return runs.map((run) => ({
    id: run.sessionKey.slice(run.sessionKey.lastIndexOf(SUB_SEGMENT) + SUB_SEGMENT.length),
    sessionKey: run.sessionKey, runId: run.id, agentId: run.agentId, status: run.status,
    tokens: run.usage.inputTokens + run.usage.outputTokens, depth: subagentDepth(run.sessionKey) - subagentDepth(sessionKey),
    task: run.input,
  }));
}

/** Stops a running sub-agent of the session and its own sub-agents (on every worker); false when none was running. */
export async function killSubagent(deps: Pick<SubagentSupervisorOptions, "store" | "dispatcher" | "now">, sessionKey: string, childId: string): Promise<boolean> {
  const children = await listSubagents(deps.store, sessionKey);
  const target = children.find((c) => c.id === childId);
  if (!target) return false;
  const inTree = (c: ChildView): boolean => c.sessionKey === target.sessionKey || c.sessionKey.startsWith(`${target.sessionKey}${SUB_SEGMENT}`);
  const doomed = children.filter((c) => inTree(c) && (c.status === "pending" || c.status === "running" || c.status === "waiting_approval"));
  for (const c of doomed) deps.dispatcher.stop(c.sessionKey, "cancelled");
  if (doomed.length === 0) return false;
  await deps.store.audit.write({
    at: deps.now(), kind: "subagent.kill", decision: "info", runId: target.runId, sessionKey, tool: undefined,
    reason: `sub-agent ${childId} stopped with /subagents kill`, detail: { childId, stopped: doomed.length },
  });
  return true;
}

/** `/subagents` and `/subagents kill <id>`: the chat command's reply. */
export async function runSubagentsCommand(deps: Pick<SubagentSupervisorOptions, "store" | "dispatcher" | "now">, sessionKey: string, args: string): Promise<string> {
  const kill = /^kill\s+([0-9a-f]{1,16})$/i.exec(args);
  if (kill) {
    const id = kill[1]!.toLowerCase();
    return (await killSubagent(deps, sessionKey, id)) ? `Stopped sub-agent ${id}.` : `No running sub-agent ${id} in this conversation. See /subagents.`;
  }
  if (args !== "") return "Usage: /subagents to list this conversation's sub-agents, /subagents kill <id> to stop one.";
  const children = await listSubagents(deps.store, sessionKey);
  if (children.length === 0) return "No sub-agents in this conversation.";
  const lines = children.map((c) => {
    const task = c.task.length > 60 ? `${c.task.slice(0, 59)}…` : c.task;
    return `${"  ".repeat(c.depth - 1)}${c.id} ${c.status}, ${c.tokens} tokens, agent ${c.agentId}: ${task.replace(/\s+/g, " ")}`;
  });
  return ["Sub-agents (newest first):", ...lines].join("\n");
}
