// Where the running gateway of a state dir can be reached: `<state dir>/gateway.json` (0600), written once it listens
// and removed when it stops, so commands on this machine (`pincer status`, `dashboard`, `message send`) find it —
// also on a port picked at start (--port 0) — and know at once when none runs. Holds no secret.
import { hostname } from "node:os";
import { join } from "node:path";
import { readFile, rename, rm, writeFile } from "node:fs/promises";

export const RUNTIME_FILE = "gateway.json";

export interface GatewayRuntime {
  pid: number;
  /** The machine it runs on: a pid means something only there. */
  hostname: string;
  /** Base URL for clients on this machine, e.g. http://127.0.0.1:18790. */
  url: string;
  /** epoch ms */
  startedAt: number;
  version: string;
  /** Where its token comes from: `env` (PINCER_GATEWAY_TOKEN, which a rotation of the stored token does not change) or `file`. */
  tokenSource: "env" | "file";
}

export function runtimeFilePath(stateDir: string): string {
  return join(stateDir, RUNTIME_FILE);
}

/** Writes the file atomically (temp + rename, 0600). */
export async function writeGatewayRuntime(stateDir: string, info: Omit<GatewayRuntime, "pid" | "hostname">): Promise<void> {
  const path = runtimeFilePath(stateDir);
  const temp = `${path}.${process.pid}.tmp`;
  const full: GatewayRuntime = { pid: process.pid, hostname: hostname(), ...info };
  await writeFile(temp, `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}

/** Removes the file if this process wrote it (another gateway may have taken the state dir over since). */
export async function removeGatewayRuntime(stateDir: string): Promise<void> {
  const current = await readGatewayRuntime(stateDir);
  if (current?.pid === process.pid && current.hostname === hostname()) await rm(runtimeFilePath(stateDir), { force: true });
}

/** The file's content when it is there and well-formed. Contract: never throws. */
export async function readGatewayRuntime(stateDir: string): Promise<GatewayRuntime | undefined> {
  let parsed: Partial<GatewayRuntime>;
  try {
    parsed = JSON.parse(await readFile(runtimeFilePath(stateDir), "utf8")) as Partial<GatewayRuntime>;
  } catch {
    return undefined;
  }
  const url = typeof parsed.url === "string" ? URL.parse(parsed.url) : null;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !Number.isInteger(parsed.pid) || typeof parsed.hostname !== "string") return undefined;
  return {
    pid: parsed.pid!,
    hostname: parsed.hostname,
    url: url.origin,
    startedAt: typeof parsed.startedAt === "number" ? parsed.startedAt : 0,
    version: typeof parsed.version === "string" ? parsed.version : "unknown",
    tokenSource: parsed.tokenSource === "env" ? "env" : "file",
  };
}

/** False when the process that wrote the file is gone; undefined when that cannot be told from here (another host). */
export function isGatewayProcessAlive(runtime: GatewayRuntime): boolean | undefined {
  if (runtime.hostname !== hostname()) return undefined;
  try {
    process.kill(runtime.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}
