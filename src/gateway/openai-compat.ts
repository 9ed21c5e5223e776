// The OpenAI Chat Completions wire format for the gateway: request schema, model ids, and RunOutcome → response objects.
// Pure mapping only; sending the turn and streaming live in the HTTP routes.
import { z } from "zod";
import type { Usage } from "../core/domain.ts";
import type { RunOutcome } from "../agent/run-agent.ts";

export const MODEL_PREFIX = "pincer";

const textPart = z.looseObject({ type: z.literal("text"), text: z.string() });
const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  // Assistant messages that only carry tool calls have `content: null` in the wild.
  content: z.union([z.string(), z.array(textPart), z.null()]),
});

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  user: z.string().min(1).max(256).optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;

export interface OpenAIError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function openAIError(opts: { message: string; type: string; param?: string; code?: string }): OpenAIError {
  return { error: { message: opts.message, type: opts.type, param: opts.param ?? null, code: opts.code ?? null } };
}

/** `messages[0].content` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `${out ? "." : ""}${String(part)}`;
  return out || "body";
}

/** Parses a chat request; a problem becomes `{ field, message: "<field path>: <problem>" }` naming the first bad field. */
export function parseChatRequest(body: unknown): { ok: true; request: ChatRequest } | { ok: false; field: string; message: string } {
  const parsed = chatRequestSchema.safeParse(body, {
    error: (iss) => (iss.code === "invalid_type" && iss.input === undefined ? "is required" : undefined),
  });
  if (parsed.success) return { ok: true, request: parsed.data };
  const issue = parsed.error.issues[0];
  const field = formatPath(issue?.path ?? []);
  return { ok: false, field, message: `${field}: ${issue?.message ?? "invalid request body"}` };
}

/** `pincer` → the default agent, `pincer/<agentId>` → that agent; anything else is not a Pincer model. */
export function agentIdOfModel(model: string, defaultAgentId: string): string | undefined {
  if (model === MODEL_PREFIX) return defaultAgentId;
  if (!model.startsWith(`${MODEL_PREFIX}/`)) return undefined;
  const agentId = model.slice(MODEL_PREFIX.length + 1);
  return agentId.length > 0 ? agentId : undefined;
}

/** The text of the last `user` message; text parts are joined with newlines. Undefined when there is none. */
export function lastUserText(request: ChatRequest): string | undefined {
  const last = request.messages.findLast((m) => m.role === "user");
  if (!last) return undefined;
  if (typeof last.content === "string") return last.content;
  return (last.content ?? []).map((p) => p.text).join("\n");
}

export function toOpenAIUsage(usage: Usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
  };
}

interface ResponseMeta {
  model: string;
  /** epoch seconds */
  created: number;
}

export function toChatCompletion(outcome: RunOutcome, meta: ResponseMeta) {
  return {
    id: `chatcmpl-${outcome.runId}`,
    object: "chat.completion" as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message: { role: "assistant" as const, content: outcome.reply }, logprobs: null, finish_reason: "stop" }],
    usage: toOpenAIUsage(outcome.usage),
  };
}

/** One `chat.completion.chunk`: a text delta, a role opener, or the finishing chunk (`finish`). */
export function toChunk(meta: ResponseMeta & { id: string }, delta: { role?: "assistant"; content?: string }, finish: string | null = null) {
  return {
    id: meta.id,
    object: "chat.completion.chunk" as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

/** The trailing usage chunk sent when `stream_options.include_usage` is set (empty choices, as OpenAI does). */
export function toUsageChunk(meta: ResponseMeta & { id: string }, usage: Usage) {
  return { id: meta.id, object: "chat.completion.chunk" as const, created: meta.created, model: meta.model, choices: [], usage: toOpenAIUsage(usage) };
}

const PROVIDER_CODES = new Set(["rate_limited", "server_error", "timeout", "auth_failed", "bad_request", "network", "unknown_provider"]);

/** HTTP status and OpenAI error for a run that did not succeed: 503 missing credential, 502 provider failure, 409 cancelled,
 * 429 `insufficient_quota` for a spent budget (OpenAI's own answer to a spent quota), else 500. */
export function toRunError(outcome: Pick<RunOutcome, "status" | "errorCode" | "error">): { status: 409 | 429 | 500 | 502 | 503; body: OpenAIError } {
  const code = outcome.errorCode ?? (outcome.status === "failed" ? "internal" : outcome.status);
  if (outcome.status === "cancelled" || outcome.status === "interrupted") {
    const message = `the run was ${outcome.status} (by /stop, a newer message with queue mode interrupt, or a restart)`;
    return { status: 409, body: openAIError({ message, type: "run_cancelled", code }) };
  }
  const message = outcome.error ?? "the run failed without an error message";
  if (code === "budget_exceeded") return { status: 429, body: openAIError({ message, type: "insufficient_quota", code }) };
  if (code === "missing_credential") return { status: 503, body: openAIError({ message, type: "service_unavailable", code }) };
  if (PROVIDER_CODES.has(code)) return { status: 502, body: openAIError({ message, type: "upstream_error", code }) };
  return { status: 500, body: openAIError({ message, type: "server_error", code }) };
}
