// web_fetch against a loopback node:http server: HTML → Markdown, limits, and the SSRF guard on every hop
// (a fake resolver stands in for DNS; a fetch wrapper routes the "public" host to the loopback server).
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policySchema } from "../../core/config-schema.ts";
import { ToolError } from "../../core/errors.ts";
import type { ToolContext } from "../tool.ts";
import { classifyAddress, type LookupFn } from "./address-guard.ts";
import { createWebFetchTool } from "./web-fetch-tool.ts";

const ARTICLE = `<!doctype html><html><head><title>Claws</title></head><body><nav>home | about</nav>
<article><h1>Claws</h1><p>Pincer keeps its <b>claws</b> sharp. ${"More words about crabs. ".repeat(30)}</p>
<p><a href="/next">next</a></p></article><script>evil()</script></body></html>`;

let server: Server;
let base = "";
beforeAll(async () => {
  server = createServer((req, res) => {
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": type, ...headers });
      res.end(body);
    };
    if (req.url === "/page") send(200, "text/html; charset=utf-8", ARTICLE);
    else if (req.url === "/json") send(200, "application/json", '{"ok":true}');
    else if (req.url === "/big") send(200, "text/plain", "x".repeat(10_000));
    else if (req.url === "/to-page") send(302, "text/plain", "", { location: "/page" });
    else if (req.url === "/to-metadata") send(302, "text/plain", "", { location: "http://169.254.169.254/latest/meta-data/" });
    else if (req.url === "/loop") send(302, "text/plain", "", { location: "/loop" });
    else if (req.url === "/bin") send(200, "application/octet-stream", "\0\x01");
    else if (req.url === "/slow") setTimeout(() => send(200, "text/plain", "late"), 2_000);
    else send(404, "text/plain", "nope");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const ctx = (web: Record<string, unknown> = {}): ToolContext => ({
  workspace: "/nonexistent",
  policy: policySchema.parse({ web }),
  signal: new AbortController().signal,
  runId: undefined,
  sessionKey: undefined,
});
const fakeLookup: LookupFn = async (host) => {
  const table: Record<string, string> = { "public.example": "93.184.216.34", "internal.example": "10.0.0.1", localhost: "127.0.0.1" };
  const address = table[host];
  if (!address) throw new Error(`ENOTFOUND ${host}`);
  return [{ address, family: 4 }];
};
/** Plays the public internet: requests to public.example are served by the loopback server. */
const routedFetch: typeof fetch = (input, init) => fetch(String(input).replace("http://public.example", base), init);
const tool = createWebFetchTool({ fetch: routedFetch, lookup: fakeLookup });

async function errorOf(p: Promise<unknown>): Promise<ToolError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ToolError)) throw new Error(`expected a ToolError, got ${String(err)}`);
  return err;
}

describe("web_fetch content", () => {
  it("returns readable Markdown for HTML when allow_private is on", async () => {
    const r = await tool.execute({ url: `${base}/page` }, ctx({ allow_private: true }));
    expect(r.text).toMatch(/^# Claws\nSource: http:\/\/127\.0\.0\.1:\d+\/page\n\n/);
    expect(r.text).toContain("Pincer keeps its **claws** sharp.");
    expect(r.text).toContain(`[next](${base}/next)`);
    expect(r.text).not.toContain("evil()");
  });

  it("follows redirects, returns JSON as is and truncates to max_chars / max_bytes", async () => {
    expect((await tool.execute({ url: "http://public.example/to-page" }, ctx())).text).toContain("**claws**");
    expect((await tool.execute({ url: "http://public.example/json" }, ctx())).text).toBe('Source: http://public.example/json\n\n{"ok":true}');
    expect((await tool.execute({ url: "http://public.example/big" }, ctx({ max_chars: 50 }))).text).toContain("[truncated: 9950 more chars]");
    expect((await tool.execute({ url: "http://public.example/big" }, ctx({ max_bytes: 100 }))).text).toContain("[body cut at 100 bytes]");
  });

  it("fails clearly on HTTP errors, binary bodies, redirect loops, timeouts and other schemes", async () => {
    expect((await errorOf(tool.execute({ url: "http://public.example/missing" }, ctx()))).message).toBe(
      "web_fetch: http://public.example/missing answered HTTP 404 Not Found",
    );
    expect((await errorOf(tool.execute({ url: "http://public.example/bin" }, ctx()))).code).toBe("fetch_failed");
    expect((await errorOf(tool.execute({ url: "http://public.example/loop" }, ctx()))).message).toContain("more than 5 redirects");
    expect((await errorOf(tool.execute({ url: "http://public.example/slow" }, ctx({ timeout_ms: 200 })))).code).toBe("timeout");
    expect((await errorOf(tool.execute({ url: "file:///etc/passwd" }, ctx()))).code).toBe("invalid_args");
  });
});

describe("web_fetch SSRF guard", () => {
  it("refuses a loopback literal and says why", async () => {
    const err = await errorOf(tool.execute({ url: `${base}/page` }, ctx()));
    expect(err.code).toBe("blocked_address");
    expect(err.message).toBe(
      `web_fetch refused ${base}: 127.0.0.1 is a loopback address; internal addresses are blocked (policy.web.allow_private is false)`,
    );
  });

  it("refuses a hostname that resolves to a private address without contacting it", async () => {
    let contacted = false;
    const spy = createWebFetchTool({ fetch: async () => ((contacted = true), new Response("x")), lookup: fakeLookup });
    const err = await errorOf(spy.execute({ url: "http://internal.example/" }, ctx()));
    expect(err.message).toContain("internal.example resolves to 10.0.0.1 (private)");
    expect(contacted).toBe(false);
  });

  it("re-checks redirect hops: a redirect to the metadata address is refused", async () => {
    const err = await errorOf(tool.execute({ url: "http://public.example/to-metadata" }, ctx()));
    expect(err.code).toBe("blocked_address");
    expect(err.message).toContain("169.254.169.254 is a link-local/metadata address");
  });

  it("classifies internal address ranges", () => {
    const cases: Array<[string, string | undefined]> = [
      ["127.0.0.1", "loopback"], ["::ffff:127.0.0.1", "loopback"], ["10.1.2.3", "private"], ["172.31.0.1", "private"],
      ["192.168.1.1", "private"], ["100.64.0.1", "CGNAT"], ["0.0.0.0", "unspecified"], ["::1", "loopback"],
      ["fd00:ec2::254", "unique-local"], ["fe80::1", "link-local"], ["8.8.8.8", undefined], ["2606:4700::1111", undefined],
    ];
    for (const [ip, label] of cases) expect([ip, classifyAddress(ip)]).toEqual([ip, label]);
  });
});
