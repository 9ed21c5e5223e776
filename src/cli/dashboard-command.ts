// `pincer dashboard`: a login link for the running gateway's web UI — a one-time code in the URL fragment, traded by
// the page for a UI session — printed, and opened in a browser where there is one. The gateway token is neither
// shown nor rotated, so this is also the way back in after the first-start link was lost.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { loadConfig, resolveStateDir } from "../config/index.ts";
import { createLoginCode, LOGIN_CODE_TTL_MS } from "../gateway/login-codes.ts";
import type { GlobalOptions } from "./cli-app.ts";
import { findGateway } from "./gateway-client.ts";
import { CliFailure, printJson } from "./output.ts";

export async function dashboardCommand(g: GlobalOptions, opts: { open: boolean; json?: boolean }): Promise<void> {
  // A broken config must not lock the owner out of a gateway that runs with the previous one.
  const loaded = await loadConfig({ file: g.config, env: process.env }).catch(() => undefined);
  const stateDir = loaded?.stateDir ?? resolveStateDir(process.env);
  const found = await findGateway({ stateDir, ...(loaded ? { config: loaded.config, configFile: loaded.file } : {}) });
  if (!found.running) {
    throw new CliFailure(`the gateway is not running (${found.reason}), so there is nothing to log in to. Fix: start it with 'pincer gateway', then run 'pincer dashboard' again`);
  }
  const { code, expiresAt } = await createLoginCode(stateDir);
  const link = `${found.url}/#login=${code}`;
  const browser = opts.open && !opts.json ? browserCommand(process.platform, process.env) : undefined;
  const opened = browser ? openInBrowser(browser, link) : false;
  if (opts.json) return printJson({ url: link, gatewayUrl: found.url, expiresAt, opened });
  process.stdout.write(`${link}\n`);
  const minutes = Math.round(LOGIN_CODE_TTL_MS / 60_000);
  process.stderr.write(`${opened ? "opened in your browser; the" : "open this link in a browser on this machine; it"} logs in once, within ${minutes} minutes (the gateway token is unchanged)\n`);
}

/**
 * The program that opens a URL in the user's browser, or undefined where none should be started: in CI, over SSH on a
 * Mac, on Linux without a display or without xdg-open. Pure apart from looking xdg-open up on PATH.
 */
export function browserCommand(platform: NodeJS.Platform, env: Record<string, string | undefined>): string[] | undefined {
  if (env.CI) return undefined;
  if (platform === "darwin") return env.SSH_CONNECTION || env.SSH_TTY ? undefined : ["open"];
  if (platform === "win32") return ["explorer.exe"];
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  const found = (env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, "xdg-open")));
  return found ? ["xdg-open"] : undefined;
}

/** Starts the browser detached; false when it could not even be started. */
function openInBrowser(command: string[], url: string): boolean {
  try {
    const [program, ...args] = command;
    const child = spawn(program!, [...args, url], { detached: true, stdio: "ignore" });
    child.on("error", () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
