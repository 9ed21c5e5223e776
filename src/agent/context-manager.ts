// Keeps a turn's prompt inside its model's context window: reads the history from the session's compaction point,
// shows old tool results as stubs and, past `compaction.threshold`, compacts — a silent memory-flush turn, then a
// summary of the older turns (fast tier) kept on the session. The transcript itself is never shortened.
import type { ModelMessage } from "ai";
import type { PincerConfig } from "../core/config-schema.ts";
import { addUsage, ZERO_USAGE, type Run, type Session, type SessionCompaction, type TranscriptMessage, type Usage } from "../core/domain.ts";
import { parseSessionKey } from "../core/ids.ts";
import type { Store } from "../store/store.ts";
import type { BudgetPayer } from "../models/model-events.ts";
import { inputMessage, runAgentLoop, type ModelStreamer, type ToolRunner } from "./agent-loop.ts";
import { compactionBudget, contextWindowOf, estimateMessageTokens, estimatePromptTokens, estimateTextTokens } from "./context-window.ts";
import {
  renderForSummary, splitForCompaction, stubOldToolResults, stubToolResults, summaryMessage, trimToValidStart, turnStarts, type HistoryEntry,
} from "./context-view.ts";

/** Safety cap on the rows read after the compaction point (a session that never compacted, e.g. after an upgrade). */
export const MAX_HISTORY_ROWS = 4_000;
/** Model steps the memory flush may take (reads and writes of memory files). */
const FLUSH_MAX_STEPS = 6;

export const MEMORY_FLUSH_PROMPT = [
  "[Context maintenance — the user does not see this turn.]",
  "The older part of this conversation is about to be summarised, and details will be lost.",
  "If it holds anything worth keeping beyond this conversation (facts about the user, preferences, decisions,",
  "open tasks), write it now with your file tools: durable facts to MEMORY.md, notes of the day to",
  "memory/YYYY-MM-DD.md (append; keep what is already there). If nothing needs saving, answer NO_REPLY.",
].join(" ");

const SUMMARY_SYSTEM = [
  "You summarise a conversation between a user and an AI assistant so the assistant can continue it.",
  "Keep: the user's goals, facts and preferences they stated, decisions made, files and names involved,",
  "open questions and unfinished tasks. Drop greetings and chatter. Write plain, dense notes in the",
  "conversation's language. Never invent anything.",
].join(" ");

export interface ContextDeps {
  store: Store;
  models: ModelStreamer;
  now: () => number;
  config: Pick<PincerConfig, "models" | "compaction">;
}

/** The session's history as stored after its compaction point. */
export interface LoadedHistory {
  compaction: SessionCompaction | undefined;
  rows: TranscriptMessage[];
}

/** `/compact [focus]` as a run's input (sent by the chat command): the focus, or undefined for any other input. */
export function parseCompactInput(input: string): { focus: string } | undefined {
  const m = /^\/compact(?:\s+([\s\S]*))?$/i.exec(input.trim());
  return m ? { focus: (m[1] ?? "").trim() } : undefined;
}

/**
 * One transcript read from the compaction point, never the whole transcript of a long session; the session is read
 * too unless the caller passes it (read just before the run started, so its compaction point is current).
 */
export async function loadHistory(store: Store, sessionKey: string, known?: Session): Promise<LoadedHistory> {
  const session = known ?? (await store.sessions.get(sessionKey));
  const compaction = session?.compaction;
  const rows = await store.transcript.list(sessionKey, { limit: MAX_HISTORY_ROWS, ...(compaction ? { afterId: compaction.throughId } : {}) });
  return { compaction, rows };
}

export interface FitInput {
  run: Run;
  agentId: string;
  modelRef: string;
  system: string;
  tools: ToolRunner;
  /** History rows (the current run's own messages left out), oldest first. */
  history: HistoryEntry[];
  compaction: SessionCompaction | undefined;
  /** The turn's input as the model will see it, for the estimate. */
  input: string;
  signal: AbortSignal;
  /** `/compact [focus]`: compact now, whatever the size; `focus` steers the summary. */
  force?: { focus: string };
  /** Who pays for the flush and summary calls (budgets); also recorded on their usage. */
  payer?: BudgetPayer;
}

export interface FittedContext {
  /** What the model sees before the turn's input: the summary (if any) and the recent history. */
  messages: ModelMessage[];
  /** Spent on the memory flush and the summary (zero without a compaction). */
  usage: Usage;
  /** Estimated prompt tokens with these messages, and the window they are measured against. */
  tokens: number;
  window: number;
  /** Set when this call compacted: how many messages went into the summary. */
  compacted?: { messages: number; tokensBefore: number };
}

