// Declares `pincer cron add | list | show | edit | rm | run | runs | suspend | resume`: stored schedules that start agent
// runs; each subcommand loads cron-command.ts on use, so `--help` loads none of the automation code.
import { Option, type Command } from "commander";
import type { GlobalOptions } from "./cli-app.ts";

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;
const actions = () => import("./cron-command.ts");
const ID = ["<id>", "the schedule's id or name (see 'pincer cron list')"] as const;

/** The flags add and edit share; `forAdd` makes --name and --message required. */
function addScheduleFlags(cmd: Command, forAdd: boolean): Command {
  const name = ["--name <name>", forAdd ? "a unique name: letters, digits, '.', '-', '_'" : "rename the schedule"] as const;
  const message = ["--message <text>", "what the agent is asked at each fire (the run's input)"] as const;
  if (forAdd) cmd.requiredOption(...name).requiredOption(...message);
  else cmd.option(...name).option(...message);
  return cmd
    .option("--cron <expr>", "a cron expression (5 or 6 fields), e.g. \"0 8 * * 1-5\" = 08:00 on weekdays")
    .option("--every <duration>", "a fixed interval: 10s, 30m, 2h, 1d")
    .option("--at <datetime>", "once, at 2026-12-24T09:00 (in --tz, or the host's zone) or an ISO instant with offset")
    .option("--tz <zone>", `IANA time zone for --cron and --at, e.g. Europe/Paris (default: the host's${forAdd ? "" : "; 'local' goes back to it"})`)
    .option("--agent <id>", `the agent that runs it${forAdd ? " (default: default)" : ""}`)
    .option("--session <session>", `isolated (a fresh session per fire), main, or a session key agent:<id>:…${forAdd ? " (default: isolated)" : ""}`)
    .option("--deliver <target>", `where the final answer goes: none, <channel>:<account>:<peer> (telegram:main:123456) or webhook:<url>${forAdd ? " (default: none)" : ""}`)
    .addOption(new Option("--concurrency <mode>", `when the previous run still goes: forbid (skip and record), allow, replace (cancel it)${forAdd ? " (default: forbid)" : ""}`).choices(["forbid", "allow", "replace"]))
    .addOption(new Option("--catchup <mode>", `a fire missed while the gateway was down: skip it, or run it once${forAdd ? " (default: skip)" : ""}`).choices(["skip", "once"]))
    .option("--suspended", forAdd ? "create it paused ('pincer cron resume' starts it)" : "pause it (same as 'pincer cron suspend')")
    .option("--json", "machine-readable output");
}

export function addCronCommands(program: Command, globals: () => GlobalOptions): Command {
  const cron = program
    .command("cron")
    .description("schedules: agent runs at set times (cron, every, at), their history, run now, pause")
    .addHelpText("after", examples("pincer cron add --name morning --cron \"0 8 * * 1-5\" --tz Europe/Paris --message \"Brief me\" --deliver telegram:main:123456", "pincer cron list", "pincer cron runs morning"));

  addScheduleFlags(cron.command("add").description("add a schedule (works with the gateway down; a running gateway picks it up)"), true)
    .addHelpText(
      "after",
      examples(
        "pincer cron add --name morning --cron \"0 8 * * 1-5\" --tz Europe/Paris --message \"Summarize my inbox\" --deliver telegram:main:123456",
        "pincer cron add --name water --every 2h --message \"Remind me to drink water\" --session main",
        "pincer cron add --name xmas --at 2026-12-24T09:00 --message \"Wish everyone a merry Christmas\" --json",
      ) + "\nGive exactly one of --cron, --every, --at.\n",
    )
    .action(async (opts) => (await actions()).cronAddCommand(globals(), opts));

  cron
    .command("list")
    .description("every schedule: when it fires, next fire (local time), last fire, suspended, delivery")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer cron list", "pincer cron list --json | jq '.schedules[].name'"))
    .action(async (opts) => (await actions()).cronListCommand(globals(), opts));

  cron
    .command("show")
    .description("one schedule: every setting, its next fire and its latest fires")
    .argument(...ID)
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer cron show morning", "pincer cron show sch_0abc123 --json"))
    .action(async (id: string, opts) => (await actions()).cronShowCommand(globals(), id, opts));

  addScheduleFlags(cron.command("edit").description("change a schedule; only the flags given change (a new --cron/--every/--at replaces the old)").argument(...ID), false)
    .addHelpText("after", examples("pincer cron edit morning --cron \"30 7 * * 1-5\"", "pincer cron edit water --every 90m --deliver none", "pincer cron edit morning --name briefing --json"))
    .action(async (id: string, opts) => (await actions()).cronEditCommand(globals(), id, opts));

  cron
    .command("rm")
    .description("delete a schedule and its fire history")
    .argument(...ID)
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer cron rm water"))
    .action(async (id: string, opts) => (await actions()).cronRemoveCommand(globals(), id, opts));

  cron
    .command("run")
    .description("fire a schedule now, through the running gateway (its concurrency setting still applies)")
    .argument(...ID)
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer cron run morning", "pincer cron run morning --json"))
    .action(async (id: string, opts) => (await actions()).cronRunCommand(globals(), id, opts));

  cron
    .command("runs")
    .description("a schedule's fires, newest first: time, status, reason, run id, delivery")
    .argument(...ID)
    .option("-n, --limit <n>", "how many (1-500)", "20")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer cron runs morning", "pincer cron runs morning -n 100 --json"))
    .action(async (id: string, opts) => (await actions()).cronRunsCommand(globals(), id, opts));

  for (const [name, description] of [["suspend", "pause a schedule: it does not fire until resumed"], ["resume", "resume a paused schedule; its next fire is planned from now"]] as const) {
    cron
      .command(name)
      .description(description)
      .argument(...ID)
      .option("--json", "machine-readable output")
      .addHelpText("after", examples(`pincer cron ${name} morning`))
      .action(async (id: string, opts) => (await actions()).cronSuspendCommand(globals(), id, { ...opts, suspended: name === "suspend" }));
  }
  return cron;
}
