// Pure: how the API shows runs — a run with its duration and tool-call count, and a run's events rebuilt from its
// transcript messages (input, text, tool calls with arguments and results) joined with the tool gate's audit decisions.
// Secret shapes are masked in everything taken from the transcript; long texts are clipped.
import { redactConfig, redactSecrets } from "../config/redact.ts";
import type { AuditRecord, Run, TranscriptMessage } from "../core/domain.ts";

/** A run as the API lists it. */
export interface RunSummary extends Run {
  /** finishedAt − startedAt, ms; null while it has not both. */
  durationMs: number | null;
  /** Tool calls the run made (audited by the tool gate, denied ones included). */
  toolCalls: number;
}

export type RunEventView =
  /** A user message of the run: its input, or a message steered into it. */
  | { type: "input"; text: string; at: number }
  | { type: "text"; text: string; at: number }
  | {
      type: "tool";
      callId: string;
      name: string;
      args: unknown;
      /** `error`: the tool (or the gate) returned an error; `no_result`: no result was recorded (the run was cut off). */
      status: "ok" | "error" | "no_result";
      result: string | null;
      /** The tool gate's decision and reason, when its audit record was found. */
      decision: "allow" | "deny" | null;
      reason: string | null;
      durationMs: number | null;
      at: number;
    };

/** Characters kept of a tool result or a message text in the run view. */
export const MAX_EVENT_TEXT = 16_000;

export function toRunSummary(run: Run, toolCalls: number): RunSummary {
  const durationMs = run.startedAt !== undefined && run.finishedAt !== undefined ? Math.max(0, run.finishedAt - run.startedAt) : null;
  return { ...run, durationMs, toolCalls };
}

type Part = { type?: unknown; text?: unknown; toolCallId?: unknown; toolName?: unknown; input?: unknown; output?: { type?: unknown; value?: unknown } };

/** A run's events in transcript order; each tool call carries its result and its audit decision. */
export function toRunEvents(messages: readonly TranscriptMessage[], audits: readonly AuditRecord[]): RunEventView[] {
  const events: RunEventView[] = [];
  const calls = new Map<string, Extract<RunEventView, { type: "tool" }>>();
  const decisions = matchDecisions(audits);
  for (const message of messages) {
    const body = (message.content as { content?: unknown } | null)?.content ?? message.content;
    const parts: Part[] = typeof body === "string" ? [{ type: "text", text: body }] : Array.isArray(body) ? (body as Part[]) : [];
    for (const part of parts) {
      if (part === null || typeof part !== "object") continue;
      if (part.type === "text" && typeof part.text === "string" && part.text !== "") {
        events.push({ type: message.role === "user" ? "input" : "text", text: clip(redactSecrets(part.text)), at: message.createdAt });
      } else if (part.type === "tool-call") {
        const callId = String(part.toolCallId ?? "");
        const name = String(part.toolName ?? "?");
        const audit = decisions.take(callId, name);
        const event: Extract<RunEventView, { type: "tool" }> = {
          type: "tool", callId, name, args: redactConfig(part.input ?? {}), status: "no_result", result: null,
          decision: audit ? (audit.decision === "deny" ? "deny" : "allow") : null,
          reason: audit?.reason ?? null,
          durationMs: typeof audit?.detail?.["durationMs"] === "number" ? audit.detail["durationMs"] : null,
          at: message.createdAt,
        };
        calls.set(callId, event);
        events.push(event);
      } else if (part.type === "tool-result") {
        const event = calls.get(String(part.toolCallId ?? ""));
        if (!event) continue;
        const value = part.output?.value;
        event.result = clip(redactSecrets(typeof value === "string" ? value : JSON.stringify(value ?? "")));
        event.status = part.output?.type === "error-text" || part.output?.type === "error-json" ? "error" : "ok";
      }
    }
  }
  return events;
}

/** The gate's `tool.call` records, found by call id (recorded since the id was audited) or else by tool name in order. */
function matchDecisions(audits: readonly AuditRecord[]): { take(callId: string, name: string): AuditRecord | undefined } {
  const oldestFirst = audits.filter((a) => a.kind === "tool.call").sort((a, b) => a.at - b.at || (a.id ?? 0) - (b.id ?? 0));
  const byId = new Map<string, AuditRecord>();
  const unkeyed: AuditRecord[] = [];
  for (const a of oldestFirst) {
    const id = a.detail?.["callId"];
    if (typeof id === "string") byId.set(id, a);
    else unkeyed.push(a);
  }
  return {
    take(callId, name) {
      const keyed = byId.get(callId);
      if (keyed) return keyed;
      const i = unkeyed.findIndex((a) => a.tool === name);
      return i < 0 ? undefined : unkeyed.splice(i, 1)[0];
    },
  };
}

function clip(text: string): string {
  return text.length > MAX_EVENT_TEXT ? `${text.slice(0, MAX_EVENT_TEXT)}… (${text.length - MAX_EVENT_TEXT} more characters)` : text;
}
