// Pure: what the model sees of a session's history — turns, stubs for old tool results, the summary message, the
// split of a compaction (what is summarised, what is kept) and the plain-text rendering a summariser reads.
// It reads and writes nothing; context-manager.ts does.
import type { ModelMessage } from "ai";
import { estimateMessageTokens, toolOutputText } from "./context-window.ts";

/** A history message with the transcript id it was stored under. */
export interface HistoryEntry {
  id: number;
  message: ModelMessage;
}

/** Characters of a tool result's first line a stub keeps. */
const STUB_FIRST_LINE_CHARS = 120;

/** History must start with a user message: tool results whose calls were cut off are dropped. */
export function trimToValidStart<T extends { message: ModelMessage }>(history: T[]): T[] {
  let start = 0;
  while (start < history.length && history[start]!.message.role !== "user") start++;
  return history.slice(start);
}

/** Indices where turns start (a user message), oldest first. */
export function turnStarts(messages: ReadonlyArray<{ message: ModelMessage }>): number[] {
  const starts: number[] = [];
  messages.forEach((m, i) => {
    if (m.message.role === "user") starts.push(i);
  });
  return starts;
}

/** A tool result as a one-line stub: the tool, the size and the first line. */
export function renderToolStub(toolName: string, text: string): string {
  const firstLine = (text.split("\n", 1)[0] ?? "").trim();
  const head = firstLine.length > STUB_FIRST_LINE_CHARS ? `${firstLine.slice(0, STUB_FIRST_LINE_CHARS)}…` : firstLine;
  return `[older ${toolName} result, ${text.length} chars, shortened; first line: ${JSON.stringify(head)}. Call the tool again if you need it.]`;
}

/** The message with its tool results replaced by stubs (other messages are returned as they are). */
export function stubToolResults(message: ModelMessage): ModelMessage {
  if (message.role !== "tool") return message;
  const content = message.content.map((part) => {
    if (part.type !== "tool-result") return part;
    const text = toolOutputText(part.output);
    const stub = renderToolStub(part.toolName, text);
    if (stub.length >= text.length) return part;
    return { ...part, output: part.output.type === "error-text" ? { type: "error-text" as const, value: stub } : { type: "text" as const, value: stub } };
  });
  return { ...message, content };
}

/** Tool results older than the newest `fullTurns` turns become stubs. */
export function stubOldToolResults<T extends { message: ModelMessage }>(history: T[], fullTurns: number): T[] {
  const starts = turnStarts(history);
  const cut = fullTurns === 0 ? history.length : fullTurns >= starts.length ? 0 : starts[starts.length - fullTurns]!;
  return history.map((entry, i) => (i < cut ? { ...entry, message: stubToolResults(entry.message) } : entry));
}

/** The message that carries a compaction summary at the head of the history. */
export function summaryMessage(summary: string): ModelMessage {
  return { role: "user", content: `[Summary of the earlier conversation, written when it was compacted]\n${summary}` };
}

/** How a compaction splits the history: `older` is summarised, `kept` stays word for word. */
export interface CompactionSplit {
  older: HistoryEntry[];
  kept: HistoryEntry[];
}

/**
 * Keeps the newest `keepTurns` turns, fewer when they do not fit `keptBudget` tokens (down to none: the turn being
 * answered is not part of the history).
 */
export function splitForCompaction(history: HistoryEntry[], opts: { keepTurns: number; keptBudget: number; fullToolTurns: number }): CompactionSplit {
  const starts = turnStarts(history);
  let turns = Math.min(opts.keepTurns, starts.length);
  for (; turns > 0; turns--) {
    const start = starts[starts.length - turns]!;
    const kept = stubOldToolResults(history.slice(start), opts.fullToolTurns);
    const tokens = kept.reduce((sum, e) => sum + estimateMessageTokens(e.message), 0);
    if (tokens <= opts.keptBudget) break;
  }
  const start = turns === 0 ? history.length : starts[starts.length - turns]!;
  return { older: history.slice(0, start), kept: history.slice(start) };
}

/** Characters of a tool result or tool input a summariser reads. */
const SUMMARY_TOOL_CHARS = 600;

/** One line per message, for a summariser: who said what; long tool inputs and results shortened. */
export function renderForSummary(messages: readonly ModelMessage[]): string[] {
  const clip = (s: string): string => (s.length > SUMMARY_TOOL_CHARS ? `${s.slice(0, SUMMARY_TOOL_CHARS)}… (${s.length} chars)` : s);
  const lines: string[] = [];
  for (const m of messages) {
    if (typeof m.content === "string") {
      lines.push(`${m.role === "user" ? "User" : m.role === "assistant" ? "Assistant" : m.role}: ${m.content}`);
      continue;
    }
    for (const part of m.content as ReadonlyArray<Record<string, unknown>>) {
      if (part.type === "text") lines.push(`${m.role === "user" ? "User" : "Assistant"}: ${String(part.text)}`);
      else if (part.type === "tool-call") lines.push(`Assistant called ${String(part.toolName)}(${clip(JSON.stringify(part.input ?? {}))})`);
      else if (part.type === "tool-result") lines.push(`${String(part.toolName)} returned: ${clip(toolOutputText(part.output))}`);
      else if (part.type === "image" || part.type === "file") lines.push(`${m.role === "user" ? "User" : "Assistant"} sent a file.`);
    }
  }
  return lines;
}
