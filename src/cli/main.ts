// The `pincer` command line: declares every command and lazy-loads its implementation, so `--help` stays fast.
// Error boundary: user mistakes print one line (exit 78 for setup problems), bugs print a stack (exit 1).
import { Command, Option } from "commander";
import { addEverydayCommands } from "./everyday-commands.ts";
import { addSkillsCommands } from "./skills-commands.ts";
import { addMemoryCommands } from "./memory-commands.ts";
import { addMcpCommands } from "./mcp-commands.ts";
import { addHooksCommands } from "./hooks-commands.ts";
import { addApprovalsCommands } from "./approvals-commands.ts";
import { addCronCommands } from "./cron-commands.ts";
import { applyHelpConventions } from "./help-conventions.ts";
import { addSkillsRegistryCommands } from "./skills-registry-commands.ts";
import { exitOnClosedStdout, printError } from "./output.ts";

const program = new Command("pincer")
  .description("Self-hosted AI assistant gateway: your agent, your chat apps, your rules.")
  .version("0.1.0", "-v, --version")
  .option("-c, --config <file>", "config file (default: $PINCER_HOME/pincer.yaml, PINCER_HOME defaults to ~/.pincer)")
  .showHelpAfterError("(run with --help for usage)");

const globals = (): { config?: string } => program.opts<{ config?: string }>();

program
  .command("run")
  .description("run one agent turn and print the answer (for scripts)")
  .argument("<message>", "what to say to the agent")
  .option("-s, --session <key>", "session key (default: agent:<agent>:cli:dm:local)")
  .option("-a, --agent <id>", "agent id", "default")
  .option("-m, --model <ref>", "model for this session: a tier or provider/model")
  .option("--json", "print one JSON object with the reply, status, usage and tool calls")
  .action(async (message: string, opts) => (await import("./run-command.ts")).runCommand(globals(), message, opts));

program
  .command("chat")
  .description("chat with the agent in the terminal (streams text, shows tool calls; Ctrl-C stops a run)")
  .option("-s, --session <key>", "session key (default: agent:<agent>:cli:dm:local)")
  .option("-a, --agent <id>", "agent id", "default")
  .action(async (opts) => (await import("./chat-command.ts")).chatCommand(globals(), opts));

const gateway = program
  .command("gateway")
  .description("run the always-on server: HTTP API, OpenAI-compatible /v1, WebSocket /ws (loopback, token auth)")
  .option("-p, --port <port>", "port (default: gateway.port or PORT, 18790)")
  .option("--shutdown-deadline <ms>", "on SIGTERM, how long running turns may take to finish", "10000")
  .option("--role <role>", "cluster runtime: 'control' (HTTP/WS, routing) or 'all' (also executes runs here)", "all")
  .option("--workers <n>", "with --role all in the cluster runtime: runs executed at once in this process (default: 4)")
  .action(async (opts) => (await import("./gateway-command.ts")).gatewayCommand(globals(), opts));
gateway
  .command("token")
  .description("show where the gateway token comes from; --rotate makes a new one (printed once)")
  .option("--rotate", "create a new token; the old one stops working")
  .option("--json", "machine-readable output")
  .action(async (opts) => (await import("./gateway-command.ts")).tokenCommand(globals(), opts));
gateway
  .command("install")
  .description("run the gateway as a user service (systemd on Linux, launchd on macOS), enabled and started")
  .addHelpText(
    "after",
    "\nThe gateway's --port and --shutdown-deadline and the global --config are written into the service:\n" +
      "  pincer -c ~/pincer.yaml gateway install --port 18800 --shutdown-deadline 30000\n" +
      "Files: ~/.config/systemd/user/pincer-gateway.service (Linux), ~/Library/LaunchAgents/ai.pincer.gateway.plist (macOS).\n" +
      "The token is never written there; see docs/deploy.md.",
  )
  .option("--no-start", "write the service file only; do not enable or start it")
  .option("--force", "replace a service file that differs from what would be written now")
  .option("--json", "machine-readable output")
  .action(async (opts) => (await import("./gateway-service-command.ts")).installServiceCommand(globals(), gateway.opts(), opts));
