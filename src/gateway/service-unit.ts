// The service files that run the gateway under the user's service manager: a systemd user unit and a launchd
// agent plist, with every value quoted for its format. Pure rendering; writing and activating is service-install.ts.
import { join } from "node:path";

export const SYSTEMD_UNIT_NAME = "pincer-gateway.service";
export const LAUNCHD_LABEL = "ai.pincer.gateway";

/** Time the service manager adds to the shutdown deadline before it kills the gateway (s). */
export const STOP_MARGIN_SEC = 5;

/** What the service runs: the same for both managers. */
export interface ServiceSpec {
  /** Absolute path of the node binary. */
  nodePath: string;
  /** Node's own flags, before the entry (heap settings). */
  nodeFlags: string[];
  /** Absolute path of the pincer entry script. */
  entryPath: string;
  /** Arguments after the entry: `gateway`, its flags, `--config <abs path>`. */
  args: string[];
  /** Environment set in the service (never secrets: the token lives hashed in the state dir or in gateway.env). */
  env: Record<string, string>;
  /** Absolute state dir: home of gateway.env (systemd) and logs/ (launchd). */
  stateDir: string;
  /** How long the manager waits after SIGTERM before it kills the gateway (s). */
  stopTimeoutSec: number;
}

/** The stop timeout for a gateway shutdown deadline: the deadline rounded up to seconds, plus a margin. */
export function stopTimeoutFor(deadlineMs: number): number {
  return Math.ceil(deadlineMs / 1000) + STOP_MARGIN_SEC;
}

/** `<state>/gateway.env`: optional KEY=value lines (e.g. PINCER_GATEWAY_TOKEN) the systemd unit loads. */
export function gatewayEnvFile(stateDir: string): string {
  return join(stateDir, "gateway.env");
}

/** Where launchd writes the gateway's stdout and stderr. */
export function launchdLogFiles(stateDir: string): { stdout: string; stderr: string } {
  const dir = join(stateDir, "logs");
  return { stdout: join(dir, "gateway.out.log"), stderr: join(dir, "gateway.err.log") };
}

/**
 * The systemd user unit. Contract: deterministic for a spec (install compares it byte for byte), and every
 * value is quoted so systemd reads back exactly the given paths and values (systemd.syntax, systemd.service
 * "Command lines").
 */
export function renderSystemdUnit(spec: ServiceSpec): string {
  const execStart = [quoteExecWord(spec.nodePath, { program: true }), ...commandArgs(spec).map((arg) => quoteExecWord(arg))].join(" ");
  const lines = [
    "# Written by 'pincer gateway install'; 'pincer gateway uninstall' removes it.",
    "[Unit]",
    "Description=Pincer gateway (self-hosted AI assistant)",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${execStart}`,
    ...Object.entries(spec.env).map(([name, value]) => `Environment=${quoteEnvAssignment(name, value)}`),
    // Optional ("-"): PINCER_GATEWAY_TOKEN and provider keys go there, never into this file.
    `EnvironmentFile=-${escapeSpecifiers(gatewayEnvFile(spec.stateDir))}`,
    "Restart=on-failure",
    "RestartSec=2",
    "KillSignal=SIGTERM",
    // SIGTERM to the gateway only: its running turns (and their tool processes) get the shutdown deadline.
    "KillMode=mixed",
    `TimeoutStopSec=${spec.stopTimeoutSec}`,
    "NoNewPrivileges=true",
    "",
    "[Install]",
    "WantedBy=default.target",
  ];
  return `${lines.join("\n")}\n`;
}

/** The launchd agent plist. Contract: deterministic for a spec; every value XML-escaped. */
export function renderLaunchdPlist(spec: ServiceSpec): string {
  const logs = launchdLogFiles(spec.stateDir);
  const str = (value: string): string => `<string>${escapeXml(value)}</string>`;
  const key = (name: string): string => `<key>${escapeXml(name)}</key>`;
  const env = Object.entries(spec.env).map(([name, value]) => `    ${key(name)}\n    ${str(value)}`);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    "<!-- Written by 'pincer gateway install'; 'pincer gateway uninstall' removes it. -->",
    '<plist version="1.0">',
    "<dict>",
    `  ${key("Label")}`,
    `  ${str(LAUNCHD_LABEL)}`,
    `  ${key("ProgramArguments")}`,
    "  <array>",
    ...[spec.nodePath, ...commandArgs(spec)].map((arg) => `    ${str(arg)}`),
    "  </array>",
    `  ${key("EnvironmentVariables")}`,
    ...(env.length === 0 ? ["  <dict/>"] : ["  <dict>", ...env, "  </dict>"]),
    `  ${key("RunAtLoad")}`,
    "  <true/>",
    `  ${key("KeepAlive")}`,
    "  <dict>",
    `    ${key("SuccessfulExit")}`,
    "    <false/>",
    "  </dict>",
    `  ${key("StandardOutPath")}`,
    `  ${str(logs.stdout)}`,
    `  ${key("StandardErrorPath")}`,
    `  ${str(logs.stderr)}`,
    `  ${key("ExitTimeOut")}`,
    `  <integer>${spec.stopTimeoutSec}</integer>`,
    "</dict>",
    "</plist>",
  ];
  return `${lines.join("\n")}\n`;
}

/** What follows the node binary on the service's command line. */
function commandArgs(spec: ServiceSpec): string[] {
  return [...spec.nodeFlags, spec.entryPath, ...spec.args];
}

/** `%` starts a specifier in every unit setting that expands them; `%%` is a literal percent sign. */
export function escapeSpecifiers(text: string): string {
  return text.replaceAll("%", "%%");
}

/**
 * One word of an ExecStart= command line. Inside double quotes systemd honours C escapes, so `\` and `"` are
 * escaped; `%` starts a specifier (`%%` is literal) and, in arguments but not in the program path, `$` starts
 * variable expansion (`$$` is literal), quoted or not.
 */
export function quoteExecWord(word: string, opts: { program?: boolean } = {}): string {
  const specifiersEscaped = escapeSpecifiers(word);
  const escaped = opts.program ? specifiersEscaped : specifiersEscaped.replaceAll("$", () => "$$");
  if (word !== "" && !/[\s"'\\;]/.test(word)) return escaped;
  return `"${escapeCString(escaped)}"`;
}

/** One `NAME=value` of Environment=, double-quoted as a whole when it needs to be (spaces, quotes, backslashes). */
export function quoteEnvAssignment(name: string, value: string): string {
  const assignment = `${name}=${escapeSpecifiers(value)}`;
  if (value !== "" && !/[\s"'\\]/.test(value)) return assignment;
  return `"${escapeCString(assignment)}"`;
}

function escapeCString(text: string): string {
  return text.replace(/[\\"\n\t]/g, (c) => ({ "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t" })[c] ?? c);
}

/** Escapes text for an XML element or attribute value. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
}
