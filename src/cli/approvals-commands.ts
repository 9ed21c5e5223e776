// Declares `pincer approvals list|approve|deny|rules|revoke` and `pincer elevate <session>`; each loads
// approvals-command.ts on use.
import type { Command } from "commander";
import type { GlobalOptions } from "./cli-app.ts";

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;
const WHERE = "Goes through the running gateway's API (answered as operator:cli); with the gateway down, it is written to the store, where a waiting run picks it up.";
const load = () => import("./approvals-command.ts");

export function addApprovalsCommands(program: Command, globals: () => GlobalOptions): void {
  const approvals = program
    .command("approvals")
    .description("tool calls waiting for an owner's approval, and the standing 'always' rules")
    .addHelpText("after", `\n${WHERE}\n${examples("pincer approvals list", "pincer approvals approve ap_7k2m --always", "pincer approvals rules --json")}`);
  approvals
    .command("list")
    .description("requests waiting for an answer (with --all: answered and expired ones too), newest first")
    .option("--all", "also answered and expired requests")
    .option("-n, --limit <n>", "at most this many (default: 50)")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer approvals list", "pincer approvals list --all --json"))
    .action(async (opts) => {
      const m = await load();
      await m.withTarget(globals(), (t) => m.approvalsListCommand(t, opts));
    });
  approvals
    .command("approve")
    .description("let the waiting call run; --always also lets that tool (with that binary, host or server tool) run without asking from now on")
    .argument("<id>", "the request, as 'pincer approvals list' shows it")
    .option("--always", "add a standing rule (shown by 'pincer approvals rules', removed with 'pincer approvals revoke')")
    .option("--json", "machine-readable output")
    .addHelpText("after", `\n${WHERE}\n${examples("pincer approvals approve ap_7k2m", "pincer approvals approve ap_7k2m --always")}`)
    .action(async (id: string, opts) => {
      const m = await load();
      await m.withTarget(globals(), (t) => m.approvalsAnswerCommand(t, id, { ...opts, decision: "approve" }));
    });
  approvals
    .command("deny")
    .description("refuse the waiting call; the model gets a tool error and carries on")
    .argument("<id>", "the request, as 'pincer approvals list' shows it")
    .option("--json", "machine-readable output")
    .addHelpText("after", `\n${WHERE}\n${examples("pincer approvals deny ap_7k2m")}`)
    .action(async (id: string, opts) => {
      const m = await load();
      await m.withTarget(globals(), (t) => m.approvalsAnswerCommand(t, id, { ...opts, decision: "deny" }));
    });
  approvals
    .command("rules")
    .description("standing approvals added by 'always' answers: agent, tool, binary/host/server tool, who added it")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer approvals rules", "pincer approvals rules --json"))
    .action(async (opts) => {
      const m = await load();
      await m.withTarget(globals(), (t) => m.approvalsRulesCommand(t, opts));
    });
  approvals
    .command("revoke")
    .description("remove a standing approval: that tool asks again")
    .argument("<rule-id>", "the rule, as 'pincer approvals rules' shows it")
    .option("--json", "machine-readable output")
    .addHelpText("after", examples("pincer approvals revoke rule_3f9a"))
    .action(async (id: string, opts) => {
      const m = await load();
      await m.withTarget(globals(), (t) => m.approvalsRevokeCommand(t, id, opts));
    });

  program
    .command("elevate")
    .description("turn elevated mode on or off for one session (policy.elevated): exec on the host, policy.elevated.allow tools allowed; audited")
    .argument("<session>", "the session key, as 'pincer sessions list' shows it")
    .option("--minutes <n>", "how long (default: policy.elevated.default_minutes, at most policy.elevated.max_minutes)")
    .option("--reason <text>", "why, for the audit log")
    .option("--yes", "confirm without typing the code")
    .option("--off", "end elevated mode now")
    .option("--json", "machine-readable output")
    .addHelpText("after", `\nWithout --yes, prints a confirmation code and asks you to type it.\n${WHERE}\n${examples(
      "pincer elevate agent:default:telegram:dm:123456 --minutes 15 --reason \"fix the deploy\" --yes",
      "pincer elevate agent:default:telegram:dm:123456 --off",
    )}`)
    .action(async (session: string, opts) => {
      const m = await load();
      await m.withTarget(globals(), (t) => m.elevateCommand(t, session, opts, m.askForCode));
    });
}
