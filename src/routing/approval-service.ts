// What the gateway, the CLI and chat commands can do with approvals and elevated mode: answer a waiting tool call, list
// requests and standing rules, revoke a rule, and start, confirm and end an elevation. Implemented by the approval
// broker; the surfaces only call this.
import type { ApprovalRequest, ApprovalRule, Elevation } from "../core/domain.ts";

export type AnswerResult =
  | { ok: true; request: ApprovalRequest }
  | { ok: false; reason: "unknown" | "answered" | "expired"; request?: ApprovalRequest };

export interface ApprovalService {
  /** Answers a pending request; `by`: `<channel>:<senderId>` for a chat owner, `operator:ui|cli|api` for the operator.
   * `always` (with approve) adds a standing rule for the request's agent, tool and subject. */
  answer(id: string, answer: { decision: "approve" | "deny"; always?: boolean }, by: string): Promise<AnswerResult>;
  /** Newest first. */
  list(opts?: { status?: ApprovalRequest["status"][]; sessionKey?: string; limit?: number }): Promise<ApprovalRequest[]>;
  rules(): Promise<ApprovalRule[]>;
  /** False when unknown. Audited. */
  revokeRule(id: string, by: string): Promise<boolean>;
  /** Asks for elevated mode on a session: returns the confirmation code, or why not (elevated mode off, minutes over
   * policy.elevated.max_minutes). `minutes` defaults to policy.elevated.default_minutes. */
  elevate(sessionKey: string, opts: { minutes?: number; reason?: string; by: string }): Promise<{ ok: true; code: string; minutes: number } | { ok: false; reason: string }>;
  /** Turns a requested elevation on when `code` matches (codes are valid 5 minutes). Audited `elevation.start`. */
  confirmElevation(sessionKey: string, code: string, by: string): Promise<{ ok: true; elevation: Elevation } | { ok: false; reason: string }>;
  /** Ends the session's elevation (audited `elevation.end`); undefined when none was active. */
  endElevation(sessionKey: string, by: string, reason?: string): Promise<Elevation | undefined>;
  /** The session's elevation while active (an expired one is ended on read), else undefined. */
  elevation(sessionKey: string): Promise<Elevation | undefined>;
}
