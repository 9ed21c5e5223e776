// Run events: what an agent run emits while it executes. A discriminated union on `type`.
// Contract: every run's event stream ends with exactly one of `run_finished` (any terminal status).
import type { ApprovalRequest, RunStatus, Usage } from "./domain.ts";

export type RunEvent =
  | { type: "run_started"; runId: string; sessionKey: string; agentId: string }
  | { type: "text_delta"; runId: string; text: string }
  | { type: "tool_call_start"; runId: string; callId: string; name: string; args: unknown }
  | { type: "tool_call_end"; runId: string; callId: string; name: string; isError: boolean; decision: "allow" | "deny"; preview: string }
  | { type: "model_failover"; runId: string; provider: string; model: string; code: string; message: string }
  | { type: "step_finished"; runId: string; step: number; provider: string; model: string; usage: Usage }
  /** A tool call waits for an owner's answer (the run is `waiting_approval`). */
  | { type: "approval_requested"; runId: string; sessionKey: string; request: ApprovalRequest }
  /** Its answer (approved, denied, expired); the run goes on. */
  | { type: "approval_answered"; runId: string; sessionKey: string; request: ApprovalRequest }
  | { type: "run_finished"; runId: string; status: RunStatus; reply: string; usage: Usage; errorCode?: string; error?: string };

export type RunEventType = RunEvent["type"];

/** Characters of a tool's result carried by `tool_call_end.preview` (and shown by clients in history alike). */
export const TOOL_PREVIEW_CHARS = 200;