gateway
  .command("uninstall")
  .description("stop and disable the gateway service and remove its file (the state dir and token are kept)")
  .option("--force", "remove the file even when the service manager cannot stop the service")
  .option("--json", "machine-readable output")
  .action(async (opts) => (await import("./gateway-service-command.ts")).uninstallServiceCommand(globals(), opts));
gateway
  .command("status")
  .description("show the service file (up to date or not), the service manager's view and whether /healthz answers")
  .option("--json", "machine-readable output")
  .action(async (opts) => (await import("./gateway-service-command.ts")).serviceStatusCommand(globals(), gateway.opts(), opts));

program
  .command("logs")
  .description("show the gateway's log (<state dir>/logs/gateway.log, rotated by size); works with the gateway down")
  .option("-f, --follow", "keep printing new lines as they are written, across rotations (Ctrl-C stops)")
  .option("--level <level>", "lowest level shown: trace, debug, info, warn, error, fatal")
  .option("--since <when>", "lines from this long ago (30m, 2h, 7d) or since a date (2026-01-31T09:00)")
  .option("--grep <text>", "only lines containing this text (case-insensitive; fields included)")
  .option("-n, --lines <n>", "how many of the newest matching lines to print first", "100")
  .option("--json", "print the JSON lines as written (one object per line)")
  .addHelpText(
    "after",
    "\nExamples:\n" +
      "  pincer logs --level warn --since 1h         warnings and errors of the last hour\n" +
      "  pincer logs -f --grep telegram              follow what the Telegram channel logs\n" +
      "  pincer logs --json -n 1000 | jq .msg        for scripts\n" +
      "Size and count of the files: log.file.max_mb (default 5) and log.file.files (default 3) in pincer.yaml.",
  )
  .action(async (opts) => (await import("./logs-command.ts")).logsCommand(opts));

program
  .command("worker")
  .description("cluster runtime: execute runs from the NATS JetStream work queue (needs bus.url / PINCER_BUS_URL and a shared store)")
  .option("--concurrency <n>", "runs executed at once", "4")
  .option("--shutdown-deadline <ms>", "on SIGTERM, how long running turns may take to finish before they are handed to another worker", "10000")
  .action(async (opts) => (await import("./worker-command.ts")).workerCommand(globals(), opts));

const sessions = program.command("sessions").description("list and inspect conversations");
sessions
  .command("list")
  .description("list sessions, newest first")
  .option("-a, --agent <id>", "only this agent's sessions")
  .option("-n, --limit <n>", "how many", "50")
  .option("--json", "machine-readable output")
  .action(async (opts) => (await import("./sessions-command.ts")).listSessions(globals(), opts));
sessions
  .command("show")
  .description("show a session's transcript and runs")
  .argument("<key>", "session key, full or as 'sessions list' shows it (e.g. cli:dm:local)")
  .option("-a, --agent <id>", "the agent whose session a short key names (default: the one agent that has it)")
  .option("-n, --limit <n>", "newest N messages and runs", "50")
  .option("--json", "machine-readable output")
  .action(async (key: string, opts) => (await import("./sessions-command.ts")).showSession(globals(), key, opts));

program
  .command("usage")
  .description("token usage and cost by provider and model, and each budget's use and reset")
  .option("--since <duration>", "only the last duration, e.g. 24h, 7d")
  .option("-s, --session <key>", "only this session (session budgets are measured for it)")
  .option("--json", "machine-readable output")
  .action(async (opts) => (await import("./usage-command.ts")).usageCommand(globals(), opts));

