// Renders one session's run events in a terminal: text deltas to stdout, tool calls and failover notes to stderr.
import type { RunEvent } from "../core/events.ts";

export interface ToolCallRecord {
  name: string;
  args: unknown;
  isError: boolean;
  decision: "allow" | "deny";
  preview: string;
}

export interface TurnPrinter {
  listener: (event: RunEvent) => void;
  /** Tool calls seen so far, in order. */
  toolCalls: ToolCallRecord[];
  /** True once any text was written to stdout for the current run. */
  wroteText(): boolean;
  reset(): void;
}

/** `stream: false` collects without printing (for --json). */
export function createTurnPrinter(sessionKey: string, opts: { stream: boolean }): TurnPrinter {
  const runs = new Set<string>();
  const pendingArgs = new Map<string, unknown>();
  const toolCalls: ToolCallRecord[] = [];
  let wrote = false;
  let atLineStart = true;
  const out = (text: string): void => {
    if (!opts.stream) return;
    process.stdout.write(text);
    wrote = true;
    atLineStart = text.endsWith("\n");
  };
  const note = (text: string): void => {
    if (!opts.stream) return;
    if (!atLineStart) process.stdout.write("\n");
    atLineStart = true;
    process.stderr.write(`${text}\n`);
  };
  return {
    toolCalls,
    wroteText: () => wrote,
    reset: () => {
      wrote = false;
      toolCalls.length = 0;
    },
    listener: (event) => {
      if (event.type === "run_started") {
        if (event.sessionKey === sessionKey) runs.add(event.runId);
        return;
      }
      if (!runs.has(event.runId)) return;
      switch (event.type) {
        case "text_delta":
          out(event.text);
          break;
        case "tool_call_start":
          pendingArgs.set(event.callId, event.args);
          note(`  ⚙ ${event.name} ${summarizeArgs(event.args)}`);
          break;
        case "tool_call_end": {
          toolCalls.push({ name: event.name, args: pendingArgs.get(event.callId), isError: event.isError, decision: event.decision, preview: event.preview });
          pendingArgs.delete(event.callId);
          const status = event.decision === "deny" ? "denied" : event.isError ? "error" : "ok";
          note(`  ${event.isError ? "✗" : "✓"} ${event.name} ${status}${event.isError ? `: ${firstLine(event.preview)}` : ""}`);
          break;
        }
        case "model_failover":
          note(`  ↻ ${event.provider}/${event.model} failed (${event.code}); trying the next model`);
          break;
        case "run_finished":
          runs.delete(event.runId);
          if (wrote && !atLineStart) out("\n");
          break;
        default:
          break;
      }
    },
  };
}

function summarizeArgs(args: unknown): string {
  const text = JSON.stringify(args) ?? "";
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.slice(0, 160);
}
