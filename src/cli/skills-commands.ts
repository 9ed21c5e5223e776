// Declares the `pincer skills` command group: one subcommand per line block, each loading its implementation on
// use. Add a subcommand here (with its own examples) and put its code in its own file.
import type { Command } from "commander";
import type { GlobalOptions } from "./cli-app.ts";
import { registerSkillsCheckCommand } from "./skills-check-command.ts";

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;

export function addSkillsCommands(program: Command, globals: () => GlobalOptions): Command {
  const skills = program
    .command("skills")
    .description("skills the agent can use (SKILL.md folders): where they come from, which are offered and why, their safety")
    .addHelpText("after", examples("pincer skills list", "pincer skills info github", "pincer skills check ./my-skill --json"));
  skills
    .command("list")
    .description("every skill found, with its source, status (eligible, unavailable, blocked, shadowed, disabled) and why")
    .option("-a, --agent <id>", "the agent whose skills allowlist and workspace apply", "default")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer skills list", "pincer skills list --agent work --json"))
    .action(async (opts) => (await import("./skills-command.ts")).skillsListCommand(globals(), opts));
  skills
    .command("info")
    .description("one skill in detail: manifest, location, warnings, scan findings, grants and install origin")
    .argument("<name>", "the skill's name")
    .option("-a, --agent <id>", "the agent whose skills allowlist and workspace apply", "default")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer skills info github", "pincer skills info github --json"))
    .action(async (name: string, opts) => (await import("./skills-command.ts")).skillsInfoCommand(globals(), name, opts));
  registerSkillsCheckCommand(skills, globals);
  return skills;
}
