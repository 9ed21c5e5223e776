// Chat commands answered by ingress without a model call: /help, /status, /new, /reset, /model, /usage, /stop,
// /whoami, /queue, /activation, /subagents, /approve, /deny, /elevate (approval-commands.ts); /compact runs a
// compaction as a run of the session (so it executes wherever runs do). Parsing is pure; running a command reads and writes the session through the store.
import { QUEUE_MODES, TIER_NAMES, type PincerConfig, type QueueMode } from "../../core/config-schema.ts";
import { ACTIVATION_MODES, type ActivationMode, type DmScope } from "../../core/channel-config.ts";
import type { InboundMessage } from "../../core/inbound.ts";
import type { Store } from "../../store/store.ts";
import type { Dispatcher } from "../dispatcher.ts";
import type { ApprovalService } from "../approval-service.ts";
import { ownEntry } from "../../core/own-entry.ts";
import { measureHistory } from "../../agent/context-manager.ts";
import { contextWindowOf } from "../../agent/context-window.ts";

export const COMMAND_NAMES = ["help", "status", "new", "reset", "model", "usage", "stop", "whoami", "queue", "activation", "subagents", "compact", "approve", "deny", "elevate"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface ParsedCommand {
  name: CommandName;
  /** The text after the command, trimmed. */
  args: string;
}

/** `/status`, `/status@my_bot`, `/model openai/gpt-5` → a command; anything else (including unknown `/x`) → undefined. */
export function parseCommand(text: string, botUsername?: string): ParsedCommand | undefined {
  const m = /^\/([a-z]+)(?:@([A-Za-z0-9_.-]+))?(?:\s+([\s\S]*))?$/i.exec(text.trim());
  if (!m) return undefined;
  const name = m[1]!.toLowerCase();
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) return undefined;
  // `/status@other_bot` in a group is addressed to another bot.
  if (m[2] && botUsername && m[2].toLowerCase() !== botUsername.replace(/^@/, "").toLowerCase()) return undefined;
  return { name: name as CommandName, args: (m[3] ?? "").trim() };
}

export interface CommandContext {
  msg: InboundMessage;
  sessionKey: string;
  agentId: string;
  /** The sender may change state everywhere: an owner of the channel account (`owners`), or the terminal's user. */
  owner: boolean;
  config: PincerConfig;
  dmScope: DmScope;
  store: Store;
  dispatcher: Dispatcher;
  /** Models the user may pick with /model: tier names and provider/model refs known to the config. */
  knownModels: () => string[];
  /** True when `ref` can be used (a configured tier, or a provider/model of a configured provider). */
  isUsableModel: (ref: string) => boolean;
  /** Answers approvals and turns elevated mode on and off; absent where no approval service runs. */
  approvals?: ApprovalService | undefined;
  /** Who the sender is for approvals and elevations when not `<channel>:<sender id>` (WebChat: `operator:ui`). */
  actor?: string;
  /** epoch ms; default Date.now. */
  now?: () => number;
}

/** The path of the account's config, for messages that tell the user what to change. */
const accountPath = (msg: InboundMessage): string => `channels.${msg.channel}.accounts.${msg.account}`;

const HELP = [
  "Commands:",
  "/status: agent, model, session, tokens used, context use, queue",
  "/compact [focus]: summarise the older part of this conversation now (optionally focusing on something)",
  "/new [model]: start a fresh conversation (optionally on another model)",
  "/reset: clear this conversation",
  "/model [name]: list models, or switch this conversation's model",
  "/usage: tokens and cost of this conversation, and the budgets that apply to it",
  "/stop: stop the current reply",
  "/subagents [kill <id>]: this conversation's sub-agents (status, tokens), or stop one",
  "/queue [followup|collect|steer|interrupt]: what happens to messages sent while I'm busy",
  "/activation mention|always: in a group, answer only when mentioned, or always (owners)",
  "/approve <id> [always], /deny <id>: answer a tool call waiting for approval (owners)",
  "/elevate on [minutes] [reason] | confirm <code> | off: elevated mode for this conversation (owners)",
  "/whoami: your id as I see it",
].join("\n");

/** Runs a command and returns the reply text. Contract: never calls a model itself (/compact sends a run of the session);
 * refuses state changes the sender may not make. */
