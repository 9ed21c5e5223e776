// E2E harness: a temporary PINCER_HOME with a pincer.yaml pointing at loopback fakes, and the real CLI as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll } from "vitest";
import { startFakeOpenAI, type FakeModelServer } from "../fakes/index.ts";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(REPO_ROOT, "src/cli/main.ts");

/** A gateway token strong enough for the gateway to accept (24+ characters, varied); for tests only. */
export const TEST_GATEWAY_TOKEN = "pgw_test_7fQ2mX9kLp4Rz8Vw3Nc6Hb1T";

/** Names every plain object inherits; user-supplied ids with these names must behave as unknown ids. */
export const PROTOTYPE_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf"] as const;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Home {
  dir: string;
  workspace: string;
  writeConfig(yaml: string): Promise<string>;
  cli(args: string[], opts?: { env?: Record<string, string>; input?: string }): Promise<CliResult>;
  cleanup(): Promise<void>;
}

/** A fresh state dir, with `yaml` as its pincer.yaml when given. The child env is minimal: no inherited
 * API keys, so credential tests are deterministic. */
export async function makeHome(yaml?: string): Promise<Home> {
  const dir = await mkdtemp(join(tmpdir(), "pincer-e2e-"));
  const workspace = join(dir, "workspace");
  if (yaml !== undefined) await writeFile(join(dir, "pincer.yaml"), yaml);
  return {
    dir,
    workspace,
    async writeConfig(yaml) {
      await mkdir(dir, { recursive: true });
      const file = join(dir, "pincer.yaml");
      await writeFile(file, yaml);
      return file;
    },
    cli: (args, opts) => runCli(args, { PINCER_HOME: dir, ...opts?.env }, opts?.input),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: env.PINCER_HOME ?? tmpdir(), ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** A config with one OpenAI-compatible provider `fake` at the given base URL as the default tier. */
/** The `channels:` block of one Telegram bot account `default` on the fake Bot API, plus extra account keys
 * (YAML lines without indentation, e.g. `dm_policy: open`). */
export function telegramAccountConfig(tg: { token: string; apiRoot: string }, accountLines: string[] = []): string {
  return [
    "channels:",
    "  telegram:",
    "    accounts:",
    "      default:",
    `        token: "${tg.token}"`,
    `        api_root: ${tg.apiRoot}`,
    ...accountLines.map((line) => `        ${line}`),
  ].join("\n");
}

export function fakeProviderConfig(baseURL: string, extra = ""): string {
  return [
    "models:",
    "  providers:",
    "    fake:",
    "      type: openai-compatible",
    `      base_url: ${baseURL}`,
    "      api_key: test-key",
    "  tiers:",
    "    default:",
    "      primary: fake/gpt-4o-mini",
    extra,
  ].join("\n");
}

/** Per test file: one loopback OpenAI fake (key `test-key`) for all its tests, and homes removed after each test. */
export function useCliFixture(): { readonly fake: FakeModelServer; home(yaml?: string): Promise<Home> } {
  let server: FakeModelServer | undefined;
  const homes: Home[] = [];
  beforeAll(async () => {
    server = await startFakeOpenAI({ apiKeys: ["test-key"] });
  });
  afterAll(() => server?.close());
  afterEach(async () => {
    await Promise.all(homes.splice(0).map((h) => h.cleanup()));
  });
  return {
    get fake() {
      if (!server) throw new Error("useCliFixture: the fake starts in beforeAll");
      return server;
    },
    async home(yaml) {
      const home = await makeHome(yaml);
      homes.push(home);
      return home;
    },
  };
}

export interface GatewayProcess {
  url: string;
  token: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export interface ProcessOptions {
  /** Extra arguments after the command, e.g. ["--role", "control"]. */
  args?: string[];
  /** Extra environment, e.g. PINCER_BUS_URL. */
  env?: Record<string, string>;
  /** The program that runs `pincer` (default: this Node on src/cli/main.ts), e.g. [BIN] for the installed command. */
  command?: string[];
}

/** How long a gateway or worker may take to start: generous, for a loaded 2-core machine. */
const START_TIMEOUT_MS = 45_000;

/** Starts `pincer gateway --port 0` for a home and waits until it listens; the token is given by env. */
export async function startGatewayProcess(home: Home, token = TEST_GATEWAY_TOKEN, opts: ProcessOptions = {}): Promise<GatewayProcess> {
  const [program, ...head] = opts.command ?? [process.execPath, CLI];
  const child = spawn(program!, [...head, "gateway", "--port", "0", ...(opts.args ?? [])], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home.dir, PINCER_HOME: home.dir, PINCER_GATEWAY_TOKEN: token, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL"); // no orphan left running when the test gives up on it
      reject(new Error(`gateway did not start within ${START_TIMEOUT_MS} ms:\n${out}`));
    }, START_TIMEOUT_MS);
    const check = (): void => {
      const m = /listening on (http:\/\/\S+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stderr!.on("data", check);
    void exited.then((code) => reject(new Error(`gateway exited with code ${code}:\n${out}`)));
  });
  return { url, token, child, output: () => out, exited };
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `pincer worker` for a home and waits until it pulls runs. */
export async function startWorkerProcess(home: Home, opts: ProcessOptions = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI, "worker", ...(opts.args ?? [])], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home.dir, PINCER_HOME: home.dir, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`worker did not start within ${START_TIMEOUT_MS} ms:\n${out}`));
    }, START_TIMEOUT_MS);
    const check = (): void => {
      if (/pincer worker \S+ running/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on("data", check);
    void exited.then(() => reject(new Error(`worker exited:\n${out}`)));
  });
  return { child, output: () => out, exited };
}

/** Polls `fn` until it returns something other than undefined or false (every 50 ms), or fails naming `what`. */
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Makes a fake model answer every request it has no scripted reply for with `echo: <last user message>`. */
export function echoLastUserMessage(fake: FakeModelServer): void {
  fake.setFallback((req) => {
    const messages = (req.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    const last = [...messages].reverse().find((m) => m.role === "user");
    return { text: `echo: ${typeof last?.content === "string" ? last.content : JSON.stringify(last?.content)}` };
  });
}
