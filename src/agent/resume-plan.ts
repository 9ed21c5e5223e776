// Reads what a run left in the transcript when its process died, and plans how to continue it: which tool calls
// finished, which never answered, and whether the final answer was already written. A call that was waiting for an
// owner's approval is issued again through the gate (which finds its stored request), never reported interrupted.
// Pure; persistence is the caller's.
import type { ModelMessage } from "ai";
import type { ToolCall } from "../tools/tool.ts";
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
  /** Call the model again after `messages`; `repairs` (results for unanswered calls) must be persisted first. With
   * `rerun`, that call goes through the gate again first (its result persisted), and only then `repairs`. */
  | { kind: "continue"; messages: ModelMessage[]; repairs: ModelMessage[]; steps: number; rerun?: ToolCall };

/** The call a crash may have left running: the first call of the last step without a result, if any. */
export function firstUnansweredCall(own: ModelMessage[]): ToolCall | undefined {
  const lastStep = own.findLastIndex((m) => m.role === "assistant");
  if (lastStep === -1) return undefined;
  const answered = answeredIds(own.slice(lastStep + 1));
  return toolCallsOf(own[lastStep]!).find((c) => !answered.has(c.id));
}

/** Plans the next step of a run from its own transcript messages (oldest first, its input first).
 * `rerun`: the id of the first unanswered call when it was waiting for an approval and never started (the caller checks
 * the stored request): it is issued again instead of being reported interrupted.
 * Contract: never re-runs a tool that may have started; every tool call of the plan has exactly one result. */
export function planResume(own: ModelMessage[], opts: { rerun?: string | undefined } = {}): ResumePlan {
  const steps = own.filter((m) => m.role === "assistant").length;
  const lastStep = own.findLastIndex((m) => m.role === "assistant");
  if (lastStep === -1) return { kind: "continue", messages: own, repairs: [], steps };
  const assistant = own[lastStep]!;
  const calls = toolCallsOf(assistant);
  if (calls.length === 0 && lastStep === own.length - 1) return { kind: "answered", reply: textOf(assistant), steps };

  const answered = answeredIds(own.slice(lastStep + 1));
  const unanswered = calls.filter((c) => !answered.has(c.id));
  const first = unanswered[0];
  if (first && opts.rerun === first.id) {
    const repairs = unanswered.slice(1).map((call) => toolResultMessage(call, TOOL_NOT_STARTED_TEXT, true));
    return { kind: "continue", messages: own, repairs, steps, rerun: first };
  }
  // Calls run one at a time and each result is persisted as its call ends, so only the first unanswered call can
  // have started; it is reported as interrupted, never run again, because its effects may have happened.
  const repairs = unanswered.map((call, i) => toolResultMessage(call, i === 0 ? TOOL_INTERRUPTED_TEXT : TOOL_NOT_STARTED_TEXT, true));
  return { kind: "continue", messages: [...own, ...repairs], repairs, steps };
}

function answeredIds(after: ModelMessage[]): Set<string> {
  const answered = new Set<string>();
  for (const m of after) {
    if (m.role !== "tool") continue;
    for (const part of m.content) if (part.type === "tool-result") answered.add(part.toolCallId);
  }
  return answered;
}

function toolCallsOf(message: ModelMessage): ToolCall[] {
  if (message.role !== "assistant" || typeof message.content === "string") return [];
  return message.content.flatMap((part) => (part.type === "tool-call" ? [{ id: part.toolCallId, name: part.toolName, args: part.input }] : []));
}

function textOf(message: ModelMessage): string {
  if (typeof message.content === "string") return message.content;
  if (!Array.isArray(message.content)) return "";
  return message.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
}
