// Conventions every command follows, applied once over the whole commander tree: an example in each help text
// (listed here for the commands declared in main.ts), defaults shown one way — `(default: 50)` —, the documented
// exit codes in the top-level help, and exit code 2 for every usage error commander reports.
import type { Command } from "commander";
import { EXIT_USAGE } from "./output.ts";

/** Examples of the commands declared in main.ts, by command path; commands declared elsewhere carry their own. */
const EXAMPLES: ReadonlyMap<string, string[]> = new Map([
  ["", ["pincer onboard && pincer gateway", "pincer status", "pincer run \"summarize README.md\" --json"]],
  ["run", ["pincer run \"what is in my workspace?\"", "pincer run \"list the files\" --json --model fast"]],
  ["chat", ["pincer chat", "pincer chat --session agent:default:cli:dm:notes"]],
  ["gateway", ["pincer gateway", "pincer gateway --port 18800 --shutdown-deadline 30000"]],
  ["gateway token", ["pincer gateway token", "pincer gateway token --rotate"]],
  ["gateway install", ["pincer gateway install", "pincer gateway install --no-start --json"]],
  ["gateway uninstall", ["pincer gateway uninstall"]],
  ["gateway status", ["pincer gateway status", "pincer gateway status --json"]],
  ["worker", ["PINCER_BUS_URL=nats://127.0.0.1:4222 PINCER_STORE_URL=postgres://pincer@db/pincer pincer worker --concurrency 8"]],
  ["sessions", ["pincer sessions list", "pincer sessions show agent:default:cli:dm:local"]],
  ["sessions list", ["pincer sessions list", "pincer sessions list --agent work -n 10 --json"]],
  ["sessions show", ["pincer sessions show agent:default:cli:dm:local", "pincer sessions show agent:default:cli:dm:local -n 20 --json"]],
  ["usage", ["pincer usage", "pincer usage --since 24h --json", "pincer usage --session agent:default:telegram:dm:123456"]],
  ["onboard", ["pincer onboard", "pincer onboard --non-interactive --provider openai --model gpt-4o-mini --api-key-env OPENAI_API_KEY"]],
  ["doctor", ["pincer doctor", "pincer doctor --probe --json"]],
  ["config", ["pincer config validate", "pincer config set agents.default.model fast"]],
  ["config validate", ["pincer config validate", "pincer -c ./pincer.yaml config validate"]],
  ["config get", ["pincer config get agents.default.model", "pincer config get --json"]],
  ["config set", ["pincer config set gateway.port 18800", "pincer config set models.tiers.fast.fallbacks \"[openai/gpt-4o-mini]\""]],
  ["config unset", ["pincer config unset gateway.port"]],
  ["config schema", ["pincer config schema > pincer.schema.json"]],
  ["channels", ["pincer channels add telegram --token-env TELEGRAM_BOT_TOKEN", "pincer channels status"]],
  ["channels list", ["pincer channels list", "pincer channels list --json"]],
  ["channels remove", ["pincer channels remove telegram", "pincer channels remove discord --account work"]],
  ["channels status", ["pincer channels status", "pincer channels status --probe --json"]],
  ["channels login", ["pincer channels login whatsapp"]],
  ["pairing", ["pincer pairing list", "pincer pairing approve telegram ABCD2345 --notify"]],
  ["pairing list", ["pincer pairing list", "pincer pairing list telegram --approved"]],
  ["pairing approve", ["pincer pairing approve telegram ABCD2345", "pincer pairing approve slack ABCD2345 --notify"]],
  ["pairing deny", ["pincer pairing deny telegram ABCD2345"]],
  ["pairing revoke", ["pincer pairing revoke telegram 123456789"]],
  ["auth", ["pincer auth set openai", "pincer auth list"]],
  ["auth set", ["pincer auth set openai", "pincer auth set anthropic --from-env ANTHROPIC_API_KEY", "printf %s \"$KEY\" | pincer auth set openrouter"]],
  ["auth list", ["pincer auth list", "pincer auth list --json"]],
  ["auth remove", ["pincer auth remove openai", "pincer auth remove anthropic --oauth"]],
]);

export const EXIT_CODES_HELP = `Exit codes (every command):
  0   success
  1   the run or operation failed (a model error, a gateway or channel that is down, a failed check)
  2   usage error (unknown command or option, a missing or invalid argument)
  78  configuration problem (invalid pincer.yaml, missing credential, unusable state dir)
Every command has --help with examples; docs/cli.md describes them all.`;

/** Every command under `root` (itself included), depth first. */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap(allCommands)];
}

/** `gateway token` for that command; "" for the program. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Applies the conventions to every command declared so far; call it once, right before parsing. */
export function applyHelpConventions(program: Command): void {
  for (const cmd of allCommands(program)) {
    const lines = EXAMPLES.get(commandPath(cmd));
    if (lines) cmd.addHelpText("after", `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`);
    // commander quotes string defaults (`(default: "50")`); descriptions write theirs plain — show them all plain.
    for (const option of cmd.options) {
      if (typeof option.defaultValue === "string" && option.defaultValueDescription === undefined) option.defaultValueDescription = option.defaultValue;
    }
    // Unknown commands and options, missing arguments, invalid choices: exit 2 (commander says 1); help and
    // --version stay 0.
    cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE));
  }
  program.addHelpText("after", EXIT_CODES_HELP);
}
