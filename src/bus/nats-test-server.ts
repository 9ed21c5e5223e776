// Test support for NATS: probes the shared server on 127.0.0.1:4222, and starts private nats-server processes
// (free port, temp store dir, generated config) that a test may stop, restart or configure with users.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SHARED_NATS_URL = "nats://127.0.0.1:4222";
export const NATS_SERVER_BIN = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].find((p) => existsSync(p)) ?? "nats-server";
const RESTART_HINT = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log";

/**
 * Why NATS tests cannot run here, or undefined when they can. With `CI` set a reason is an error (throw it at the
 * top of the test file), so a missing server fails the run instead of skipping it.
 */
export async function natsUnavailable(needs: { shared?: boolean; binary?: boolean }): Promise<string | undefined> {
  if (needs.binary && spawnSync(NATS_SERVER_BIN, ["--version"]).status !== 0) return `no nats-server binary (looked for ${NATS_SERVER_BIN}); install it (apt-get install nats-server)`;
  if (needs.shared && !(await portOpen(4222))) return `no NATS server at ${SHARED_NATS_URL}; start one: ${RESTART_HINT}`;
  return undefined;
}

/** Throws under CI, so NATS tests fail rather than skip when the server is missing; returns whether to skip. */
export function skipOrFail(reason: string | undefined): boolean {
  if (reason && process.env.CI) throw new Error(`NATS tests cannot run: ${reason}`);
  return reason !== undefined;
}

export function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.setTimeout(1_000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface NatsTestServer {
  url: string;
  port: number;
  storeDir: string;
  configFile: string;
  /** Kills the process (SIGKILL: like a crash) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store dir. */
  start(): Promise<void>;
  /** Kills it and removes its files. */
  dispose(): Promise<void>;
}

export interface NatsServerOptions {
  /** Appended to the generated config (e.g. an authorization block). */
  config?: string;
  /** Default true. */
  jetstream?: boolean;
  /** A whole config of your own instead of the generated one, given the port and store dir to use. */
  fullConfig?: (port: number, storeDir: string) => string;
}

/** Starts a private nats-server on a free port with a temp store dir. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsTestServer> {
  const dir = await mkdtemp(join(tmpdir(), "pincer-nats-"));
  const port = await freePort();
  const storeDir = join(dir, "jetstream");
  const configFile = join(dir, "nats.conf");
  const jetstream = opts.jetstream === false ? "" : `jetstream { store_dir: ${JSON.stringify(storeDir)} }\n`;
  await writeFile(configFile, opts.fullConfig ? opts.fullConfig(port, storeDir) : `host: "127.0.0.1"\nport: ${port}\n${jetstream}${opts.config ?? ""}\n`);
  let child: ChildProcess | undefined;
  let output = "";
  const start = async () => {
    output = "";
    const proc = spawn(NATS_SERVER_BIN, ["-c", configFile], { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    proc.stdout?.on("data", (d: Buffer) => void (output += d.toString()));
    proc.stderr?.on("data", (d: Buffer) => void (output += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await portOpen(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`nats-server did not start on port ${port}:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGKILL");
    });
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    configFile,
    kill,
    start,
    dispose: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `nats-server -c <file> -t`: whether nats-server accepts a config file, with its output. */
export function testNatsConfig(file: string): { ok: boolean; output: string } {
  const r = spawnSync(NATS_SERVER_BIN, ["-c", file, "-t"], { encoding: "utf8" });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