export async function runCommand(cmd: ParsedCommand, ctx: CommandContext): Promise<string> {
  const { owner } = ctx;
  // The sender alone owns their DM session unless every DM shares one (`dm_scope: main`).
  const ownsSession = owner || (ctx.msg.chat.kind === "dm" && ctx.dmScope !== "main");
  const refuse = (what: string): string =>
    `Only an owner can ${what} here. Owners are listed in ${accountPath(ctx.msg)}.owners (your id: ${ctx.msg.sender.id}).`;

  switch (cmd.name) {
    case "help":
      return HELP;
    case "whoami":
      return whoami(ctx, owner);
    case "status":
      return status(ctx);
    case "usage":
      return usage(ctx);
    case "new":
    case "reset": {
      if (!ownsSession) return refuse("start a new conversation");
      const model = cmd.name === "new" && cmd.args ? cmd.args : undefined;
      if (model && !ctx.isUsableModel(model)) return unknownModel(model, ctx);
      ctx.dispatcher.stop(ctx.sessionKey, "cancelled");
      // A fresh conversation ends elevated mode (audited `elevation.end`, reason `/new`).
      const { endElevation } = await import("../elevations.ts");
      await endElevation({ store: ctx.store, policy: () => ctx.config.policy.elevated, now: ctx.now ?? Date.now }, ctx.sessionKey, `${ctx.msg.channel}:${ctx.msg.sender.id}`, `/${cmd.name}`);
      await ctx.store.sessions.clearTranscript(ctx.sessionKey);
      await ctx.store.groupContext.clear(ctx.sessionKey);
      await ctx.store.sessions.update(ctx.sessionKey, { modelOverride: model });
      return model ? `New conversation started on ${model}.` : "New conversation started. I've forgotten what we said before.";
    }
    case "model": {
      if (!cmd.args) return listModels(ctx);
      if (!ownsSession) return refuse("switch the model");
      if (cmd.args === "reset" || cmd.args === "default") {
        await ctx.store.sessions.update(ctx.sessionKey, { modelOverride: undefined });
        return `This conversation uses the agent's model again (${ownEntry(ctx.config.agents, ctx.agentId)?.model ?? "default"}).`;
      }
      if (!ctx.isUsableModel(cmd.args)) return unknownModel(cmd.args, ctx);
      await ctx.store.sessions.update(ctx.sessionKey, { modelOverride: cmd.args });
      return `This conversation now uses ${cmd.args}.`;
    }
    case "stop": {
      if (!ownsSession) return refuse("stop replies");
      const { runId, dropped } = ctx.dispatcher.stop(ctx.sessionKey, "cancelled");
      if (!runId && dropped === 0) return "Nothing is running.";
      return `Stopped.${dropped > 0 ? ` ${dropped} queued message(s) dropped.` : ""}`;
    }
    case "subagents": {
      if (cmd.args !== "" && !ownsSession) return refuse("stop sub-agents");
      const { runSubagentsCommand } = await import("../subagent-supervisor.ts");
      return runSubagentsCommand({ store: ctx.store, dispatcher: ctx.dispatcher, now: Date.now }, ctx.sessionKey, cmd.args);
    }
    case "queue": {
      const session = await ctx.store.sessions.get(ctx.sessionKey);
      const current = session?.queueMode ?? ownEntry(ctx.config.agents, ctx.agentId)?.queue_mode ?? "followup";
      if (!cmd.args) return `Queue mode: ${current}. Options: ${QUEUE_MODES.join(", ")}.`;
      const mode = cmd.args.toLowerCase();
      if (!(QUEUE_MODES as readonly string[]).includes(mode)) return `Unknown queue mode "${cmd.args}". Options: ${QUEUE_MODES.join(", ")}.`;
      if (!ownsSession) return refuse("change the queue mode");
      await ctx.store.sessions.update(ctx.sessionKey, { queueMode: mode as QueueMode });
      return `Queue mode set to ${mode}.`;
    }
    case "compact":
      if (!ownsSession) return refuse("compact the conversation");
      return compact(ctx, cmd.args);
    case "approve":
    case "deny":
    case "elevate": {
      const { runApprovalCommand } = await import("./approval-commands.ts");
      return runApprovalCommand({ name: cmd.name, args: cmd.args }, ctx);
    }
    case "activation": {
      if (ctx.msg.chat.kind !== "group") return "/activation applies to groups only.";
      const mode = cmd.args.toLowerCase();
      if (!(ACTIVATION_MODES as readonly string[]).includes(mode)) {
        const session = await ctx.store.sessions.get(ctx.sessionKey);
        return `Activation: ${session?.activation ?? "from config"}. Use /activation mention or /activation always.`;
      }
      if (!owner) return refuse("change activation");
      await ctx.store.sessions.update(ctx.sessionKey, { activation: mode as ActivationMode });
      return mode === "always" ? "I'll answer every message in this group." : "I'll answer in this group only when mentioned.";
    }
  }
}

function whoami(ctx: CommandContext, owner: boolean): string {
  const s = ctx.msg.sender;
  return [
    `You are ${s.name ?? s.username ?? s.id}${s.username ? ` (@${s.username})` : ""}.`,
    `Id: ${s.id} on ${ctx.msg.channel} (account ${ctx.msg.account}).`,
    `Chat: ${ctx.msg.chat.kind} ${ctx.msg.chat.id}${ctx.msg.threadId ? `, thread ${ctx.msg.threadId}` : ""}.`,
    `Owner: ${owner ? "yes" : "no"}.`,
  ].join("\n");
}

