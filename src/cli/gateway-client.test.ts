// How commands reach the gateway: gateway.json or the configured address, and the way in — the env token, else a
// login code from the shared state dir — with a refused credential replaced by the next one.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../core/config-schema.ts";
import { writeGatewayRuntime } from "../gateway/gateway-runtime.ts";
import { consumeLoginCode } from "../gateway/login-codes.ts";
import { connectGateway, findGateway, gatewayClient } from "./gateway-client.ts";
import { CliFailure } from "./output.ts";

let dir: string;
let server: Server;
let url: string;
const seen: string[] = []; // bearer tokens presented to /api/v1/sessions

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pincer-client-"));
  seen.length = 0;
  // A stand-in gateway: /healthz, the code exchange against `dir`, and one authenticated route.
  server = createServer((req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.url === "/healthz") return send(200, { ok: true });
    if (req.url === "/api/v1/auth/exchange") {
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => void consumeLoginCode(dir, (JSON.parse(raw) as { code: string }).code).then((used) => (used.ok ? send(200, { token: "pui_from_code", expiresAt: 0 }) : send(401, {}))));
      return;
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    seen.push(token);
    return token === "pui_from_code" || token === "env-token-accepted" ? send(200, { data: [] }) : send(401, {});
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("findGateway", () => {
  it("follows gateway.json, else the configured address, else says why not", async () => {
    const port = Number(new URL(url).port);
    expect(await findGateway({ stateDir: dir, config: configSchema.parse({ gateway: { port } }) })).toEqual({ running: true, url, runtime: undefined });
    await writeGatewayRuntime(dir, { url, startedAt: 1, version: "0.1.0", tokenSource: "file" });
    expect(await findGateway({ stateDir: dir })).toMatchObject({ running: true, url, runtime: { pid: process.pid, tokenSource: "file" } });
    server.close();
    expect(await findGateway({ stateDir: dir })).toEqual({ running: false, url: undefined, reason: "no gateway address is configured" });
  });
});

describe("connectGateway", () => {
  it("without PINCER_GATEWAY_TOKEN trades a login code from the state dir, once for several requests", async () => {
    await writeGatewayRuntime(dir, { url, startedAt: 1, version: "0.1.0", tokenSource: "file" });
    const client = await connectGateway({ stateDir: dir, env: {} });
    const answers = await Promise.all([client.request("/api/v1/sessions"), client.request("/api/v1/sessions")]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(seen).toEqual(["pui_from_code", "pui_from_code"]);
  });

  it("falls back to a login code when the gateway refuses this shell's PINCER_GATEWAY_TOKEN", async () => {
    await writeGatewayRuntime(dir, { url, startedAt: 1, version: "0.1.0", tokenSource: "env" });
    const client = await connectGateway({ stateDir: dir, env: { PINCER_GATEWAY_TOKEN: "env-token-stale" } });
    expect((await client.request("/api/v1/sessions")).status).toBe(200);
    expect(seen).toEqual(["env-token-stale", "pui_from_code"]);
  });

  it("gives up with the fix when every way in is refused (a gateway of another state dir)", async () => {
    const client = gatewayClient({ url, runtime: undefined }, { stateDir: join(dir, "elsewhere"), env: {} });
    const err = await client.request("/api/v1/sessions").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliFailure);
    expect((err as CliFailure).message).toBe(`the gateway at ${url} refused this command's login code (it uses another state dir?). Fix: run the command with the gateway's PINCER_HOME, or set PINCER_GATEWAY_TOKEN`);
  });
});
