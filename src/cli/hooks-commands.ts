// Declares the `pincer hooks` command group (list, test); each subcommand loads hooks-command.ts on use.
import type { Command } from "commander";
import type { GlobalOptions } from "./cli-app.ts";

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;

export function addHooksCommands(program: Command, globals: () => GlobalOptions): Command {
  const hooks = program
    .command("hooks")
    .description("webhook triggers: signed POST /hooks/<name> requests that start a run (config key hooks)")
    .addHelpText("after", examples("pincer hooks list", "pincer hooks test github --body push.json --event push"));
  hooks
    .command("list")
    .description("the configured hooks: auth mode, path, whether this shell has the secret's env var, agent, delivery")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer hooks list", "pincer hooks list --json"))
    .action(async (opts) => (await import("./hooks-command.ts")).hooksListCommand(globals(), opts));
  hooks
    .command("test")
    .description("sign a body exactly as the hook expects (secret from its env var in this shell) and send it to the running gateway; prints the status and run id")
    .argument("<name>", "the hook, as named under hooks: in the config")
    .option("-b, --body <file>", "JSON file to send as the body (default: {})")
    .option("-e, --event <name>", "X-GitHub-Event header to send, e.g. push or issues (github hooks default to ping)")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples(
      "GITHUB_WEBHOOK_SECRET=... pincer hooks test github --body push.json --event push",
      "pincer hooks test deploy --body deploy.json --json",
    ))
    .action(async (name: string, opts) => (await import("./hooks-command.ts")).hooksTestCommand(globals(), name, opts));
  return hooks;
}
