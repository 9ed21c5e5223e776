// The taint of one run as it executes: the untrusted content it starts with (its input's, its session's, its parent's),
// the hosts its trusted input named, and every source it meets later written to the run and its session as it arrives,
// so a resumed run and the session's next runs keep it. Wires the tracker (src/tools/taint.ts) to the store.
import type { Logger } from "pino";
import type { TaintPolicy } from "../core/safety-config.ts";
import type { Run, TaintSource } from "../core/domain.ts";
import { mergeTaint } from "../core/taint-sources.ts";
import type { Store } from "../store/store.ts";
import { createTaintTracker, hostsIn, type TaintTracker } from "../tools/taint.ts";
import type { AgentsView, SafetyView, ToolResult } from "../tools/tool.ts";
import { answeredPart } from "./ingress/turn-text.ts";

export interface RunTaintOptions {
  store: Store;
  run: Run;
  policy: () => TaintPolicy;
  now: () => number;
  workspace: string;
  /** MCP tools their server lists in `safe_tools`. */
  isSafeTool?: (name: string) => boolean;
  log?: Logger;
}

/** Earlier runs of the session whose trusted input may name hosts the owner wants fetched. */
const HISTORY_RUNS = 10;
/** Kinds of source a run's input brings in (the rest come from its tools' results). */
const INPUT_KINDS: ReadonlySet<TaintSource["kind"]> = new Set(["message", "file", "hook", "agent"]);

/** Whether a run's input text came from someone trusted (the owner, the operator, a schedule). Conservative: a resumed
 * run whose stored taint took in its session's sources counts as untrusted. */
function inputTrusted(run: Run, parentTaint: readonly TaintSource[] | undefined): boolean {
  if (run.trigger === "hook") return false;
  if (run.parentRunId !== undefined) return (parentTaint?.length ?? 0) === 0;
  return !(run.taint ?? []).some((s) => INPUT_KINDS.has(s.kind));
}

/** Hosts named in the trusted inputs of this run and the session's recent runs. */
async function trustedHostsOf(store: Store, run: Run, parentTaint: readonly TaintSource[] | undefined): Promise<Set<string>> {
  const hosts = inputTrusted(run, parentTaint) ? hostsIn(answeredPart(run.input)) : new Set<string>();
  if (run.parentRunId !== undefined) return hosts;
  const earlier = await store.runs.list({ sessionKey: run.sessionKey, hasParent: false, limit: HISTORY_RUNS + 1 });
  for (const r of earlier) {
    if (r.id !== run.id && inputTrusted(r, undefined)) for (const h of hostsIn(answeredPart(r.input))) hosts.add(h);
  }
  return hosts;
}

/** The run's taint tracker, its starting sources persisted on the run and its session. */
export async function createRunTaint(opts: RunTaintOptions): Promise<TaintTracker> {
  const { store, run } = opts;
  const [session, parent] = await Promise.all([
    store.sessions.get(run.sessionKey),
    run.parentRunId !== undefined ? store.runs.get(run.parentRunId) : undefined,
  ]);
  // Runs recorded before webhook bodies carried a label still count as tainted by their hook.
  const hook: TaintSource[] = run.trigger === "hook" && !run.taint?.some((s) => s.kind === "hook") ? [{ kind: "hook", label: "webhook trigger", at: run.createdAt }] : [];
  const initial = mergeTaint(run.taint, session?.taint, parent?.taint, hook);
  // The hosts named in trusted input matter only once the run is tainted: read them now for a tainted run, and for a
  // clean one when its first untrusted source arrives (persist runs before that tool's result goes back to the model),
  // so a clean turn costs no extra query. The tracker keeps this same set.
  const trustedHosts = new Set<string>();
  let hostsRead = false;
  const readTrustedHosts = async (): Promise<void> => {
    if (hostsRead) return;
    hostsRead = true;
    for (const host of await trustedHostsOf(store, run, parent?.taint)) trustedHosts.add(host);
  };
  if (initial.length > 0) await readTrustedHosts();
  let onSession = session?.taint ?? [];
  let onRun = run.taint ?? [];
  const persist = async (sources: TaintSource[]): Promise<void> => {
    if (sources.length > 0) await readTrustedHosts();
    if (sources.length !== onRun.length || sources.some((s, i) => s !== onRun[i])) {
      await store.runs.update(run.id, { taint: sources });
      onRun = sources;
    }
    const added = sources.filter((s) => !onSession.some((o) => o.kind === s.kind && o.label === s.label));
    if (added.length === 0) return;
    // Read again: ingress or another run may have added sources meanwhile, and /new may have cleared them.
    const current = (await store.sessions.get(run.sessionKey))?.taint;
    onSession = mergeTaint(current, added);
    await store.sessions.update(run.sessionKey, { taint: onSession });
  };
  const tracker = createTaintTracker({
    initial, policy: opts.policy, persist, now: opts.now, trustedHosts, workspace: opts.workspace,
    ...(opts.isSafeTool ? { isSafeTool: opts.isSafeTool } : {}),
    onPersistError: (err) => opts.log?.warn({ err, runId: run.id }, "the run's taint could not be stored; it still applies to this run"),
  });
  if (initial.length > 0) await persist(initial).catch((err: unknown) => opts.log?.warn({ err, runId: run.id }, "the run's taint could not be stored"));
  return tracker;
}

/**
 * The SafetyView of a run with its taint and no way to approve: every approval request is denied at once, so a tainted
 * guarded call is refused. Elevation and standing rules are none.
 */
export function taintOnlySafety(tracker: TaintTracker): SafetyView {
  return {
    taintReason: (call) => tracker.taintReason(call),
    taintSources: () => tracker.taintSources(),
    noteUntrusted: (source) => tracker.noteUntrusted(source),
    elevation: async () => undefined,
    standingRule: async () => false,
    requestApproval: async () => ({ decision: "denied", requestId: "" }),
  };
}

/** The agents view of a run whose tools' answers taint it: a sub-agent's or another agent's answer brings along what
 * that run read. */
export function taintingAgentsView(view: AgentsView, store: Store, tracker: Pick<TaintTracker, "noteUntrusted">, now: () => number): AgentsView {
  const note = async (result: ToolResult, what: string): Promise<ToolResult> => {
    const answerRunId = result.detail?.answerRunId;
    if (typeof answerRunId !== "string" || answerRunId === "") return result;
    const taint = (await store.runs.get(answerRunId))?.taint;
    if (taint?.length) tracker.noteUntrusted({ kind: "agent", label: `${what} (it read ${taint[0]!.label})`, at: now() });
    return result;
  };
  return {
    spawn: async (args, signal) => note(await view.spawn(args, signal), `sub-agent answer`),
    message: async (args, signal) => note(await view.message(args, signal), `answer of ${args.to}`),
  };
}
