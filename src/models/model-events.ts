// The model layer's request and event types: what a caller sends to the router and what it streams back.
// Types only; behaviour is in model-router.ts and model-attempt.ts.
import type { ModelMessage } from "ai";
import type { Usage } from "../core/domain.ts";
import type { ProviderErrorCode } from "../core/errors.ts";
import type { ReplyRoute } from "../core/inbound.ts";

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  parameters: object;
}

export interface ModelRequest {
  /** Tier name or `provider/model`. */
  ref: string;
  system: string;
  messages: ModelMessage[];
  tools: ToolSpec[];
  signal: AbortSignal;
  /** Who pays for the call: the budgets matching it are checked before any byte goes to a provider. */
  budget?: BudgetPayer;
}

/** The payer of a model call, as budgets match it (`instance` budgets match every call). */
export interface BudgetPayer {
  runId?: string;
  sessionKey?: string;
  agentId?: string;
  /** `<channel>:<senderId>` of the run's origin (a sub-agent's: its parent's), for `sender:` budgets. */
  sender?: string;
  /** Where a budget notice for this payer goes (the chat the run answers, or its parent's). */
  origin?: ReplyRoute;
}

export interface ToolCallRequest {
  id: string;
  name: string;
  /** Parsed JSON arguments (the raw string when the model sent invalid JSON). */
  args: unknown;
}

/**
 * One event of a model turn. Contract: a stream ends with exactly one `done` or `failed`; `attempt_failed`
 * (zero or more) reports each failover; all `text_delta`s come from one attempt, the last one.
 */
export type ModelEvent =
  | { type: "text_delta"; text: string }
  | { type: "attempt_failed"; provider: string; model: string; code: ProviderErrorCode; message: string }
  | {
      type: "done";
      provider: string;
      model: string;
      finishReason: string;
      toolCalls: ToolCallRequest[];
      text: string;
      responseMessages: ModelMessage[];
      /** Tokens of this attempt, with costUsd from the price table (0 when unpriced). */
      usage: Usage;
    }
  | { type: "failed"; code: ProviderErrorCode; message: string };