program
  .command("onboard")
  .description("set up a model provider: pick it, give a key or base URL, test it, write the config")
  .option("--non-interactive", "take everything from flags (for scripts and containers)")
  .addOption(new Option("--provider <id>", "openai, anthropic, google, gateway, ollama, vllm, lmstudio, openrouter, minimax, moonshot or openai-compatible"))
  .option("--model <name>", "model name at that provider, e.g. gpt-4o-mini")
  .option("--base-url <url>", "API base URL (OpenAI-compatible servers)")
  .option("--api-key-env <var>", "env var that holds the API key (the key itself is never written to the config)")
  .option("--skip-test", "do not make a test call")
  .option("--test-timeout <seconds>", "how long the test call may take", "30")
  .action(async (opts) => (await import("./onboard-command.ts")).onboardCommand(globals(), opts));

program
  .command("doctor")
  .description("check config, state dir, store, credentials, sandbox and Node; each check says how to fix it")
  .option("--json", "machine-readable output")
  .option("--probe", "also make a tiny request to each model provider and report its latency or the exact failure")
  .action(async (opts) => (await import("./doctor-command.ts")).doctorCommand(globals(), opts));

const config = program.command("config").description("validate, read and change pincer.yaml");
config
  .command("validate")
  .description("validate the config file; exit 78 with file:line and a fix when it is wrong")
  .action(async () => (await import("./config-command.ts")).validateConfig(globals()));
config
  .command("get")
  .description("print a value (secrets redacted); no key prints the whole effective config")
  .argument("[key]", "dotted key path, e.g. agents.default.model")
  .option("--json", "print as JSON")
  .action(async (key: string | undefined, opts) => (await import("./config-command.ts")).getConfig(globals(), key, opts));
config
  .command("set")
  .description("set a value (validated before the file is written; comments are kept)")
  .argument("<key>", "dotted key path")
  .argument("<value>", "value, parsed as YAML (42, true, [a, b], text)")
  .action(async (key: string, value: string) => (await import("./config-command.ts")).setConfig(globals(), key, value));
config
  .command("unset")
  .description("remove a value")
  .argument("<key>", "dotted key path")
  .action(async (key: string) => (await import("./config-command.ts")).unsetConfig(globals(), key));
config
  .command("schema")
  .description("print the JSON Schema of pincer.yaml (for editor completion)")
  .action(async () => (await import("./config-command.ts")).printSchema());

const channels = program.command("channels").description("chat platform accounts: Telegram, Slack, Discord, WhatsApp");
channels
  .command("add")
  .description("add (or update) a channel account in pincer.yaml and check its credentials")
  .argument("<channel>", "telegram | slack | discord | whatsapp")
  .option("--account <id>", "account id (several bots per channel)", "default")
  .option("--token <token>", "bot token (Telegram, Discord) or bot token xoxb-… (Slack); stored in pincer.yaml (0600)")
  .option("--token-env <VAR>", "reference an environment variable instead of storing the token: ${env:VAR}")
  .option("--app-token <xapp>", "Slack: app-level token for Socket Mode")
  .option("--signing-secret <secret>", "Slack: signing secret for the HTTP Events API (--mode http)")
  .option("--api-root <url>", "API root: a self-hosted Telegram Bot API server, or a Slack/Discord API proxy")
  .option("--mode <mode>", "telegram: polling | webhook; slack: socket | http")
  .option("--no-probe", "do not check the credentials with the platform")
  .option("--json", "machine-readable output")
  .addHelpText("after", "\nExamples:\n  pincer channels add telegram --token-env TELEGRAM_BOT_TOKEN\n  pincer channels add slack --token xoxb-… --app-token xapp-…\n  pincer channels add discord --account work --token …\n  pincer channels add whatsapp && pincer channels login whatsapp\n")
  .action(async (channel: string, opts) => (await import("./channels-command.ts")).channelsAddCommand(globals(), channel, opts));
channels
  .command("list")
  .description("configured channel accounts and their access policies")
  .option("--json", "machine-readable output")
  .action(async (opts) => (await import("./channels-command.ts")).channelsListCommand(globals(), opts));
channels
  .command("remove")
  .description("remove a channel account from pincer.yaml")
  .argument("<channel>", "telegram | slack | discord | whatsapp")
  .option("--account <id>", "account id", "default")
  .action(async (channel: string, opts) => (await import("./channels-command.ts")).channelsRemoveCommand(globals(), channel, opts));
