// The web_fetch tool: GET one URL under policy.web — SSRF check on every redirect hop, time and size limits —
// and return HTML as readable Markdown, text and JSON as is. Each hop connects only to the addresses its check
// vetted (no second DNS lookup to rebind). Injected DNS lookup and TCP connect keep it testable.
import { z } from "zod";
import { ToolError } from "../../core/errors.ts";
import type { Tool, ToolContext, ToolResult } from "../tool.ts";
import { clipText, looksBinary, parseArgs } from "../tool-kit.ts";
import { renderHtmlAsMarkdown } from "./html-markdown.ts";
import { defaultLookup, describeOrigin, vetTarget, type LookupFn } from "./address-guard.ts";
import { connectPinned, pinnedGet, type ConnectFn } from "./pinned-request.ts";
import { wrapUntrusted } from "../untrusted-text.ts";

export interface WebFetchToolOptions {
  /** DNS resolution, once per hop; default dns.lookup with `all: true`. */
  lookup?: LookupFn;
  /** Opens the TCP connection to a vetted address; default net.connect. */
  connect?: ConnectFn;
  /** Clock of the trust label a fetched page leaves on the run, epoch ms. */
  now?: () => number;
}

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const HEADERS = {
  accept: "text/html,application/xhtml+xml,text/plain,application/json;q=0.9,*/*;q=0.5",
  "user-agent": "Pincer/0.1 (web_fetch)",
};

const fetchArgs = z.object({ url: z.string().min(1) });

/** Reads at most `maxBytes` of a body, then cancels the rest. */
async function readCapped(res: Response, maxBytes: number): Promise<{ bytes: Uint8Array; cut: boolean }> {
  if (!res.body) return { bytes: new Uint8Array(), cut: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), cut: false };
    if (size + value.length >= maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size));
      await reader.cancel().catch(() => {});
      return { bytes: Buffer.concat(chunks), cut: true };
    }
    chunks.push(value);
    size += value.length;
  }
}

function decode(bytes: Uint8Array, contentType: string): string {
  const charset = /charset=["']?([\w-]+)/i.exec(contentType)?.[1] ?? "utf-8";
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder("utf-8").decode(bytes); // unknown charset label
  }
}

type BodyKind = "html" | "text" | undefined;

function classifyBody(mime: string, bytes: Uint8Array): BodyKind {
  if (mime === "text/html" || mime === "application/xhtml+xml") return "html";
  if (mime.startsWith("text/") || /^application\/([\w.+-]+\+)?(json|xml|javascript|x-ndjson)$/.test(mime)) return "text";
  if (mime === "" && !looksBinary(bytes)) {
    const head = new TextDecoder().decode(bytes.subarray(0, 512)).trimStart().toLowerCase();
    return head.startsWith("<!doctype html") || head.startsWith("<html") ? "html" : "text";
  }
  return undefined;
}

/** Follows redirects by hand so each hop's host is checked before it is contacted. */
async function fetchChecked(start: URL, ctx: ToolContext, opts: Required<Pick<WebFetchToolOptions, "lookup" | "connect">>, signal: AbortSignal) {
  let url = start;
  for (let hop = 0; ; hop++) {
    const addresses = await vetTarget(url, { allowPrivate: ctx.policy.web.allow_private, lookup: opts.lookup });
    const res = await pinnedGet(url, { addresses, headers: HEADERS, signal, connect: opts.connect });
    const location = res.headers.get("location");
    if (!REDIRECT_STATUSES.has(res.status) || !location) return { res, url, redirects: hop };
    await res.body?.cancel().catch(() => {});
    if (hop >= MAX_REDIRECTS) throw new ToolError("fetch_failed", `web_fetch: more than ${MAX_REDIRECTS} redirects from ${describeOrigin(start)}`);
    url = new URL(location, url);
  }
}

/**
 * Creates the web_fetch tool.
 * Contract: connects only to addresses vetTarget returned for that very hop, so a DNS answer that changes
 * after the check is never used; stops after policy.web.timeout_ms and max_bytes.
 */
export function createWebFetchTool(opts: WebFetchToolOptions = {}): Tool {
  const deps = { lookup: opts.lookup ?? defaultLookup, connect: opts.connect ?? connectPinned };
  const now = opts.now ?? Date.now;
  return {
    name: "web_fetch",
    group: "web",
    description: "Fetch a URL; HTML comes back as Markdown.",
    parameters: { type: "object", properties: { url: { type: "string" } }, required: ["url"] },
    async execute(args, ctx): Promise<ToolResult> {
      const a = parseArgs("web_fetch", fetchArgs, args);
      let start: URL;
      try {
        start = new URL(a.url);
      } catch {
        throw new ToolError("invalid_args", `web_fetch: argument "url": not a valid absolute URL`);
      }
      const web = ctx.policy.web;
      const timeout = AbortSignal.timeout(web.timeout_ms);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      try {
        const { res, url, redirects } = await fetchChecked(start, ctx, deps, signal);
        if (!res.ok) {
          await res.body?.cancel().catch(() => {});
          throw new ToolError("fetch_failed", `web_fetch: ${describeOrigin(url)}${url.pathname} answered HTTP ${res.status} ${res.statusText}`.trim());
        }
        const contentType = res.headers.get("content-type") ?? "";
        const mime = (contentType.split(";")[0] ?? "").trim().toLowerCase();
        const { bytes, cut } = await readCapped(res, web.max_bytes);
        const kind = classifyBody(mime, bytes);
        if (!kind) throw new ToolError("fetch_failed", `web_fetch: unsupported content type ${mime}; only HTML, text and JSON are returned`);
        const raw = decode(bytes, contentType);
        let body = raw;
        let title: string | undefined;
        if (kind === "html") ({ markdown: body, title } = await renderHtmlAsMarkdown(raw, url.href));
        const head = [title ? `# ${title}` : undefined, `Source: ${url.href}`, cut ? `[body cut at ${web.max_bytes} bytes]` : undefined];
        const clipped = clipText(body, web.max_chars);
        // A fetched page is untrusted content: the run is tainted by it, and the model reads it framed as data.
        const source = `web_fetch ${url.href}`.slice(0, 300);
        ctx.safety?.noteUntrusted({ kind: "web", label: source, at: now() });
        return {
          text: wrapUntrusted(url.href, `${head.filter(Boolean).join("\n")}\n\n${clipped.text}`),
          detail: { url: describeOrigin(url), status: res.status, contentType: mime, bytes: bytes.length, redirects, clipped: clipped.clipped || cut },
        };
      } catch (err) {
        if (err instanceof ToolError) throw err;
        if (timeout.aborted) throw new ToolError("timeout", `web_fetch: ${describeOrigin(start)} did not answer within ${web.timeout_ms} ms`);
        if (ctx.signal.aborted) throw new ToolError("fetch_failed", "web_fetch: cancelled");
        const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
        throw new ToolError("fetch_failed", `web_fetch: ${describeOrigin(start)} failed: ${cause}`, { cause: err });
      }
    },
  };
}
