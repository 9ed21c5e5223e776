// The edge of the JSON API under /api/v1: query strings and JSON bodies parsed with zod (a problem is a 400 naming the
// parameter or field), bodies read through the capped reader, and the error answers every route shares.
import type { Context } from "hono";
import type { SSEStreamingApi } from "hono/streaming";
import { z } from "zod";
import { readRequestBody } from "../core/capped-body.ts";
import { formatPath } from "./openai-compat.ts";

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

/** Largest JSON body the API routes read (a config file is the biggest thing sent). */
export const API_BODY_MAX_BYTES = 256 * 1024;

const LIMIT_MESSAGE = "must be an integer from 1 to 500";
/** `limit`: 1–500. */
export const limitParam = z.coerce.number({ error: LIMIT_MESSAGE }).int(LIMIT_MESSAGE).min(1, LIMIT_MESSAGE).max(500, LIMIT_MESSAGE);
/** A non-empty filter value of at most 512 characters. */
export const textParam = z.string().min(1, "must not be empty").max(512, "must be at most 512 characters");

const TIME_MESSAGE = "must be epoch milliseconds or an ISO 8601 date/time";
/** A point in time: epoch milliseconds (`1767225600000`) or an ISO 8601 date/time (`2026-01-01T00:00:00Z`) → epoch ms. */
export const timeParam = z.string().max(64, TIME_MESSAGE).transform((text, ctx) => {
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: TIME_MESSAGE });
    return z.NEVER;
  }
  return ms;
});

/** Validates the query string; a problem becomes a 400 naming the parameter. A repeated parameter counts once (the first). */
export function parseQuery<T>(c: Context, schema: z.ZodType<T>): Parsed<T> {
  const parsed = schema.safeParse(c.req.query());
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, response: invalid(c, parsed.error) };
}

/**
 * Reads a JSON body of at most `maxBytes` and validates it. Not sent as `application/json` → 415 (a browser form on
 * another site cannot send that without the gateway's consent, whatever credentials a browser attaches); too big →
 * 413 (nothing more is read); not JSON, or not matching the schema → 400 naming the field (`yaml`, `baseHash`, …).
 */
export async function parseJsonBody<T>(c: Context, schema: z.ZodType<T>, maxBytes = API_BODY_MAX_BYTES): Promise<Parsed<T>> {
  if (!/^application\/json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) {
    return { ok: false, response: c.json({ error: { type: "unsupported_media_type", message: "send the body as JSON with 'Content-Type: application/json'" } }, 415) };
  }
  const body = await readRequestBody(c.req.raw, { maxBytes });
  if (!body.ok) return body;
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder().decode(body.bytes));
  } catch {
    return { ok: false, response: c.json({ error: { type: "invalid_request", message: "body: not valid JSON. Fix: send a JSON object", param: "body" } }, 400) };
  }
  const parsed = schema.safeParse(data, { error: (iss) => (iss.code === "invalid_type" && iss.input === undefined ? "is required" : undefined) });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, response: invalid(c, parsed.error, "field") };
}

/** A 400 naming the query parameter (the path's first key) or the body field (its whole path). */
function invalid(c: Context, error: z.ZodError, what: "param" | "field" = "param"): Response {
  const issue = error.issues[0];
  const path = issue?.path ?? [];
  const param = formatPath(what === "param" ? path.slice(0, 1) : path) || "body";
  const detail = issue?.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : (issue?.message ?? "invalid value");
  return c.json({ error: { type: "invalid_request", message: `${param}: ${detail}`, param } }, 400);
}

export const notFound = (c: Context, what: string): Response => c.json({ error: { type: "not_found", message: `${what} not found` } }, 404);

/** Between two comments on an idle server-sent event stream, so proxies and clients do not take it for dead. */
const SSE_HEARTBEAT_MS = 15_000;

/**
 * Holds a server-sent event stream open until the client goes: sends the `ready` event with `ready` as its data, then a
 * keep-alive comment every 15 s; `unsubscribe` runs once the client has gone.
 */
export async function holdEventStream(stream: SSEStreamingApi, ready: string, unsubscribe: () => void): Promise<void> {
  const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
  await stream.writeSSE({ event: "ready", data: ready });
  const beat = setInterval(() => void stream.write(": keep-alive\n\n").catch(() => undefined), SSE_HEARTBEAT_MS);
  try {
    await closed;
  } finally {
    clearInterval(beat);
    unsubscribe();
  }
}
