// OpenAI-compatible routes: POST /v1/chat/completions (JSON or SSE) and GET /v1/models, on top of the dispatcher.
// Authentication and rate limiting happen before these routes; wire shapes live in openai-compat.ts.
import { Hono } from "hono";
import type { Context } from "hono";
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import { readRequestBody } from "../core/capped-body.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { redactSecrets } from "../config/redact.ts";
import type { GatewayContext } from "./gateway-context.ts";
import {
  MODEL_PREFIX, agentIdOfModel, lastUserText, openAIError, parseChatRequest, toChatCompletion, toChunk, toRunError, toUsageChunk,
} from "./openai-compat.ts";
import type { ChatRequest } from "./openai-compat.ts";
import { completeOutcome, sendFollowing } from "./turn-follower.ts";
import type { TurnRequest } from "../routing/dispatcher.ts";
import { hasOwnEntry } from "../core/own-entry.ts";

export const SESSION_HEADER = "x-pincer-session";
const CHANNEL = "openai";

export interface OpenAIRoutesOptions {
  ctx: GatewayContext;
  /** epoch ms */
  now: () => number;
}

/** `default` when configured, else the first agent in the config. */
export function defaultAgentId(config: PincerConfig): string {
  return hasOwnEntry(config.agents, "default") ? "default" : (Object.keys(config.agents)[0] ?? "default");
}

const badRequest = (c: Context, param: string, message: string) =>
  c.json(openAIError({ message, type: "invalid_request_error", param }), 400);

export function createOpenAIRoutes(opts: OpenAIRoutesOptions): Hono {
  const { ctx, now } = opts;
  const routes = new Hono();
  const agentIds = (): string[] => Object.keys(ctx.config.agents);
  const startedAt = Math.floor(now() / 1000);

  routes.get("/models", (c) => {
    const ids = [MODEL_PREFIX, ...agentIds().map((id) => `${MODEL_PREFIX}/${id}`)];
    return c.json({ object: "list", data: ids.map((id) => ({ id, object: "model", created: startedAt, owned_by: "pincer" })) });
  });

  routes.post("/chat/completions", async (c) => {
    const read = await readRequestBody(c.req.raw, { maxBytes: ctx.config.gateway.max_body_bytes, setting: "gateway.max_body_bytes" });
    if (!read.ok) return read.response;
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(read.bytes));
    } catch {
      return badRequest(c, "body", "body: not valid JSON. Fix: send a JSON object with Content-Type: application/json");
    }
    const parsed = parseChatRequest(body);
    if (!parsed.ok) return badRequest(c, parsed.field, parsed.message);
    const request = parsed.request;

    const agentId = agentIdOfModel(request.model, defaultAgentId(ctx.config));
    if (agentId === undefined || !hasOwnEntry(ctx.config.agents, agentId)) {
      const known = [MODEL_PREFIX, ...agentIds().map((id) => `${MODEL_PREFIX}/${id}`)].join(", ");
      const message = `The model '${request.model}' does not exist. Use one of: ${known}`;
      return c.json(openAIError({ message, type: "invalid_request_error", param: "model", code: "model_not_found" }), 404);
    }
    // The session keeps the conversation server-side, so only the newest user message is this turn's input;
    // earlier messages in the request (which clients resend every time) are ignored rather than duplicated.
    const text = lastUserText(request);
    if (text === undefined || text.trim() === "") return badRequest(c, "messages", "messages: must contain a user message with text");

    const headerKey = c.req.header(SESSION_HEADER)?.trim();
    if (headerKey !== undefined && !/^[^\s\p{Cc}]{1,256}$/u.test(headerKey)) {
      return badRequest(c, SESSION_HEADER, `${SESSION_HEADER}: must be 1-256 characters without spaces or control characters`);
    }
    const sessionKey = headerKey || `agent:${agentId}:${CHANNEL}:dm:${request.user ?? "default"}`;
    const session = await ctx.store.sessions.get(sessionKey);
    if (session && session.agentId !== agentId) {
      return badRequest(c, SESSION_HEADER, `${SESSION_HEADER}: session '${sessionKey}' belongs to agent '${session.agentId}'. Fix: use model '${MODEL_PREFIX}/${session.agentId}'`);
    }
    try {
      await ctx.models.preflight(session?.modelOverride ?? ctx.agentConfig(agentId).model);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const message = redactSecrets(err instanceof Error ? err.message : String(err));
      return c.json(openAIError({ message, type: "service_unavailable", code: typeof code === "string" ? code : "config" }), 503);
    }

    const turn = { agentId, sessionKey, channel: CHANNEL, text, trigger: "api" as const, ...(session ? { session } : {}) };
    const meta = { model: request.model, created: Math.floor(now() / 1000) };
    if (request.stream) return streamCompletion(c, { ctx, turn, meta, request });
    const submit = await ctx.dispatcher.send(turn);
    const outcome = await completeOutcome(submit.result);
    if (outcome.status !== "succeeded") {
      const failure = toRunError(outcome);
      return c.json(failure.body, failure.status);
    }
    return c.json(toChatCompletion(outcome, meta));
  });
  return routes;
}

interface StreamInput {
  ctx: GatewayContext;
  turn: TurnRequest;
  meta: { model: string; created: number };
  request: ChatRequest;
}

/** SSE `chat.completion.chunk`s of the answering run, a finishing chunk, an optional usage chunk, then `[DONE]`. */
async function streamCompletion(c: Context, input: StreamInput): Promise<Response> {
  const { ctx, turn, meta, request } = input;
  let sink: SSEStreamingApi | undefined;
  const early: string[] = [];
  let chain = Promise.resolve();
  // Writes stay in order: deltas arrive synchronously from run events, each SSE write is async.
  const emit = (data: string): void => {
    if (!sink) return void early.push(data);
    const out = sink;
    chain = chain.then(() => out.writeSSE({ data }));
  };
  let id: string | undefined;
  const followed = await sendFollowing(ctx.dispatcher, turn, (text, runId) => {
    const opening = id === undefined;
    id ??= `chatcmpl-${runId}`;
    emit(JSON.stringify(toChunk({ ...meta, id }, opening ? { role: "assistant", content: text } : { content: text })));
  });

  return streamSSE(c, async (stream) => {
    sink = stream;
    for (const data of early.splice(0)) emit(data);
    try {
      // A client that disconnects stops listening only; the run goes on and is recorded.
      const gone = new Promise<undefined>((resolve) => stream.onAbort(() => resolve(undefined)));
      const outcome = await Promise.race([followed.result, gone]);
      if (outcome === undefined) return;
      id ??= `chatcmpl-${outcome.runId}`;
      if (outcome.status === "succeeded") {
        emit(JSON.stringify(toChunk({ ...meta, id }, {}, "stop")));
        if (request.stream_options?.include_usage) emit(JSON.stringify(toUsageChunk({ ...meta, id }, outcome.usage)));
      } else {
        emit(JSON.stringify(toRunError(outcome).body));
      }
    } catch (err) {
      ctx.log.error({ err }, "chat completion stream failed");
      emit(JSON.stringify(openAIError({ message: "internal error; the gateway log has the details", type: "server_error", code: "internal" })));
    } finally {
      followed.detach();
    }
    emit("[DONE]");
    await chain;
  });
}