async function status(ctx: CommandContext): Promise<string> {
  const session = await ctx.store.sessions.get(ctx.sessionKey);
  const agent = ownEntry(ctx.config.agents, ctx.agentId);
  const model = session?.modelOverride ?? agent?.model ?? "default";
  const total = await ctx.store.usage.sessionTotal(ctx.sessionKey);
  const running = ctx.dispatcher.lanes.activeRunId(ctx.sessionKey);
  const waiting = ctx.dispatcher.lanes.queueDepth(ctx.sessionKey);
  const context = await measureHistory(ctx.store, ctx.sessionKey, ctx.config);
  const window = contextWindowOf(model, ctx.config);
  const lines = [
    `Agent: ${ctx.agentId}`,
    `Model: ${model}${session?.modelOverride ? " (this conversation)" : ""}`,
    `Session: ${ctx.sessionKey}`,
    `Tokens: ${total.inputTokens} in, ${total.outputTokens} out${total.cachedTokens ? `, ${total.cachedTokens} cached` : ""}${total.costUsd ? ` ($${total.costUsd.toFixed(4)})` : ""}`,
    `Context: history about ${context.tokens.toLocaleString("en-US")} of ${window.toLocaleString("en-US")} tokens (${Math.round((100 * context.tokens) / window)}%); ${
      context.compaction ? `last compacted ${new Date(context.compaction.at).toISOString().replace("T", " ").slice(0, 16)} UTC` : "never compacted"}`,
    `Queue: ${session?.queueMode ?? agent?.queue_mode ?? "followup"}; ${running ? "a reply is running" : "idle"}${waiting ? `, ${waiting} waiting` : ""}`,
  ];
  if (ctx.msg.chat.kind === "group") lines.push(`Activation: ${session?.activation ?? "from config"}`);
  if (ctx.approvals) lines.push(...(await (await import("./approval-commands.ts")).approvalStatusLines(ctx)));
  return lines.join("\n");
}

/** Sends `/compact [focus]` as a run of the session and answers with its outcome (a few seconds: a flush and a summary). */
async function compact(ctx: CommandContext, focus: string): Promise<string> {
  // Waiting behind a running reply would hold this chat's next commands (/stop included) until both ended.
  if (ctx.dispatcher.lanes.activeRunId(ctx.sessionKey)) return "A reply is running. Send /compact again when it has finished (or /stop it).";
  const submitted = await ctx.dispatcher.send({
    agentId: ctx.agentId, sessionKey: ctx.sessionKey, channel: ctx.msg.channel, text: focus ? `/compact ${focus}` : "/compact", queueMode: "followup",
  });
  const outcome = await submitted.result;
  if (outcome.status === "succeeded") return outcome.reply;
  return `Compaction did not finish (${outcome.status}${outcome.error ? `: ${outcome.error}` : ""}). The conversation is unchanged; try /compact again.`;
}

async function usage(ctx: CommandContext): Promise<string> {
  const rows = await ctx.store.usage.totals({ sessionKey: ctx.sessionKey });
  const lines = rows.map((r) => `${r.provider}/${r.model}: ${r.calls} call(s), ${r.inputTokens} in, ${r.outputTokens} out${r.costUsd ? `, $${r.costUsd.toFixed(4)}` : ""}`);
  const text = rows.length === 0 ? ["No tokens used in this conversation yet."] : ["Usage in this conversation:", ...lines];
  return [...text, ...(await budgetLines(ctx))].join("\n");
}

/** The budgets that apply to this conversation and sender, with their use and reset (none configured: no lines). */
async function budgetLines(ctx: CommandContext): Promise<string[]> {
  if (ctx.config.budgets.length === 0) return [];
  const { describeStatus, matchBudgets, measureBudgets } = await import("../../models/budget-status.ts");
  const payer = { sessionKey: ctx.sessionKey, agentId: ctx.agentId, sender: `${ctx.msg.channel}:${ctx.msg.sender.id}` };
  const statuses = await measureBudgets(ctx.store, matchBudgets(ctx.config.budgets, payer), Date.now());
  if (statuses.length === 0) return [];
  return ["", "Budgets:", ...statuses.map((s) => `• ${describeStatus(s)}`)];
}

function listModels(ctx: CommandContext): string {
  const known = ctx.knownModels();
  if (known.length === 0) return "No models are configured. Run 'pincer onboard' on the host.";
  return [`Models (use /model <name>):`, ...known.map((m) => `• ${m}`)].join("\n");
}

function unknownModel(name: string, ctx: CommandContext): string {
  return `Unknown model "${name}".\n${listModels(ctx)}`;
}

/** Tier names configured, then every provider/model the tiers mention. */
export function listKnownModels(config: PincerConfig): string[] {
  const out: string[] = [];
  for (const tier of TIER_NAMES) {
    const t = ownEntry(config.models.tiers, tier);
    if (t) out.push(tier);
  }
  for (const tier of Object.values(config.models.tiers)) {
    for (const ref of [tier.primary, ...tier.fallbacks]) if (!out.includes(ref) && ref.includes("/")) out.push(ref);
  }
  return out;
}
