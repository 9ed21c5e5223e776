// Reads what a run left in the transcript when its process died, and plans how to continue it: which tool calls
// finished, which never answered, and whether the final answer was already written. Pure; persistence is the caller's.
import type { ModelMessage } from "ai";
import { toolResultMessage } from "./agent-loop.ts";

/** Told to the model for the call that may have been running when the process stopped. */
export const TOOL_INTERRUPTED_TEXT =
  "This tool call was interrupted by a restart of Pincer: it may or may not have completed, and it was not run again. Check its effects before relying on them, or call the tool again if it is still needed.";
/** Told to the model for later calls of the same step, which never started. */
export const TOOL_NOT_STARTED_TEXT =
  "This tool call was not run: Pincer restarted before it started. Call the tool again if it is still needed.";

export type ResumePlan =
  /** The final answer is in the transcript already: the run only needs recording as succeeded. */
  | { kind: "answered"; reply: string; steps: number }
  /** Call the model again after `messages`; `repairs` (results for unanswered calls) must be persisted first. */
  | { kind: "continue"; messages: ModelMessage[]; repairs: ModelMessage[]; steps: number };

/** Plans the next step of a run from its own transcript messages (oldest first, its input first).
 * Contract: never re-runs a tool; every tool call of the plan's messages has exactly one result. */
export function planResume(own: ModelMessage[]): ResumePlan {
  const steps = own.filter((m) => m.role === "assistant").length;
  const lastStep = own.findLastIndex((m) => m.role === "assistant");
  if (lastStep === -1) return { kind: "continue", messages: own, repairs: [], steps };
  const assistant = own[lastStep]!;
  const calls = toolCallsOf(assistant);
  if (calls.length === 0 && lastStep === own.length - 1) return { kind: "answered", reply: textOf(assistant), steps };

  const answered = new Set<string>();
  for (const m of own.slice(lastStep + 1)) {
    if (m.role !== "tool") continue;
    for (const part of m.content) if (part.type === "tool-result") answered.add(part.toolCallId);
  }
  const unanswered = calls.filter((c) => !answered.has(c.id));
  // Calls run one at a time and each result is persisted as its call ends, so only the first unanswered call can
  // have started; it is reported as interrupted, never run again, because its effects may have happened.
  const repairs = unanswered.map((call, i) => toolResultMessage(call, i === 0 ? TOOL_INTERRUPTED_TEXT : TOOL_NOT_STARTED_TEXT, true));
  return { kind: "continue", messages: [...own, ...repairs], repairs, steps };
}

function toolCallsOf(message: ModelMessage): Array<{ id: string; name: string }> {
  if (message.role !== "assistant" || typeof message.content === "string") return [];
  return message.content.flatMap((part) => (part.type === "tool-call" ? [{ id: part.toolCallId, name: part.toolName }] : []));
}

function textOf(message: ModelMessage): string {
  if (typeof message.content === "string") return message.content;
  if (!Array.isArray(message.content)) return "";
  return message.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
}
