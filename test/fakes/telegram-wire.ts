// Wire helpers of the fake Telegram Bot API: request parameters from query strings, JSON, urlencoded and
// multipart/form-data bodies (as grammY writes them), and the HTML parse-mode check Telegram applies.

export interface UploadedPart {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface ParsedParams {
  params: Record<string, unknown>;
  files: Record<string, UploadedPart>;
}

/** Object-valued parameters arrive JSON-encoded in query strings and form fields. */
function decodeField(value: string): unknown {
  const t = value.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

export function parseParams(url: URL, contentType: string, body: Buffer): ParsedParams {
  const params: Record<string, unknown> = {};
  const files: Record<string, UploadedPart> = {};
  for (const [k, v] of url.searchParams) params[k] = decodeField(v);
  const type = contentType.toLowerCase();
  if (body.length === 0) return { params, files };
  if (type.startsWith("application/json")) {
    const json = JSON.parse(body.toString("utf8")) as unknown;
    if (json && typeof json === "object" && !Array.isArray(json)) Object.assign(params, json);
  } else if (type.startsWith("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(body.toString("utf8"))) params[k] = decodeField(v);
  } else if (type.startsWith("multipart/form-data")) {
    const boundary = /boundary=("?)([^";]+)\1/i.exec(contentType)?.[2];
    if (!boundary) throw new Error("multipart body without boundary");
    for (const part of splitMultipart(body, boundary)) {
      if (part.filename !== undefined) files[part.name] = { filename: part.filename, contentType: part.contentType, bytes: part.bytes };
      else params[part.name] = decodeField(part.bytes.toString("utf8"));
    }
  }
  return { params, files };
}

interface RawPart {
  name: string;
  filename: string | undefined;
  contentType: string;
  bytes: Buffer;
}

/** A small multipart parser: grammY writes `content-disposition:form-data;name="x";filename=y` without spaces or
 * quotes around the filename, which undici's FormData parser refuses. */
function splitMultipart(body: Buffer, boundary: string): RawPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: RawPart[] = [];
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    let start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    if (body.subarray(start, start + 2).toString() === "\r\n") start += 2;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    let end = next;
    if (body.subarray(end - 2, end).toString() === "\r\n") end -= 2;
    const part = body.subarray(start, end);
    const headerEnd = part.indexOf("\r\n\r\n");
    const head = part.subarray(0, headerEnd === -1 ? 0 : headerEnd).toString("utf8");
    const bytes = headerEnd === -1 ? Buffer.alloc(0) : part.subarray(headerEnd + 4);
    const headers = new Map<string, string>();
    for (const line of head.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const disposition = headers.get("content-disposition") ?? "";
    const name = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1] ?? "";
    const filename = /;\s*filename=(?:"([^"]*)"|([^;]*))/i.exec(disposition);
    parts.push({
      name,
      filename: filename ? (filename[1] ?? filename[2] ?? "").trim() : undefined,
      contentType: headers.get("content-type") ?? "application/octet-stream",
      bytes: Buffer.from(bytes),
    });
    pos = next;
  }
  return parts;
}

/** Tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style). */
const HTML_TAGS = new Set(["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji"]);
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/** The visible text of a message in HTML parse mode, or the "can't parse entities" reason Telegram gives. */
export function parseTelegramHtml(html: string): { ok: true; text: string } | { ok: false; reason: string } {
  const stack: string[] = [];
  let text = "";
  let i = 0;
  const offset = (at: number): number => Buffer.byteLength(html.slice(0, at));
  while (i < html.length) {
    const ch = html[i];
    if (ch === "<") {
      const tag = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>/.exec(html.slice(i));
      if (!tag) return { ok: false, reason: `Unsupported start tag "" at byte offset ${offset(i)}` };
      const [whole, slash, rawName] = tag;
      const name = (rawName ?? "").toLowerCase();
      if (!HTML_TAGS.has(name)) return { ok: false, reason: `Unsupported start tag "${name}" at byte offset ${offset(i)}` };
      if (slash) {
        const open = stack.pop();
        if (open !== name) {
          return { ok: false, reason: `Unmatched end tag at byte offset ${offset(i)}, expected "</${open ?? ""}>", found "</${name}>"` };
        }
      } else stack.push(name);
      i += whole.length;
      continue;
    }
    if (ch === "&") {
      const ref = /^&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/i.exec(html.slice(i));
      if (ref) {
        const body = ref[1] ?? "";
        const decoded = body.startsWith("#")
          ? String.fromCodePoint(body[1] === "x" || body[1] === "X" ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1)))
          : ENTITIES[body.toLowerCase()];
        if (decoded !== undefined) {
          text += decoded;
          i += ref[0].length;
          continue;
        }
      }
    }
    text += ch;
    i += 1;
  }
  const open = stack.pop();
  if (open !== undefined) return { ok: false, reason: `Can't find end tag corresponding to start tag "${open}"` };
  return { ok: true, text };
}
