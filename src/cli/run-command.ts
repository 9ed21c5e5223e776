// `pincer run "<message>"`: one agent turn for scripts; streams text, or prints one JSON object with --json.
import type { App } from "../app.ts";
import { CliFailure, exitCodeForRun, printJson } from "./output.ts";
import { defaultSessionKey, withApp, type GlobalOptions } from "./cli-app.ts";
import { createTurnPrinter } from "./turn-printer.ts";

export interface RunOptions {
  session?: string;
  agent: string;
  model?: string;
  json?: boolean;
}

export async function runCommand(g: GlobalOptions, message: string, opts: RunOptions): Promise<void> {
  if (!message.trim()) throw new CliFailure("the message is empty: pincer run \"<message>\"", 2);
  await withApp(g, async (app) => {
    const sessionKey = opts.session ?? defaultSessionKey(opts.agent);
    await prepareSession(app, { agentId: opts.agent, sessionKey, model: opts.model });
    const printer = createTurnPrinter(sessionKey, { stream: !opts.json });
    const unsubscribe = app.dispatcher.subscribe(printer.listener);
    const submitted = await app.dispatcher.send({ agentId: opts.agent, sessionKey, channel: "cli", text: message, trigger: "api" });
    const outcome = await submitted.result;
    unsubscribe();
    if (opts.json) {
      printJson({ ...outcome, sessionKey, toolCalls: printer.toolCalls });
    } else {
      if (!printer.wroteText() && outcome.reply) process.stdout.write(`${outcome.reply}\n`);
      if (outcome.error) process.stderr.write(`error: ${outcome.error}\n`);
      else if (outcome.status !== "succeeded") process.stderr.write(`run ${outcome.status}\n`);
    }
    process.exitCode = outcome.status === "succeeded" ? 0 : exitCodeForRun(outcome.errorCode ?? "failed");
  });
}

/** Checks the agent and model before anything is written, and applies a --model override to the session. */
export async function prepareSession(app: App, opts: { agentId: string; sessionKey: string; model?: string }): Promise<void> {
  app.agentConfig(opts.agentId);
  const session = await app.store.sessions.get(opts.sessionKey);
  const ref = opts.model ?? session?.modelOverride ?? app.agentConfig(opts.agentId).model;
  await app.models.preflight(ref);
  if (opts.model) {
    await app.store.sessions.ensure({ key: opts.sessionKey, agentId: opts.agentId, channel: "cli" });
    await app.store.sessions.update(opts.sessionKey, { modelOverride: opts.model });
  }
}
