// One HTTP(S) GET connected to addresses the caller already vetted, so a DNS answer that changes after the
// check (rebinding) is never used. TLS still names and verifies the URL's hostname. No redirects, no cookies.
import { request, type IncomingMessage } from "node:http";
import { connect as netConnect, isIP, type LookupFunction, type Socket } from "node:net";
import { Readable, pipeline, type Transform } from "node:stream";
import type { LookupAddress } from "./address-guard.ts";

/** Where to connect: the URL's hostname (for logs and TLS), its vetted addresses and the port. */
export type ConnectTarget = { hostname: string; addresses: LookupAddress[]; port: number };
/**
 * Opens a TCP connection to one of `target.addresses`.
 * Contract: never resolves `hostname` again; connects only to the given addresses.
 */
export type ConnectFn = (target: ConnectTarget) => Socket;

/** A lookup that answers only the vetted addresses, whatever name it is asked about. */
function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    const list = wanted.length > 0 ? wanted : addresses;
    if (options.all) callback(null, list);
    else callback(null, list[0]!.address, list[0]!.family);
  };
}

/** Connects with Node's own address selection (happy eyeballs), limited to the vetted addresses. */
export const connectPinned: ConnectFn = ({ hostname, addresses, port }) =>
  netConnect({ host: hostname, port, lookup: pinnedLookup(addresses), autoSelectFamily: true });

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function decoderFor(encoding: string): Transform | undefined {
  // node:zlib and node:tls are taken on first use: loading them costs start-up time for a tool most turns never call.
  const zlib = process.getBuiltinModule("node:zlib");
  if (encoding === "gzip" || encoding === "x-gzip") return zlib.createGunzip();
  if (encoding === "deflate") return zlib.createInflate();
  if (encoding === "br") return zlib.createBrotliDecompress();
  return undefined;
}

/** IncomingMessage → fetch Response, decompressing the body as fetch would. The caller caps what it reads. */
function toResponse(res: IncomingMessage): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const status = res.statusCode ?? 0;
  if (NULL_BODY_STATUSES.has(status)) {
    res.resume();
    return new Response(null, { status, statusText: res.statusMessage, headers });
  }
  const decoder = decoderFor((headers.get("content-encoding") ?? "").trim().toLowerCase());
  const body = decoder ? pipeline(res, decoder, () => {}) : res;
  return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, { status, statusText: res.statusMessage, headers });
}

export interface PinnedGetOptions {
  addresses: LookupAddress[];
  headers: Record<string, string>;
  signal: AbortSignal;
  connect: ConnectFn;
}

/**
 * GETs `url` over a connection to `opts.addresses` only. For https the certificate is verified against the
 * URL's hostname, which is also sent as SNI. Resolves once the response head arrived.
 */
export function pinnedGet(url: URL, opts: PinnedGetOptions): Promise<Response> {
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const https = url.protocol === "https:";
  const port = Number(url.port) || (https ? 443 : 80);
  const openSocket = (): Socket => {
    const raw = opts.connect({ hostname, addresses: opts.addresses, port });
    if (!https) return raw;
    // SNI must not be an IP address (RFC 6066); the certificate is still checked against `host`.
    return process.getBuiltinModule("node:tls").connect({ socket: raw, host: hostname, servername: isIP(hostname) ? undefined : hostname, ALPNProtocols: ["http/1.1"] });
  };
  return new Promise((ok, fail) => {
    const req = request({
      createConnection: openSocket,
      method: "GET",
      path: `${url.pathname}${url.search}`,
      headers: { ...opts.headers, host: url.host, "accept-encoding": "gzip, deflate, br" },
      signal: opts.signal,
    });
    req.once("response", (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status <= 599) return ok(toResponse(res));
      res.destroy();
      fail(new Error(`invalid HTTP status ${status}`));
    });
    req.once("error", fail);
    req.end();
  });
}
