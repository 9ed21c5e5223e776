// `pincer chat`: an interactive terminal conversation. Streams text, shows tool calls and "thinking…" until the answer
// starts (at a terminal); Ctrl-C or /stop stops a run. A paste is one message (chat-input.ts). Slash commands are the
// chat channels' own (routing/ingress/chat-commands.ts), plus /session and /exit; an unknown /command is an error.
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";
import { userInfo } from "node:os";
import type { App } from "../app.ts";
import type { RunEvent } from "../core/events.ts";
import { listKnownModels, parseCommand, runCommand } from "../routing/ingress/chat-commands.ts";
import { readChatMessages } from "./chat-input.ts";
import { defaultSessionKey, needsOnboarding, withApp, type GlobalOptions } from "./cli-app.ts";
import { prepareSession } from "./run-command.ts";
import { createTurnPrinter } from "./turn-printer.ts";

export interface ChatOptions {
  session?: string;
  agent: string;
}

const LOCAL_HELP = [
  "In this terminal also:",
  "/session: show the session key",
  "/exit: leave (or Ctrl-D); Ctrl-C stops a running reply",
  "//text: send text that starts with /",
].join("\n");
const BANNER = "commands: /help · /new · /stop · /exit — a paste is sent as one message";

/** `/word` at the start of a message: meant as a command (`/usr/bin/env …` is not one). */
const COMMAND_LIKE = /^\/([A-Za-z][\w-]*)(?:@\S+)?(?=\s|$)/;

export async function chatCommand(g: GlobalOptions, opts: ChatOptions): Promise<void> {
  if (process.stdin.isTTY && (await needsOnboarding(g, opts.agent))) {
    await (await import("./onboard-command.ts")).onboardCommand(g, {});
  }
  await withApp(g, async (app) => {
    const sessionKey = opts.session ?? defaultSessionKey(opts.agent);
    await prepareSession(app, { agentId: opts.agent, sessionKey });
    const tty = Boolean(process.stdin.isTTY);
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty, prompt: "› " });
    let running = false;
    const stopRun = (): void => {
      app.dispatcher.stop(sessionKey);
      process.stderr.write("\n  ■ stopping…\n");
    };
    rl.on("SIGINT", () => (running ? stopRun() : rl.close()));
    const input = readChatMessages(rl, {
      input: process.stdin,
      ...(tty ? { terminal: process.stdout } : {}),
      // /stop acts at once, as in the channels, even while a reply streams.
      intercept: (message) => {
        if (!running || message.trim() !== "/stop") return false;
        stopRun();
        return true;
      },
    });
    const turn = async (text: string): Promise<void> => {
      const printer = createTurnPrinter(sessionKey, { stream: true });
      const thinking = showThinking(tty && Boolean(process.stderr.isTTY));
      const unsubscribe = app.dispatcher.subscribe((event) => {
        if (STARTS_OUTPUT.has(event.type)) thinking.clear();
        printer.listener(event);
      });
      running = true;
      try {
        const submitted = await app.dispatcher.send({ agentId: opts.agent, sessionKey, channel: "cli", text, trigger: "message" });
        const outcome = await submitted.result;
        thinking.clear();
        if (!printer.wroteText() && outcome.reply) process.stdout.write(`${outcome.reply}\n`);
        if (outcome.error) process.stderr.write(`error: ${outcome.error}\n`);
        else if (outcome.status !== "succeeded") process.stderr.write(`(run ${outcome.status})\n`);
      } finally {
        thinking.clear();
        running = false;
        unsubscribe();
      }
    };

    process.stderr.write(`pincer chat · agent ${opts.agent} · session ${sessionKey} · model ${app.agentConfig(opts.agent).model}\n${BANNER}\n`);
    const prompt = (): void => {
      if (tty) rl.prompt();
    };
    prompt();
    for (let message = await input.next(); message !== undefined; message = await input.next()) {
      const text = message.trim();
      if (text === "/exit" || text === "/quit") break;
      if (text) await handleMessage(text, { app, agentId: opts.agent, sessionKey, turn });
      prompt();
    }
    input.close();
  });
}

/** Run events after which the answer (or a tool call, or the end) is on screen: "thinking…" goes away. */
const STARTS_OUTPUT = new Set<RunEvent["type"]>(["text_delta", "tool_call_start", "model_failover", "run_finished"]);

interface MessageContext {
  app: App;
  agentId: string;
  sessionKey: string;
  turn: (text: string) => Promise<void>;
}

/** A command (the channels' or this terminal's), an unknown command (an error), or text for the agent. */
async function handleMessage(text: string, ctx: MessageContext): Promise<void> {
  if (text.startsWith("//")) return ctx.turn(text.slice(1));
  const name = COMMAND_LIKE.exec(text)?.[1]?.toLowerCase();
  if (name === undefined) return ctx.turn(text);
  if (name === "session") return void process.stdout.write(`${ctx.sessionKey}\n`);
  const command = parseCommand(text);
  if (!command) {
    process.stderr.write(`error: unknown command /${name}; /help lists the commands (start with // to send text beginning with /)\n`);
    return;
  }
  const { app } = ctx;
  await app.store.sessions.ensure({ key: ctx.sessionKey, agentId: ctx.agentId, channel: "cli" });
  const reply = await runCommand(command, {
    msg: {
      channel: "cli", account: "local", messageId: randomBytes(6).toString("hex"), chat: { kind: "dm", id: "local" },
      sender: { id: "local", name: localUserName(), isBot: false }, text, mentioned: false, media: [], at: Date.now(),
    },
    sessionKey: ctx.sessionKey,
    agentId: ctx.agentId,
    owner: true, // the terminal's user runs Pincer: every command is theirs to use
    config: app.config,
    dmScope: app.config.session.dm_scope,
    store: app.store,
    dispatcher: app.dispatcher,
    knownModels: () => listKnownModels(app.config),
    isUsableModel: (ref) => app.isUsableModel(ref),
  });
  process.stdout.write(`${reply}${command.name === "help" ? `\n${LOCAL_HELP}` : ""}\n`);
}

/** "thinking…" on stderr until cleared; nothing unless at a terminal. Contract: clear() is idempotent. */
function showThinking(enabled: boolean): { clear(): void } {
  if (!enabled) return { clear: () => undefined };
  process.stderr.write("\x1b[2mthinking…\x1b[0m");
  let shown = true;
  return {
    clear() {
      if (!shown) return;
      shown = false;
      process.stderr.write("\r\x1b[K");
    },
  };
}

function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return "local";
  }
}
