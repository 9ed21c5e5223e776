import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { answerProbe, type ProbeAnswerOptions, type Readiness } from "./probes.ts";

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A node:http server that answers probes through answerProbe and everything else with 418 (the app's stand-in). */
async function serve(overrides: Partial<ProbeAnswerOptions> = {}) {
  const counted: string[] = [];
  const errors: unknown[] = [];
  const opts: ProbeAnswerOptions = {
    ready: async (): Promise<Readiness> => ({ ok: true, checks: { store: "ok" } }),
    hostAllowed: (host) => host?.startsWith("127.0.0.1") ?? false,
    countHttp: (route, status) => counted.push(`${route} ${status}`),
    onError: (err) => errors.push(err),
    ...overrides,
  };
  server = createServer((req, res) => {
    if (!answerProbe(req, res, opts)) res.writeHead(418).end("app");
  });
  await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // node:http rather than fetch: fetch does not send a Host header of the caller's choosing.
  const get = (path: string, host?: string, method = "GET") =>
    new Promise<{ status: number; type: string | undefined; text: string }>((done, fail) => {
      const req = request(`${base}${path}`, { method, headers: host ? { host } : {} }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d)).on("end", () => done({ status: res.statusCode ?? 0, type: res.headers["content-type"], text }));
      });
      req.on("error", fail).end();
    });
  return { get, counted, errors };
}

describe("answerProbe", () => {
  it("answers /healthz for any Host and /readyz for an allowed one, with the app's JSON and metrics", async () => {
    const { get, counted } = await serve();
    const health = await get("/healthz", "evil.example");
    expect([health.status, health.type, JSON.parse(health.text)]).toEqual([200, "application/json", { ok: true }]);
    const ready = await get("/readyz?verbose=1");
    expect([ready.status, JSON.parse(ready.text)]).toEqual([200, { ok: true, checks: { store: "ok" } }]);
    expect(counted).toEqual(["/healthz 200", "/readyz 200"]);
  });

  it("hands on /readyz with a foreign Host, other methods and other paths to the app", async () => {
    const { get, counted } = await serve();
    expect((await get("/readyz", "evil.example")).status).toBe(418);
    expect((await get("/readyz", undefined, "POST")).status).toBe(418);
    expect((await get("/readyzz")).status).toBe(418);
    expect((await get("/v1/models")).status).toBe(418);
    expect(counted).toEqual([]);
  });

  it("answers 503 when not ready and 500 (reported, without the error text) when the check throws", async () => {
    const notReady = await serve({ ready: async () => ({ ok: false, checks: { store: "closed" } }) });
    expect((await notReady.get("/readyz")).status).toBe(503);
    await new Promise<void>((done) => server!.close(() => done()));
    const broken = await serve({ ready: () => Promise.reject(new Error("secret detail")) });
    const res = await broken.get("/readyz");
    expect(res.status).toBe(500);
    expect(res.text).not.toContain("secret detail");
    expect(broken.errors).toHaveLength(1);
    expect(broken.counted).toEqual(["/readyz 500"]);
  });
});
