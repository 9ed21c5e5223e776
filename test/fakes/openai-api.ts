// Loopback fake of the OpenAI Chat Completions API (POST /v1/chat/completions, streaming and not,
// GET /v1/models) speaking the real wire format, for @ai-sdk/openai and @ai-sdk/openai-compatible.
// `startCannedOpenAI` is the benchmarks' variant: one precomputed answer, no script, no recording.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolveUsage, sseFrame, splitEvenly, splitText, startScriptedServer } from "./model-script.ts";
import type {
  FakeModelServer,
  FakeServerOptions,
  ResolvedUsage,
  ScriptedErrorSpec,
  ScriptedSuccess,
  ScriptedUsage,
  VendorSpec,
} from "./model-script.ts";

export const FAKE_OPENAI_MODELS = ["gpt-4o-mini", "gpt-4.1"];

const now = (): number => Math.floor(Date.now() / 1000);

function usageBody(u: ResolvedUsage): Record<string, unknown> {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Default ids are unique per response (call_fake<N>_<i>) so multi-turn agent loops never see duplicates. */
function toolCallsOf(reply: ScriptedSuccess, id: string): { id: string; name: string; args: string }[] {
  return (reply.toolCalls ?? []).map((c, i) => ({ id: c.id ?? `call_${id.replace("chatcmpl-", "")}_${i + 1}`, name: c.name, args: JSON.stringify(c.args) }));
}

const finishReasonOf = (reply: ScriptedSuccess): string => ((reply.toolCalls?.length ?? 0) > 0 ? "tool_calls" : "stop");

/** Real OpenAI error `type`/`code` for a status when the script does not name one. */
function errorKind(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: "invalid_request_error", code: "invalid_api_key" };
  if (status === 403) return { type: "invalid_request_error", code: "unsupported_country_region_territory" };
  if (status === 404) return { type: "invalid_request_error", code: "model_not_found" };
  if (status === 429) return { type: "requests", code: "rate_limit_exceeded" };
  if (status >= 500) return { type: "server_error", code: null };
  return { type: "invalid_request_error", code: null };
}

function defaultMessage(status: number): string {
  if (status === 429) return "Rate limit reached for requests. Please try again later.";
  if (status >= 500) return "The server had an error while processing your request. Sorry about that!";
  return `Request failed with status ${status}`;
}

function streamFrames(reply: ScriptedSuccess, body: any, id: string): string[] {
  const base = { id, object: "chat.completion.chunk", created: now(), model: String(body?.model ?? "fake"), system_fingerprint: "fp_fake" };
  const includeUsage = body?.stream_options?.include_usage === true;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
    sseFrame({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    });

  const frames: string[] = [];
  let role: { role?: "assistant" } = { role: "assistant" };
  for (const piece of splitText(reply.text ?? "")) {
    frames.push(chunk({ ...role, content: piece }));
    role = {};
  }
  toolCallsOf(reply, id).forEach((call, index) => {
    frames.push(chunk({ ...role, tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }));
    role = {};
    for (const piece of splitEvenly(call.args, 3)) {
      frames.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  if (frames.length === 0) frames.push(chunk({ role: "assistant", content: "" }));

  const usage = usageBody(resolveUsage(reply));
  if (includeUsage) {
    frames.push(chunk({}, finishReasonOf(reply)));
    frames.push(sseFrame({ ...base, choices: [], usage }));
  } else {
    // Not what api.openai.com does, but common among compatible servers and harmless to the SDKs.
    frames.push(sseFrame({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReasonOf(reply) }], usage }));
  }
  frames.push(sseFrame("[DONE]"));
  return frames;
}

function completion(reply: ScriptedSuccess, body: any, id: string): unknown {
  const calls = toolCallsOf(reply, id);
  const text = reply.text ?? "";
  return {
    id,
    object: "chat.completion",
    created: now(),
    model: String(body?.model ?? "fake"),
    system_fingerprint: "fp_fake",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: text.length > 0 || calls.length === 0 ? text : null,
          refusal: null,
          ...(calls.length > 0
            ? { tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.args } })) }
            : {}),
        },
        logprobs: null,
        finish_reason: finishReasonOf(reply),
      },
    ],
    usage: usageBody(resolveUsage(reply)),
  };
}

