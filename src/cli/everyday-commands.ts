// The everyday commands — status, dashboard, models, agents, message, completion — declared on the program with
// lazy-loaded implementations (as in main.ts, so `--help` stays fast). Each has an example in its help.
import { Argument, Command, Option } from "commander";
import type { ChannelName } from "../core/channel-config.ts";
import type { GlobalOptions } from "./cli-app.ts";

/** CHANNEL_NAMES without importing the config schema (zod) for `--help`; the types keep the two lists equal. */
const CHANNELS = ["telegram", "slack", "discord", "whatsapp"] as const satisfies readonly ChannelName[];
export const ALL_CHANNELS_LISTED: [Exclude<ChannelName, (typeof CHANNELS)[number]>] extends [never] ? true : never = true;

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;

export function addEverydayCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("status")
    .description("one screen: gateway running or not, model reachability, channels, runs in flight, today's usage, what to do next")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer status", "pincer status --json | jq .gateway.running") + "\nWithout a running gateway it answers from the config and the state dir, without any network call.\n")
    .action(async (opts) => (await import("./status-command.ts")).statusCommand(globals(), opts));

  program
    .command("dashboard")
    .description("print (and open in a browser) a one-time login link for the running gateway's web UI; the token is not changed")
    .option("--no-open", "print the link only; do not start a browser")
    .option("--json", "print { url, gatewayUrl, expiresAt } as JSON (opens nothing)")
    .addHelpText(
      "after",
      examples("pincer dashboard", "pincer dashboard --no-open") +
        "\nThe link works once, within 5 minutes, on this machine's gateway; it opens a UI session of 7 days.\n" +
        "'pincer gateway token --rotate' ends every such session. No browser is started in CI, over SSH or without a display.\n",
    )
    .action(async (opts) => (await import("./dashboard-command.ts")).dashboardCommand(globals(), opts));

  const models = program.command("models").description("model tiers, what each agent uses, and the providers' own model lists");
  models.addHelpText("after", examples("pincer models list", "pincer models set default openai/gpt-4o-mini"));
  models
    .command("list")
    .description("configured tiers and agents' models, plus each provider's model list (from its /models endpoint)")
    .option("--no-remote", "do not ask the providers for their model lists")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer models list", "pincer models list --no-remote --json"))
    .action(async (opts) => (await import("./models-command.ts")).modelsListCommand(globals(), opts));
  models
    .command("set")
    .description("set a tier's primary model in pincer.yaml (validated before the file is written; a running gateway applies it at once)")
    .addArgument(new Argument("<tier>", "tier name").choices(["default", "fast", "complex", "local"]))
    .argument("<provider/model>", "e.g. openai/gpt-4o-mini, anthropic/claude-sonnet-4-5, ollama/llama3.2")
    .addHelpText("after", examples("pincer models set default openai/gpt-4o-mini", "pincer models set fast ollama/llama3.2"))
    .action(async (tier: string, ref: string) => (await import("./models-command.ts")).modelsSetCommand(globals(), tier, ref));

  const agents = program.command("agents").description("the agents in pincer.yaml: list, add, remove");
  agents.addHelpText("after", examples("pincer agents list", "pincer agents add work --model fast"));
  agents
    .command("list")
    .description("agents with their model, queue mode, bindings and workspace")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer agents list", "pincer agents list --json"))
    .action(async (opts) => (await import("./agents-command.ts")).agentsListCommand(globals(), opts));
  agents
    .command("add")
    .description("add an agent to pincer.yaml (validated before the file is written)")
    .argument("<id>", "agent id: letters, digits, - and _")
    .option("-m, --model <ref>", "a tier or provider/model (default: default)")
    .option("-w, --workspace <dir>", "its workspace folder (default: $PINCER_HOME/workspace-<id>)")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer agents add work", "pincer agents add research --model anthropic/claude-sonnet-4-5 --workspace ~/research"))
    .action(async (id: string, opts) => (await import("./agents-command.ts")).agentsAddCommand(globals(), id, opts));
  agents
    .command("remove")
    .description("remove an agent from pincer.yaml; its sessions, runs and workspace are kept (the default agent cannot be removed)")
    .argument("<id>", "agent id")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer agents remove work"))
    .action(async (id: string, opts) => (await import("./agents-command.ts")).agentsRemoveCommand(globals(), id, opts));

  const message = program.command("message").description("send messages through the running gateway's chat channels");
  message.addHelpText("after", examples("pincer message send --channel telegram --to 123456789 \"Build finished\""));
  message
    .command("send")
    .description("send a message first (not as a reply) through a channel account of the running gateway")
    .argument("<text>", "the message (Markdown as in replies); - reads it from stdin")
    .addOption(new Option("--channel <channel>", "the chat platform").choices(CHANNELS).makeOptionMandatory())
    .requiredOption("--to <peer>", "the chat id on the platform (a user's id for a DM; see 'pincer pairing list --approved')")
    .option("--account <id>", "channel account (default: `default`, or the only account)")
    .option("--idempotency-key <key>", "repeat it on a retry to send nothing twice (default: a new random key)")
    .option("--json", "machine-readable output")
    .addHelpText(
      "after",
      examples(
        "pincer message send --channel telegram --to 123456789 \"Build finished\"",
        "make test 2>&1 | tail -5 | pincer message send --channel slack --account work --to C0123ABCD -",
      ) + "\nExit codes: 0 sent (or already sent with this key), 1 not delivered (gateway or channel down), 2 wrong channel, account or chat.\n",
    )
    .action(async (text: string, opts) => (await import("./message-command.ts")).messageSendCommand(globals(), text, opts));

  program
    .command("completion")
    .description("print a shell completion script for every command, subcommand and option")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
    .addHelpText("after", examples("source <(pincer completion bash)        # in ~/.bashrc", "source <(pincer completion zsh)         # in ~/.zshrc", "pincer completion fish > ~/.config/fish/completions/pincer.fish"))
    .action(async (shell: string, _opts: unknown, cmd: Command) => (await import("./completion-command.ts")).completionCommand(shell, cmd));
}
