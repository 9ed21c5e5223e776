// Pure parsing of an authenticated webhook body into the value templates read: JSON (`application/json` or `+json`),
// or a form-encoded `payload=<json>` as GitHub sends with content type `application/x-www-form-urlencoded`.

export type ParsedHookBody = { ok: true; body: unknown } | { ok: false; status: 400 | 415; message: string };

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;

/** An empty body is `{}` whatever its type (a bare trigger). Contract: never throws. */
export function parseHookBody(bytes: Uint8Array, contentType: string | null): ParsedHookBody {
  if (bytes.byteLength === 0) return { ok: true, body: {} };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, status: 400, message: "body: not valid UTF-8. Fix: send JSON encoded as UTF-8" };
  }
  const type = contentType ?? "";
  if (FORM_TYPE.test(type)) {
    const payload = new URLSearchParams(text).get("payload");
    if (payload === null) return { ok: false, status: 400, message: "body: a form-encoded body needs a 'payload' field holding JSON (as GitHub sends). Fix: send JSON, or set the GitHub webhook's content type to application/json" };
    return parseJson(payload, "payload");
  }
  if (!JSON_TYPE.test(type)) {
    return { ok: false, status: 415, message: `Content-Type ${type ? `'${type.slice(0, 100)}'` : "missing"}: send the body as application/json (or form-encoded with a JSON 'payload' field)` };
  }
  return parseJson(text, "body");
}

function parseJson(text: string, field: string): ParsedHookBody {
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch (err) {
    const detail = err instanceof SyntaxError ? `: ${err.message.slice(0, 200)}` : "";
    return { ok: false, status: 400, message: `${field}: not valid JSON${detail}. Fix: send a JSON document` };
  }
}
