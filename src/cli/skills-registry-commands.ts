// `pincer skills search | install | update | remove | grant | revoke`: skills from a ClawHub-compatible registry and
// the consent they need, declared on the `skills` group with lazy-loaded implementations (skills-registry-actions.ts),
// so `--help` loads nothing of the skills code.
import type { Command } from "commander";
import type { GlobalOptions } from "./cli-app.ts";

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const actions = () => import("./skills-registry-actions.ts");

export function addSkillsRegistryCommands(skills: Command, globals: () => GlobalOptions): void {
  skills
    .command("search")
    .description("search the skill registry (skills.registry, or PINCER_SKILLS_REGISTRY)")
    .argument("<query>", "words to look for in names and summaries")
    .option("-n, --limit <n>", "most results", "20")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer skills search weather", "pincer skills search \"pdf tables\" --limit 5 --json"))
    .action(async (query: string, opts) => (await actions()).searchCommand(globals(), query, opts));

  skills
    .command("install")
    .description("download a skill from the registry, check and scan it, and install it into $PINCER_HOME/skills/<name>")
    .argument("<slug>", "the registry slug, optionally with a version: weather-tool or weather-tool@1.2.0")
    .option("--grant", "also grant every binary and env var the skill declares (listed before it is granted)")
    .option("--force", "install even when the registry flags the skill as suspicious")
    .option("--json", "machine-readable output")
    .addHelpText(
      "after",
      examples("pincer skills install weather-tool", "pincer skills install weather-tool@1.0.0 --grant", "pincer skills install shady-helper --force --json") +
        "\nRefused: skills the registry flags as malicious (or whose download it blocks), suspicious ones without --force,\n" +
        "unsafe bundles (paths leaving the folder, links, oversized files) and skills the safety scan blocks.\n",
    )
    .action(async (spec: string, opts) => (await actions()).installCommand(globals(), spec, opts));

  skills
    .command("update")
    .description("install the registry's newer version of one installed skill, or of all (--all)")
    .argument("[skill]", "the skill's name or registry slug")
    .option("--all", "every skill installed from this registry")
    .option("--force", "overwrite local edits of the installed files (and accept a version flagged suspicious)")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer skills update weather-tool", "pincer skills update --all", "pincer skills update weather-tool --force"))
    .action(async (target: string | undefined, opts) => (await actions()).updateCommand(globals(), target, opts));

  skills
    .command("remove")
    .description("delete an installed skill's folder and its lock entries (install record and grants)")
    .argument("<name>", "the skill's name")
    .addHelpText("after", examples("pincer skills remove weather-tool"))
    .action(async (name: string) => (await actions()).removeCommand(globals(), name));

  skills
    .command("grant")
    .description("let a skill use binaries and env vars it declares (default: everything it declares)")
    .argument("<name>", "the skill's name")
    .option("--bin <name>", "grant this binary (repeatable)", collect)
    .option("--env <VAR>", "grant this env var (repeatable)", collect)
    .addHelpText("after", examples("pincer skills grant weather-tool", "pincer skills grant weather-tool --bin curl --env WEATHER_API_KEY"))
    .action(async (name: string, opts) => (await actions()).grantCommand(globals(), name, opts));

  skills
    .command("revoke")
    .description("take back grants of a skill (default: all of them)")
    .argument("<name>", "the skill's name")
    .option("--bin <name>", "revoke this binary (repeatable)", collect)
    .option("--env <VAR>", "revoke this env var (repeatable)", collect)
    .addHelpText("after", examples("pincer skills revoke weather-tool", "pincer skills revoke weather-tool --env WEATHER_API_KEY"))
    .action(async (name: string, opts) => (await actions()).revokeCommand(globals(), name, opts));
}