export const openaiSpec: VendorSpec = {
  modelPath: "/v1/chat/completions",
  idPrefix: "chatcmpl-",
  apiKeyOf: (headers) => /^Bearer\s+(.+)$/i.exec(headers["authorization"] ?? "")?.[1],
  errorBody: (err: ScriptedErrorSpec) => {
    const kind = errorKind(err.status);
    return { error: { message: err.message ?? defaultMessage(err.status), type: err.type ?? kind.type, param: null, code: kind.code } };
  },
  unauthorized: (apiKey) => ({
    status: 401,
    message:
      apiKey === undefined
        ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        : `Incorrect API key provided: ${apiKey.slice(0, 3)}***${apiKey.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
  }),
  streamFrames,
  completion,
  routes: {
    "POST /v1/embeddings": (body: { model?: unknown; input?: unknown }) => {
      const input = Array.isArray(body?.input) ? body.input.map(String) : [String(body?.input ?? "")];
      const tokens = input.reduce((n: number, t: string) => n + (t.match(/\S+/g)?.length ?? 0), 0);
      return {
        object: "list",
        data: input.map((text: string, index: number) => ({ object: "embedding", index, embedding: fakeEmbedding(text) })),
        model: String(body?.model ?? ""),
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    },
    "GET /v1/models": () => ({
      object: "list",
      data: FAKE_OPENAI_MODELS.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "system" })),
    }),
  },
};

/** Dimensions of the fake embeddings. */
export const FAKE_EMBEDDING_DIMS = 256;

// A few words mapped to one concept, so vector search finds what shares no word with the query.
const CONCEPTS = new Map(Object.entries({
  car: "vehicle", automobile: "vehicle", vehicle: "vehicle", mechanic: "vehicle",
  doctor: "health", physician: "health", dentist: "health", appointment: "health",
  flight: "travel", airport: "travel", trip: "travel", vacation: "travel",
}));

/**
 * Deterministic embedding of a text: its words (lowercased, a plural `s` dropped, mapped through CONCEPTS) hashed into
 * FAKE_EMBEDDING_DIMS buckets, L2-normalised. Texts sharing words or concepts get a high cosine.
 */
export function fakeEmbedding(text: string): number[] {
  const v = Array.from({ length: FAKE_EMBEDDING_DIMS }, () => 0);
  for (const raw of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    const word = raw.length > 3 && raw.endsWith("s") ? raw.slice(0, -1) : raw;
    const key = CONCEPTS.get(word) ?? word;
    let h = 2166136261;
    for (const ch of key) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    v[h % FAKE_EMBEDDING_DIMS]! += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** Start a fake OpenAI API; pass `server.baseURL` as the SDK's `baseURL`. */
export function startFakeOpenAI(opts: FakeServerOptions = {}): Promise<FakeModelServer> {
  return startScriptedServer(openaiSpec, opts);
}

/** A canned fake: every chat completion gets the same reply, streamed or not as the request asks. */
export interface CannedOpenAIServer {
  /** e.g. http://127.0.0.1:PORT/v1 — the value to pass as the SDK's baseURL */
  baseURL: string;
  /** Chat completions answered so far. */
  answered(): number;
  close(): Promise<void>;
}

export type CannedOpenAIOptions = { text: string; usage?: ScriptedUsage; port?: number };

/**
 * Start a fake whose answers are bytes computed once at start: the SSE frames (with the usage chunk, as for
 * `stream_options.include_usage`) and the JSON completion. Per request it only drains the body, looks for
 * `"stream":true` in it and writes the bytes, so a benchmark driving it measures its client, not the fake.
 * Contract: accepts any API key and any request on POST /v1/chat/completions; everything else is a 404.
 */
export async function startCannedOpenAI(opts: CannedOpenAIOptions): Promise<CannedOpenAIServer> {
  const reply: ScriptedSuccess = { text: opts.text, ...(opts.usage ? { usage: opts.usage } : {}) };
  const request = { model: "gpt-4o-mini", stream: true, stream_options: { include_usage: true } };
  const streamed = Buffer.from(streamFrames(reply, request, "chatcmpl-canned").join(""));
  const plain = Buffer.from(JSON.stringify(completion(reply, request, "chatcmpl-canned")));
  const streamedHead = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "content-length": streamed.length };
  const plainHead = { "content-type": "application/json", "content-length": plain.length };
  const streamFlag = Buffer.from('"stream":true');
  let answered = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"no route","type":"invalid_request_error","param":null,"code":null}}');
        return;
      }
      answered++;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (body.includes(streamFlag)) res.writeHead(200, streamedHead).end(streamed);
      else res.writeHead(200, plainHead).end(plain);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    answered: () => answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