/** Contract: never throws for model failures; a failed summary leaves the stored compaction as it was. */
export async function fitContext(deps: ContextDeps, input: FitInput): Promise<FittedContext> {
  const { config } = deps;
  const settings = config.compaction;
  const window = contextWindowOf(input.modelRef, config);
  const budget = compactionBudget(window, config);
  const fixed = estimatePromptTokens({ system: input.system, messages: [inputMessage(input.input)], tools: input.tools.specs() });
  const history = trimToValidStart(input.history);
  const view = stubOldToolResults(history, settings.full_tool_results_turns);
  const head = input.compaction ? [summaryMessage(input.compaction.summary)] : [];
  const messages = [...head, ...view.map((e) => e.message)];
  const tokens = fixed + sumTokens(messages);
  if (!input.force && tokens <= budget) return { messages, usage: ZERO_USAGE, tokens, window };
  if (history.length === 0) return { messages, usage: ZERO_USAGE, tokens, window };

  // After a compaction the prompt should sit well under the threshold, so the next turns do not compact again.
  const summaryCap = Math.max(200, Math.min(2_000, Math.floor(budget / 5)));
  const keptBudget = Math.max(0, Math.floor(budget * 0.6) - fixed - summaryCap);
  // On demand, at least the oldest turn is summarised even when the history is shorter than `keep_turns`.
  const keepTurns = input.force ? Math.min(settings.keep_turns, turnStarts(history).length - 1) : settings.keep_turns;
  const split = splitForCompaction(history, { keepTurns, keptBudget, fullToolTurns: settings.full_tool_results_turns });
  if (split.older.length === 0) return { messages, usage: ZERO_USAGE, tokens, window };

  let usage = ZERO_USAGE;
  const record = async (step: { provider: string; model: string; usage: Usage }, n: number): Promise<void> => {
    usage = addUsage(usage, step.usage);
    await deps.store.usage.record({
      runId: input.run.id, sessionKey: input.run.sessionKey, agentId: input.agentId, provider: step.provider, model: step.model,
      ...step.usage, at: deps.now(), idempotencyKey: `${input.run.id}:${input.run.attempt}:compact:${n}`, ...(input.payer?.sender ? { sender: input.payer.sender } : {}),
    });
  };
  let calls = 0;
  if (shouldFlushMemory(settings.memory_flush, input)) {
    const room = budget - fixed - sumTokens(head) - estimateTextTokens(MEMORY_FLUSH_PROMPT);
    await runAgentLoop({
      runId: input.run.id,
      modelRef: input.modelRef,
      system: input.system,
      history: [...head, ...newestThatFit(stubOldToolResults(split.older, settings.full_tool_results_turns), room)],
      input: MEMORY_FLUSH_PROMPT,
      maxSteps: FLUSH_MAX_STEPS,
      models: deps.models,
      tools: input.tools,
      signal: input.signal,
      // Silent: nothing reaches the user, nothing is added to the transcript; the tool calls are audited by the gate.
      emit: () => {},
      persist: async () => {},
      recordStep: (step) => record(step, calls++),
      ...(input.payer ? { payer: input.payer } : {}),
    });
  }
  const summary = await summarise(deps, {
    previous: input.compaction?.summary,
    lines: renderForSummary(split.older.map((e) => e.message)),
    focus: input.force?.focus ?? "",
    modelRef: config.models.tiers.fast ? "fast" : input.modelRef,
    maxTokens: summaryCap,
    signal: input.signal,
    record: (step) => record(step, calls++),
    ...(input.payer ? { payer: input.payer } : {}),
  });
  const kept = stubOldToolResults(split.kept, settings.full_tool_results_turns).map((e) => e.message);
  if (summary === undefined) {
    // No summary this time: the turn still fits, the stored compaction stays as it was and the next turn tries again.
    const fallback = [...head, ...kept];
    await auditCompaction(deps, input, { decision: "info", reason: "the summary model failed; older turns left out of this prompt only" });
    return { messages: fallback, usage, tokens: fixed + sumTokens(fallback), window };
  }
  const compaction: SessionCompaction = { summary, throughId: split.older[split.older.length - 1]!.id, at: deps.now() };
  await deps.store.sessions.saveCompaction(input.run.sessionKey, compaction);
  const after = [summaryMessage(summary), ...kept];
  const tokensAfter = fixed + sumTokens(after);
  await auditCompaction(deps, input, {
    decision: "allow",
    reason: input.force ? "/compact" : `prompt passed ${settings.threshold} of the window`,
    detail: { window, tokensBefore: tokens, tokensAfter, summarised: split.older.length, kept: split.kept.length, throughId: compaction.throughId },
  });
  return { messages: after, usage, tokens: tokensAfter, window, compacted: { messages: split.older.length, tokensBefore: tokens } };
}

/**
 * Within one run, tool results pile up between model calls: past the window (less the answer's room), the oldest
 * tool results of `messages` become stubs, oldest first, the newest message always kept whole. Pure.
 */
export function shrinkToWindow(
  messages: ModelMessage[],
  opts: { system: string; tools: ReadonlyArray<object>; window: number; config: Pick<PincerConfig, "compaction"> },
): ModelMessage[] {
  const limit = opts.window - Math.min(opts.config.compaction.reserve_tokens, Math.floor(opts.window / 4));
  let total = estimatePromptTokens({ system: opts.system, messages, tools: opts.tools });
  if (total <= limit) return messages;
  const out = [...messages];
  for (let i = 0; i < out.length - 1 && total > limit; i++) {
    const message = out[i]!;
    if (message.role !== "tool") continue;
    const stubbed = stubToolResults(message);
    total -= estimateMessageTokens(message) - estimateMessageTokens(stubbed);
    out[i] = stubbed;
  }
  return out;
}

