// Shared types and the node:http core for the loopback model-API fakes: request recording,
// auth, the FIFO reply script, delays/hangs and SSE writing. Vendor files supply the wire shapes.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type ScriptedToolCall = { name: string; args: Record<string, unknown>; id?: string };
export type ScriptedUsage = { input?: number; output?: number; cached?: number };
export type ScriptedSuccess = {
  text?: string;
  toolCalls?: ScriptedToolCall[];
  usage?: ScriptedUsage;
  delayMs?: number;
  chunkDelayMs?: number;
};
export type ScriptedErrorSpec = { status: number; message?: string; retryAfterSec?: number; type?: string };
export type ScriptedError = { error: ScriptedErrorSpec; delayMs?: number };
export type ScriptedHang = { hang: true };
export type ScriptedReply = ScriptedSuccess | ScriptedError | ScriptedHang;
export type RecordedRequest = { path: string; headers: Record<string, string>; body: any; apiKey: string | undefined };
export type Responder = (req: RecordedRequest) => ScriptedReply;

export interface FakeModelServer {
  /** e.g. http://127.0.0.1:PORT/v1 — the value to pass as the SDK's baseURL */
  baseURL: string;
  url: string; // http://127.0.0.1:PORT
  requests: RecordedRequest[]; // every request received, in order
  /** queue replies consumed one per request, FIFO; when the queue is empty the fallback responder is used */
  enqueue(...replies: ScriptedReply[]): void;
  setFallback(r: Responder): void; // default fallback: reply with text "ok"
  close(): Promise<void>;
}

export type FakeServerOptions = { port?: number; apiKeys?: string[]; fallback?: Responder };

/** Token counts with defaults applied. `input` is the TOTAL prompt size (cached tokens included). */
export type ResolvedUsage = { input: number; output: number; cached: number };

/** What a vendor module plugs into the shared server core. */
export type VendorSpec = {
  /** POST path of the model endpoint, e.g. "/v1/chat/completions" */
  modelPath: string;
  apiKeyOf(headers: Record<string, string>): string | undefined;
  /** The vendor's error envelope for a scripted (or built-in) error. */
  errorBody(err: ScriptedErrorSpec): unknown;
  /** The vendor's real 401 for a missing/unknown key. */
  unauthorized(apiKey: string | undefined): ScriptedErrorSpec;
  /** Complete SSE frames (already formatted) for a streaming reply. */
  streamFrames(reply: ScriptedSuccess, body: any, id: string): string[];
  /** JSON body for a non-streaming reply. */
  completion(reply: ScriptedSuccess, body: any, id: string): unknown;
  /** Extra JSON routes keyed by "METHOD /path" (e.g. "GET /v1/models"). */
  routes?: Record<string, (body: any) => unknown>;
  /** Prefix for generated response ids, e.g. "chatcmpl-" or "msg_". */
  idPrefix: string;
};

export const DEFAULT_USAGE: ResolvedUsage = { input: 10, output: 5, cached: 0 };

export function resolveUsage(reply: ScriptedSuccess): ResolvedUsage {
  const u = reply.usage ?? {};
  return { input: u.input ?? DEFAULT_USAGE.input, output: u.output ?? DEFAULT_USAGE.output, cached: u.cached ?? 0 };
}

/** Split text into word-ish deltas that keep their leading whitespace: "a b c" → ["a", " b", " c"]. */
export function splitText(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/** Split a string into up to `n` non-empty pieces of roughly equal length. */
export function splitEvenly(s: string, n: number): string[] {
  if (s.length === 0) return [];
  const size = Math.max(1, Math.ceil(s.length / n));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** One SSE frame; `event:` line only when given (OpenAI omits it, Anthropic uses it). */
export function sseFrame(data: unknown, event?: string): string {
  const payload = typeof data === "string" ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ""}data: ${payload}\n\n`;
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Resolves after `ms`, or early when `signal` aborts (never rejects). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...extra });
  res.end(text);
}

function sendError(res: ServerResponse, spec: VendorSpec, err: ScriptedErrorSpec): void {
  const extra: Record<string, string> = {};
  if (err.retryAfterSec !== undefined) extra["retry-after"] = String(err.retryAfterSec);
  sendJson(res, err.status, spec.errorBody(err), extra);
}

/** Start a fake vendor API on 127.0.0.1 driven by the reply script. */
export async function startScriptedServer(spec: VendorSpec, opts: FakeServerOptions = {}): Promise<FakeModelServer> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedReply[] = [];
  let fallback: Responder = opts.fallback ?? (() => ({ text: "ok" }));
  let seq = 0;
  const shutdown = new AbortController();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const headers = flattenHeaders(req);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const recorded: RecordedRequest = { path, headers, body, apiKey: spec.apiKeyOf(headers) };
    requests.push(recorded);

    if (opts.apiKeys && (recorded.apiKey === undefined || !opts.apiKeys.includes(recorded.apiKey))) {
      return sendError(res, spec, spec.unauthorized(recorded.apiKey));
    }
    const route = spec.routes?.[`${req.method ?? "GET"} ${path}`];
    if (route) return sendJson(res, 200, route(body));
    if (req.method !== "POST" || path !== spec.modelPath) {
      return sendError(res, spec, { status: 404, message: `No route for ${req.method} ${path}` });
    }

    const reply = queue.shift() ?? fallback(recorded);
    if ("hang" in reply) return; // never answered; the socket is destroyed by close()

    // Abort pending delays when the client goes away or the server shuts down.
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    const signal = AbortSignal.any([gone.signal, shutdown.signal]);
    await sleep(reply.delayMs ?? 0, signal);
    if (signal.aborted) return;
    if ("error" in reply) return sendError(res, spec, reply.error);

    const id = `${spec.idPrefix}fake${++seq}`;
    if (body?.stream !== true) return sendJson(res, 200, spec.completion(reply, body, id));

    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    res.flushHeaders();
    const frames = spec.streamFrames(reply, body, id);
    for (let i = 0; i < frames.length; i++) {
      if (i > 0) await sleep(reply.chunkDelayMs ?? 0, signal);
      if (signal.aborted || res.destroyed) return;
      res.write(frames[i]);
    }
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) sendError(res, spec, { status: 500, message: `fake server failure: ${message}` });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    baseURL: `${url}/v1`,
    requests,
    enqueue: (...replies) => void queue.push(...replies),
    setFallback: (r) => void (fallback = r),
    close: () =>
      new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
