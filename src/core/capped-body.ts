// Reads HTTP bodies with a byte cap: the one reader for request bodies at every edge (gateway routes, channel
// webhooks) and for downloads (media). It stops reading at the cap and never holds more than the cap; parsing and
// authentication are the caller's.

/** The body's bytes, or undefined as soon as they pass `maxBytes` (the rest is not read; the stream is cancelled). */
export async function readCapped(source: { body: ReadableStream<Uint8Array> | null }, maxBytes: number): Promise<Uint8Array | undefined> {
  if (!source.body) return new Uint8Array(0);
  const reader = source.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export interface BodyLimit {
  maxBytes: number;
  /** The config key that sets the limit, named in the refusal (`gateway.max_body_bytes`); unset for fixed limits. */
  setting?: string;
}

export type RequestBody = { ok: true; bytes: Uint8Array } | { ok: false; response: Response };

/**
 * Reads a request body of at most `limit.maxBytes`. A `Content-Length` over the cap is refused before anything is read;
 * a body without one (chunked) is read until it passes the cap, and no further.
 * Contract: never throws. The refusal is a ready 413 (`payload_too_large`, naming the limit) carrying
 * `Connection: close`, so the HTTP server closes the connection once the answer is out instead of draining the rest;
 * a connection that breaks mid-body gets a 400.
 */
export async function readRequestBody(req: Request, limit: BodyLimit): Promise<RequestBody> {
  const announced = Number(req.headers.get("content-length") ?? Number.NaN);
  if (announced > limit.maxBytes) return { ok: false, response: payloadTooLarge(limit) };
  try {
    const bytes = await readCapped(req, limit.maxBytes);
    return bytes ? { ok: true, bytes } : { ok: false, response: payloadTooLarge(limit) };
  } catch {
    return { ok: false, response: bodyError(400, "bad_request", "the request body could not be read (connection closed mid-body?)") };
  }
}

/** 413 with a JSON error naming the limit (and the key that raises it), and `Connection: close`. */
export function payloadTooLarge(limit: BodyLimit): Response {
  const raise = limit.setting ? `. Fix: send a smaller body, or raise ${limit.setting}` : "";
  const message = `request body too large: this endpoint accepts at most ${formatBytes(limit.maxBytes)} (${limit.maxBytes} bytes)${raise}`;
  return bodyError(413, "payload_too_large", message);
}

function bodyError(status: number, type: string, message: string): Response {
  return Response.json({ error: { type, message } }, { status, headers: { connection: "close" } });
}

function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${+(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${+(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} bytes`;
}