/** Tools that can write the memory files. */
const WRITE_TOOLS = new Set(["write", "edit"]);

/**
 * The flush runs when enabled, the agent can write files, and the session is not a group: what strangers say in a
 * group must not become durable memory that later reaches the owner's private sessions.
 */
function shouldFlushMemory(enabled: boolean, input: FitInput): boolean {
  if (!enabled) return false;
  if (parseSessionKey(input.run.sessionKey)?.kind === "group") return false;
  return input.tools.specs().some((t) => WRITE_TOOLS.has(t.name));
}

function sumTokens(messages: readonly ModelMessage[]): number {
  return messages.reduce((sum, m) => sum + estimateMessageTokens(m), 0);
}

/** The newest entries whose estimate fits `room` tokens, starting at a user message. */
function newestThatFit(entries: HistoryEntry[], room: number): ModelMessage[] {
  let used = 0;
  let start = entries.length;
  while (start > 0) {
    const cost = estimateMessageTokens(entries[start - 1]!.message);
    if (used + cost > room) break;
    used += cost;
    start--;
  }
  return trimToValidStart(entries.slice(start)).map((e) => e.message);
}

interface SummariseInput {
  previous: string | undefined;
  lines: string[];
  focus: string;
  modelRef: string;
  maxTokens: number;
  signal: AbortSignal;
  record: (step: { provider: string; model: string; usage: Usage }) => Promise<void>;
  payer?: BudgetPayer;
}

/**
 * Folds the lines into the previous summary, one window-sized chunk per model call (a session that never compacted
 * may hold thousands of messages). Undefined when a call fails.
 */
async function summarise(deps: ContextDeps, s: SummariseInput): Promise<string | undefined> {
  const window = contextWindowOf(s.modelRef, deps.config);
  const overhead = estimateTextTokens(SUMMARY_SYSTEM) + estimateTextTokens(s.focus) + 2 * s.maxTokens + 100;
  const chunkTokens = Math.max(256, compactionBudget(window, deps.config) - overhead);
  let summary = s.previous;
  for (const chunk of chunkLines(s.lines, chunkTokens)) {
    const prompt = [
      summary ? `Summary so far:\n${summary}\n` : "",
      `Conversation to add to it:\n${chunk}\n`,
      s.focus ? `Pay particular attention to: ${s.focus}\n` : "",
      `Write the updated summary, at most about ${Math.floor(s.maxTokens * 0.75)} words.`,
    ].join("\n");
    let text: string | undefined;
    for await (const event of deps.models.stream({
      ref: s.modelRef, system: SUMMARY_SYSTEM, messages: [{ role: "user", content: prompt }], tools: [], signal: s.signal, ...(s.payer ? { budget: s.payer } : {}),
    })) {
      if (event.type === "done") {
        await s.record(event);
        text = event.text.trim();
      }
    }
    if (!text) return undefined;
    summary = capTokens(text, s.maxTokens);
  }
  return summary;
}

/** Lines grouped into chunks of at most `tokens` (estimated); a longer line is cut. */
function chunkLines(lines: string[], tokens: number): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let used = 0;
  for (const raw of lines) {
    const line = capTokens(raw, tokens);
    const cost = estimateTextTokens(line) + 1;
    if (used + cost > tokens && current.length > 0) {
      chunks.push(current.join("\n"));
      current = [];
      used = 0;
    }
    current.push(line);
    used += cost;
  }
  if (current.length > 0) chunks.push(current.join("\n"));
  return chunks;
}

/** The text cut to about `tokens` estimated tokens. */
function capTokens(text: string, tokens: number): string {
  if (estimateTextTokens(text) <= tokens) return text;
  let end = Math.min(text.length, tokens * 4);
  while (end > 0 && estimateTextTokens(text.slice(0, end)) > tokens - 1) end = Math.floor(end * 0.9);
  return `${text.slice(0, end)}…`;
}

async function auditCompaction(
  deps: ContextDeps,
  input: FitInput,
  what: { decision: "allow" | "info"; reason: string; detail?: Record<string, unknown> },
): Promise<void> {
  await deps.store.audit.write({
    at: deps.now(), kind: "context.compaction", decision: what.decision, runId: input.run.id, sessionKey: input.run.sessionKey,
    tool: undefined, reason: what.reason, detail: what.detail,
  });
}

/** What `/status` shows of a session's context: the history's estimated tokens as the next turn would send it. */
export async function measureHistory(store: Store, sessionKey: string, config: Pick<PincerConfig, "compaction">): Promise<{ tokens: number; compaction: SessionCompaction | undefined }> {
  const { compaction, rows } = await loadHistory(store, sessionKey);
  const view = stubOldToolResults(trimToValidStart(rows.map((r) => ({ id: r.id, message: r.content as ModelMessage }))), config.compaction.full_tool_results_turns);
  const messages = [...(compaction ? [summaryMessage(compaction.summary)] : []), ...view.map((e) => e.message)];
  return { tokens: sumTokens(messages), compaction };
}
