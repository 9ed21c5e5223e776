// Loopback fake of the Anthropic Messages API (POST /v1/messages, streaming and not) speaking the
// real wire format (event sequence, error envelope), for @ai-sdk/anthropic.
import { resolveUsage, sseFrame, splitEvenly, splitText, startScriptedServer } from "./model-script.ts";
import type {
  FakeModelServer,
  FakeServerOptions,
  ResolvedUsage,
  ScriptedErrorSpec,
  ScriptedSuccess,
  VendorSpec,
} from "./model-script.ts";

/** Real Anthropic error `type` for an HTTP status. */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

function defaultMessage(status: number): string {
  if (status === 429) return "Number of request tokens has exceeded your per-minute rate limit.";
  if (status === 529) return "Overloaded";
  if (status >= 500) return "Internal server error";
  return `Request failed with status ${status}`;
}

/**
 * Anthropic reports `input_tokens` EXCLUDING cache reads; the script's `input` is the total prompt,
 * so the SDK's inputTokens (input_tokens + cache_read + cache_creation) equals the scripted value.
 */
function usageBody(u: ResolvedUsage): Record<string, number> {
  return {
    input_tokens: Math.max(0, u.input - u.cached),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: u.cached,
    output_tokens: u.output,
  };
}

type Block = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

/** Default tool ids are unique per response (toolu_fake<N>_<i>). */
function blocksOf(reply: ScriptedSuccess, id: string): Block[] {
  const blocks: Block[] = [];
  if (reply.text) blocks.push({ type: "text", text: reply.text });
  (reply.toolCalls ?? []).forEach((c, i) =>
    blocks.push({ type: "tool_use", id: c.id ?? `toolu_${id.replace("msg_", "")}_${i + 1}`, name: c.name, input: c.args }),
  );
  return blocks;
}

const stopReasonOf = (reply: ScriptedSuccess): string => ((reply.toolCalls?.length ?? 0) > 0 ? "tool_use" : "end_turn");

function streamFrames(reply: ScriptedSuccess, body: any, id: string): string[] {
  const usage = usageBody(resolveUsage(reply));
  const ev = (type: string, data: Record<string, unknown>): string => sseFrame({ type, ...data }, type);
  const frames: string[] = [
    ev("message_start", {
      message: {
        id,
        type: "message",
        role: "assistant",
        model: String(body?.model ?? "fake"),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
    ev("ping", {}),
  ];
  blocksOf(reply, id).forEach((block, index) => {
    if (block.type === "text") {
      frames.push(ev("content_block_start", { index, content_block: { type: "text", text: "" } }));
      for (const text of splitText(block.text)) {
        frames.push(ev("content_block_delta", { index, delta: { type: "text_delta", text } }));
      }
    } else {
      frames.push(ev("content_block_start", { index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } }));
      for (const partial_json of ["", ...splitEvenly(JSON.stringify(block.input), 3)]) {
        frames.push(ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } }));
      }
    }
    frames.push(ev("content_block_stop", { index }));
  });
  frames.push(ev("message_delta", { delta: { stop_reason: stopReasonOf(reply), stop_sequence: null }, usage }));
  frames.push(ev("message_stop", {}));
  return frames;
}

function completion(reply: ScriptedSuccess, body: any, id: string): unknown {
  return {
    id,
    type: "message",
    role: "assistant",
    model: String(body?.model ?? "fake"),
    content: blocksOf(reply, id),
    stop_reason: stopReasonOf(reply),
    stop_sequence: null,
    usage: usageBody(resolveUsage(reply)),
  };
}

export const anthropicSpec: VendorSpec = {
  modelPath: "/v1/messages",
  idPrefix: "msg_",
  apiKeyOf: (headers) => headers["x-api-key"] ?? /^Bearer\s+(.+)$/i.exec(headers["authorization"] ?? "")?.[1],
  errorBody: (err: ScriptedErrorSpec) => ({
    type: "error",
    error: { type: err.type ?? anthropicErrorType(err.status), message: err.message ?? defaultMessage(err.status) },
    request_id: "req_fake",
  }),
  unauthorized: () => ({ status: 401, message: "invalid x-api-key" }),
  streamFrames,
  completion,
};

/** Start a fake Anthropic API; pass `server.baseURL` (…/v1) as the SDK's `baseURL`. */
export function startFakeAnthropic(opts: FakeServerOptions = {}): Promise<FakeModelServer> {
  return startScriptedServer(anthropicSpec, opts);
}
