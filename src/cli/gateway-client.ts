// How a command on this machine talks to the running gateway: finds it (gateway.json in the state dir, else the
// configured address), and authenticates with PINCER_GATEWAY_TOKEN or, without it, a one-time login code exchanged
// for a short UI session — so no command ever needs the stored token's plaintext.
import type { PincerConfig } from "../core/config-schema.ts";
import { isGatewayProcessAlive, readGatewayRuntime, type GatewayRuntime } from "../gateway/gateway-runtime.ts";
import { TOKEN_ENV } from "../gateway/gateway-token.ts";
import { resolveListenAddress } from "../gateway/listen-address.ts";
import { createLoginCode } from "../gateway/login-codes.ts";
import { CliFailure } from "./output.ts";

/** How long a health probe may take (ms): a gateway on this machine answers in a few ms. */
const PROBE_TIMEOUT_MS = 1_500;
/** The CLI's own sessions: long enough for one command. */
const CLI_SESSION_TTL_MS = 2 * 60_000;
const CLI_CODE_TTL_MS = 60_000;

export type GatewayLocation =
  | { running: true; url: string; runtime: GatewayRuntime | undefined }
  /** `url`: where it would listen by the config; `reason`: what was looked at. */
  | { running: false; url: string | undefined; reason: string };

export interface FindGatewayOptions {
  stateDir: string;
  /** The loaded config (for the configured address), when it loaded. */
  config?: PincerConfig;
  configFile?: string;
}

/**
 * Where the gateway of this state dir runs, if it does. A gateway.json whose process is gone answers "not running"
 * without any network traffic; otherwise /healthz decides (loopback answers or refuses at once).
 * Contract: never throws.
 */
export async function findGateway(opts: FindGatewayOptions): Promise<GatewayLocation> {
  const configured = configuredUrl(opts);
  const runtime = await readGatewayRuntime(opts.stateDir);
  if (runtime) {
    if (isGatewayProcessAlive(runtime) === false) {
      return { running: false, url: configured, reason: `the gateway that last ran here (pid ${runtime.pid}) has stopped` };
    }
    if (await answersHealth(runtime.url)) return { running: true, url: runtime.url, runtime };
  }
  // No file (a gateway older than this command, or one with another state dir): try the configured address.
  if (configured && configured !== runtime?.url && (await answersHealth(configured))) return { running: true, url: configured, runtime: undefined };
  return { running: false, url: configured, reason: configured ? `nothing answers at ${configured}` : "no gateway address is configured" };
}

function configuredUrl(opts: FindGatewayOptions): string | undefined {
  if (!opts.config) return undefined;
  try {
    const address = resolveListenAddress(opts.config.gateway, opts.configFile ? { file: opts.configFile } : {});
    const host = address.host === "0.0.0.0" || address.host === "::" ? "127.0.0.1" : address.host.includes(":") ? `[${address.host}]` : address.host;
    return `http://${host}:${address.port}`;
  } catch {
    return undefined;
  }
}

async function answersHealth(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = (await res.json()) as { ok?: unknown };
    return res.ok && body.ok === true;
  } catch {
    return false;
  }
}

/** A running gateway that answers this command's requests. */
export interface GatewayClient {
  url: string;
  runtime: GatewayRuntime | undefined;
  /** An authenticated request (JSON body when `json` is given). Throws CliFailure when the gateway cannot be
   * reached or refuses the credential; any other status is the caller's to read. */
  request(path: string, init?: { method?: string; json?: unknown; headers?: Record<string, string>; timeoutMs?: number }): Promise<Response>;
}

export interface ClientOptions {
  stateDir: string;
  env: Record<string, string | undefined>;
}

/** The running gateway, or a CliFailure (exit 1) saying it is not running and how to start it. */
export async function connectGateway(opts: FindGatewayOptions & ClientOptions): Promise<GatewayClient> {
  const found = await findGateway(opts);
  if (!found.running) throw new CliFailure(`the gateway is not running (${found.reason}). Fix: start it with 'pincer gateway' (or 'pincer gateway install' to keep it running)`);
  return gatewayClient(found, opts);
}

/** A client for a gateway found running; it authenticates on its first request. */
export function gatewayClient(found: { url: string; runtime: GatewayRuntime | undefined }, opts: ClientOptions): GatewayClient {
  const { url, runtime } = found;
  const envToken = opts.env[TOKEN_ENV]?.trim() || undefined;
  // A gateway that says it uses the stored token would refuse a different PINCER_GATEWAY_TOKEN of this shell.
  const order: Array<"env" | "code"> = envToken && runtime?.tokenSource !== "file" ? ["env", "code"] : envToken ? ["code", "env"] : ["code"];
  // One credential at a time, shared by concurrent requests; replaced by the next way in when it is refused.
  let bearer: Promise<string | undefined> | undefined;
  let tried = 0;
  const refused = (): CliFailure =>
    new CliFailure(
      envToken
        ? `the gateway at ${url} refused ${TOKEN_ENV} and this command's login code. Fix: unset ${TOKEN_ENV} or set it to the gateway's token`
        : `the gateway at ${url} refused this command's login code (it uses another state dir?). Fix: run the command with the gateway's PINCER_HOME, or set ${TOKEN_ENV}`,
    );

  /** The next way in (env token or a fresh login code), skipping codes the gateway refuses; undefined when none is left. */
  const nextCredential = async (): Promise<string | undefined> => {
    for (let how = order[tried++]; how !== undefined; how = order[tried++]) {
      const token = how === "env" ? envToken : await exchangeCode(url, opts.stateDir);
      if (token !== undefined) return token;
    }
    return undefined;
  };
  const send = (path: string, token: string, init: Parameters<GatewayClient["request"]>[1] = {}): Promise<Response> =>
    fetch(`${url}${path}`, {
      method: init.method ?? (init.json === undefined ? "GET" : "POST"),
      headers: { authorization: `Bearer ${token}`, ...(init.json === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
      signal: AbortSignal.timeout(init.timeoutMs ?? 15_000),
    }).catch((err: unknown) => {
      throw new CliFailure(`cannot reach the gateway at ${url}: ${err instanceof Error ? err.message : String(err)}`);
    });

  return {
    url,
    runtime,
    async request(path, init) {
      for (;;) {
        const current = (bearer ??= nextCredential());
        const token = await current;
        if (token === undefined) throw refused();
        const res = await send(path, token, init);
        if (res.status !== 401) return res;
        if (bearer === current) bearer = undefined; // another request may have moved on already
      }
    },
  };
}

/** A fresh one-time code traded for a short session of this command's own; undefined when the gateway refuses it
 * (it reads another state dir). */
async function exchangeCode(url: string, stateDir: string): Promise<string | undefined> {
  const { code } = await createLoginCode(stateDir, { ttlMs: CLI_CODE_TTL_MS, sessionTtlMs: CLI_SESSION_TTL_MS, purpose: "cli" });
  let res: Response;
  try {
    res = await fetch(`${url}/api/v1/auth/exchange`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new CliFailure(`cannot reach the gateway at ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (res.status === 404) throw new CliFailure(`the gateway at ${url} does not accept login codes (an older version?). Fix: restart it, or set ${TOKEN_ENV}`);
  if (res.status === 429) throw new CliFailure(`the gateway at ${url} is refusing logins from this address for a while (too many failed attempts); retry after ${res.headers.get("retry-after") ?? "a few"} s`);
  const body = (await res.json().catch(() => ({}))) as { token?: unknown };
  return res.ok && typeof body.token === "string" ? body.token : undefined;
}