channels
  .command("status")
  .description("each account's state in the running gateway; --probe also checks credentials with the platform")
  .option("--probe", "call the platform (getMe / auth.test / users/@me) with each account's credentials")
  .option("--json", "machine-readable output")
  .action(async (opts) => (await import("./channels-command.ts")).channelsStatusCommand(globals(), opts));
channels
  .command("login")
  .description("link a WhatsApp account as a linked device: shows a QR code to scan with the phone")
  .argument("<channel>", "whatsapp")
  .option("--account <id>", "account id", "default")
  .action(async (channel: string, opts) => (await import("./channels-command.ts")).channelsLoginCommand(globals(), channel, opts));

const pairing = program.command("pairing").description("approve or deny unknown senders who asked to talk to the bot in DMs");
pairing
  .command("list")
  .description("pending pairing codes (or approved senders with --approved)")
  .argument("[channel]", "only this channel")
  .option("--approved", "list approved senders instead")
  .option("--json", "machine-readable output")
  .action(async (channel: string | undefined, opts) => (await import("./pairing-command.ts")).pairingListCommand(globals(), channel, opts));
pairing
  .command("approve")
  .description("approve the sender who got <code>; they may then talk to the bot in DMs")
  .argument("<channel>", "telegram | slack | discord | whatsapp")
  .argument("<code>", "the 8-character code the sender received")
  .option("--notify", "tell the sender they are approved (sent by the running gateway)")
  .option("--json", "machine-readable output")
  .action(async (channel: string, code: string, opts) => (await import("./pairing-command.ts")).pairingApproveCommand(globals(), channel, code, opts));
pairing
  .command("deny")
  .description("drop a pending pairing request")
  .argument("<channel>", "telegram | slack | discord | whatsapp")
  .argument("<code>", "the code to drop")
  .option("--json", "machine-readable output")
  .action(async (channel: string, code: string, opts) => (await import("./pairing-command.ts")).pairingDenyCommand(globals(), channel, code, opts));
pairing
  .command("revoke")
  .description("remove an approved sender (they get a new pairing code next time)")
  .argument("<channel>", "telegram | slack | discord | whatsapp")
  .argument("<sender>", "the sender id (see 'pincer pairing list --approved')")
  .option("--account <id>", "account id", "default")
  .action(async (channel: string, sender: string, opts) => (await import("./pairing-command.ts")).pairingRevokeCommand(globals(), channel, sender, opts));

const auth = program.command("auth").description("manage stored model credentials ($PINCER_HOME/auth.json, mode 0600)");
auth
  .command("set")
  .description("store an API key or OAuth token; read from stdin or a hidden prompt, never echoed")
  .argument("<provider>", "provider id, e.g. openai, anthropic, openrouter")
  .option("--oauth", "store an OAuth/bearer token instead of an API key")
  .option("--from-env <var>", "read the secret from this env var")
  .action(async (provider: string, opts) => (await import("./auth-command.ts")).setAuth(globals(), provider, opts));
auth
  .command("list")
  .description("list stored credentials (masked)")
  .option("--json", "machine-readable output")
  .action(async (opts) => (await import("./auth-command.ts")).listAuth(globals(), opts));
auth
  .command("remove")
  .description("remove a provider's stored credentials")
  .argument("<provider>", "provider id")
  .option("--oauth", "remove only the OAuth token")
  .option("--api-key", "remove only the API key")
  .action(async (provider: string, opts) => (await import("./auth-command.ts")).removeAuth(globals(), provider, opts));

addSkillsRegistryCommands(addSkillsCommands(program, globals), globals);
addMemoryCommands(program, globals);
addMcpCommands(program, globals);
addHooksCommands(program, globals);
addCronCommands(program, globals);
addApprovalsCommands(program, globals);
addEverydayCommands(program, globals);
applyHelpConventions(program);
exitOnClosedStdout();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = printError(err);
}
