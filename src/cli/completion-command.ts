// `pincer completion bash|zsh|fish`: prints a completion script generated from the live commander tree, so every
// command, subcommand, option and argument choice is in it without a list kept by hand.
import type { Command } from "commander";
import { renderBash, renderFish, renderZsh, type CommandSpec } from "./completion-scripts.ts";

export const SHELLS = ["bash", "zsh", "fish"] as const;

export function completionCommand(shell: string, cmd: Command): void {
  let root = cmd;
  while (root.parent) root = root.parent;
  const spec = describeCommand(root);
  const render = shell === "zsh" ? renderZsh : shell === "fish" ? renderFish : renderBash;
  process.stdout.write(render(spec));
}

/** commander's view of a command, as the script generators need it; hidden options are left out. */
export function describeCommand(cmd: Command): CommandSpec {
  return {
    name: cmd.name(),
    description: cmd.description(),
    options: cmd.options
      .filter((o) => !o.hidden)
      .map((o) => ({ long: o.long, short: o.short, description: o.description, takesValue: o.required || o.optional, choices: o.argChoices })),
    argChoices: cmd.registeredArguments.flatMap((a) => a.argChoices ?? []),
    commands: cmd.commands.map(describeCommand),
  };
}
