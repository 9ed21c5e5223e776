// `pincer chat`: an interactive terminal conversation. Streams text, shows tool calls; Ctrl-C stops a run.
// Local commands: /new (fresh session), /stop, /session, /exit.
import { createInterface } from "node:readline/promises";
import { randomBytes } from "node:crypto";
import { defaultSessionKey, needsOnboarding, withApp, type GlobalOptions } from "./cli-app.ts";
import { prepareSession } from "./run-command.ts";
import { createTurnPrinter } from "./turn-printer.ts";

export interface ChatOptions {
  session?: string;
  agent: string;
}

const HELP = "commands: /new  start a fresh session · /stop  stop the running turn · /session  show the session key · /exit";

export async function chatCommand(g: GlobalOptions, opts: ChatOptions): Promise<void> {
  if (process.stdin.isTTY && (await needsOnboarding(g, opts.agent))) {
    await (await import("./onboard-command.ts")).onboardCommand(g, {});
  }
  await withApp(g, async (app) => {
    let sessionKey = opts.session ?? defaultSessionKey(opts.agent);
    await prepareSession(app, { agentId: opts.agent, sessionKey });
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
    let running = false;
    rl.on("SIGINT", () => {
      if (running) {
        app.dispatcher.stop(sessionKey);
        process.stderr.write("\n  ■ stopping…\n");
      } else {
        rl.close();
      }
    });
    const handleLine = async (line: string): Promise<void> => {
      if (!line) return;
      if (line === "/help") {
        process.stderr.write(`${HELP}\n`);
        return;
      }
      if (line === "/session") {
        process.stderr.write(`${sessionKey}\n`);
        return;
      }
      if (line === "/stop") {
        process.stderr.write("nothing is running\n");
        return;
      }
      if (line === "/new") {
        sessionKey = `${defaultSessionKey(opts.agent)}-${randomBytes(3).toString("hex")}`;
        process.stderr.write(`new session ${sessionKey}\n`);
        return;
      }
      const printer = createTurnPrinter(sessionKey, { stream: true });
      const unsubscribe = app.dispatcher.subscribe(printer.listener);
      running = true;
      try {
        const submitted = await app.dispatcher.send({ agentId: opts.agent, sessionKey, channel: "cli", text: line });
        const outcome = await submitted.result;
        if (!printer.wroteText() && outcome.reply) process.stdout.write(`${outcome.reply}\n`);
        if (outcome.error) process.stderr.write(`error: ${outcome.error}\n`);
        else if (outcome.status !== "succeeded") process.stderr.write(`(run ${outcome.status})\n`);
      } finally {
        running = false;
        unsubscribe();
      }
    };
    process.stderr.write(`pincer chat · agent ${opts.agent} · session ${sessionKey} · model ${app.agentConfig(opts.agent).model}\n${HELP}\n`);
    const tty = Boolean(process.stdin.isTTY);
    const prompt = (): void => {
      if (tty) process.stdout.write("› ");
    };
    prompt();
    // The async iterator buffers lines, so piped input is never lost while a turn runs.
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === "/exit" || line === "/quit") break;
      await handleLine(line);
      prompt();
    }
    rl.close();
  });
}

/** First start: the agent uses the default tier and no tier is configured yet. */
