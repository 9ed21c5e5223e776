// Reads a JSON request body for the /api/v1 routes: capped (core/capped-body.ts), parsed, then validated with zod.
// Every failure is a ready 4xx naming the field, in the API's error shape; it never throws.
import type { z } from "zod";
import { readRequestBody, type BodyLimit } from "../core/capped-body.ts";
import { formatPath } from "./openai-compat.ts";

export type JsonBody<T> = { ok: true; value: T } | { ok: false; response: Response };

const invalid = (param: string, message: string): Response =>
  Response.json({ error: { type: "invalid_request", message, param } }, { status: 400 });

/** The body as `schema` wants it, or a 400 (`<field>: <problem>`) / 413 (over `limit`). */
export async function readJsonBody<T>(req: Request, schema: z.ZodType<T>, limit: BodyLimit): Promise<JsonBody<T>> {
  const read = await readRequestBody(req, limit);
  if (!read.ok) return read;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(read.bytes));
  } catch {
    return { ok: false, response: invalid("body", "body: not valid JSON. Fix: send a JSON object with Content-Type: application/json") };
  }
  const parsed = schema.safeParse(body, { error: (iss) => (iss.code === "invalid_type" && iss.input === undefined ? "is required" : undefined) });
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const param = formatPath(issue?.path ?? []);
  return { ok: false, response: invalid(param, `${param}: ${issue?.message ?? "invalid value"}`) };
}
