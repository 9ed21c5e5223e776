// Test support for the /api/v1 route files: a whole app (createApp) on a fresh state dir whose pincer.yaml points at
// a loopback fake model API, its HTTP app in memory (app.request), and a log file the app's logger writes to.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Hono } from "hono";
import { createApp, type App } from "../../src/app.ts";
import { createLogger } from "../../src/config/logger.ts";
import { gatewayLogPath, openLogFile, type LogFile } from "../../src/config/log-file.ts";
import { createGatewayMetrics } from "../../src/gateway/metrics.ts";
import { createHttpApp, type HttpAppOptions } from "../../src/gateway/http-app.ts";
import { startFakeOpenAI, type FakeModelServer } from "../fakes/index.ts";
import { TEST_GATEWAY_TOKEN } from "../e2e/harness.ts";

export const AUTH = { authorization: `Bearer ${TEST_GATEWAY_TOKEN}` } as const;

/** Response bodies are read loosely in tests; the assertions give them their shape. */
export type JsonResponse = Omit<Response, "json"> & { json(): Promise<any> };

export interface ApiTestApp {
  app: App;
  http: Hono;
  fake: FakeModelServer;
  dir: string;
  logFile: LogFile;
  get(path: string, headers?: Record<string, string>): Promise<JsonResponse>;
  /** A JSON body (objects are serialized; strings are sent as they are). */
  send(method: "POST" | "PUT", path: string, body: unknown, headers?: Record<string, string>): Promise<JsonResponse>;
  close(): Promise<void>;
}

/** The fake provider `fake` (key test-key) as the default tier, plus `extra` YAML appended to the config. */
export const fakeModels = (baseURL: string): string =>
  ["models:", "  providers:", `    fake: { type: openai-compatible, base_url: '${baseURL}', api_key: test-key }`, "  tiers:", "    default: { primary: fake/gpt-4o-mini }"].join("\n");

export async function openApiTestApp(opts: { yaml?: (baseURL: string) => string; http?: Partial<HttpAppOptions>; env?: Record<string, string> } = {}): Promise<ApiTestApp> {
  const fake = await startFakeOpenAI({ apiKeys: ["test-key"] });
  const dir = await mkdtemp(join(tmpdir(), "pincer-api-"));
  await writeFile(join(dir, "pincer.yaml"), (opts.yaml ?? fakeModels)(fake.baseURL), { mode: 0o600 });
  const logFile = openLogFile({ path: gatewayLogPath(dir) });
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const logger = createLogger({ level: "info", destination: discard, file: logFile });
  const app = await createApp({ env: { PINCER_HOME: dir, ...opts.env }, logger, logFile });
  const http = createHttpApp({ ctx: app, tokens: { verify: (t) => t === TEST_GATEWAY_TOKEN }, metrics: createGatewayMetrics(), serverVersion: "9.9.9-test", ...opts.http });
  return {
    app, http, fake, dir, logFile,
    get: (path, headers = AUTH) => http.request(path, { headers }) as Promise<JsonResponse>,
    send: (method, path, body, headers = AUTH) =>
      http.request(path, { method, headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) }) as Promise<JsonResponse>,
    async close() {
      await app.close();
      logFile.close();
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
