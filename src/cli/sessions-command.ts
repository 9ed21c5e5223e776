// `pincer sessions list|show`: conversations, their transcripts and runs. Keys are listed in their short form
// (`cli:dm:local` for `agent:default:cli:dm:local`, the agent in its own column); `show` takes either form.
import type { App } from "../app.ts";
import { CliFailure, EXIT_USAGE, formatTime, printJson, renderTable } from "./output.ts";
import { withApp, type GlobalOptions } from "./cli-app.ts";
import { createPriceCheck, formatCost } from "./cost-text.ts";

export async function listSessions(g: GlobalOptions, opts: { agent?: string; limit: string; json?: boolean }): Promise<void> {
  await withApp(g, async (app) => {
    const sessions = await app.store.sessions.list({ ...(opts.agent ? { agentId: opts.agent } : {}), limit: toLimit(opts.limit) });
    if (opts.json) return printJson(sessions);
    if (sessions.length === 0) {
      process.stdout.write("no sessions yet — start one with: pincer chat\n");
      return;
    }
    const rows = sessions.map((s) => [shortKey(s.key, s.agentId), s.agentId, s.channel, s.modelOverride ?? "-", formatTime(s.updatedAt)]);
    process.stdout.write(`${renderTable(["SESSION", "AGENT", "CHANNEL", "MODEL", "UPDATED"], rows)}\n`);
  });
}

export async function showSession(g: GlobalOptions, keyArg: string, opts: { agent?: string; limit: string; json?: boolean }): Promise<void> {
  const limit = toLimit(opts.limit);
  await withApp(g, async (app) => {
    const key = await findSessionKey(app, keyArg, opts.agent);
    const session = (await app.store.sessions.get(key))!;
    const messages = await app.store.transcript.list(key, { limit });
    const runs = await app.store.runs.list({ sessionKey: key, limit });
    const usage = await app.store.usage.sessionTotal(key);
    if (opts.json) return printJson({ session, usage, runs, messages });
    const isPriced = createPriceCheck(app.config);
    const byModel = (await app.store.usage.totals({ sessionKey: key })).map(isPriced);
    const cost = formatCost(usage.costUsd, { some: byModel.includes(false), all: byModel.length > 0 && !byModel.includes(true) });
    const out: string[] = [`session ${key} · agent ${session.agentId} · ${usage.inputTokens} in / ${usage.outputTokens} out tokens · ${cost}`, ""];
    for (const m of messages) out.push(`${m.role.padEnd(9)} ${renderContent(m.content)}`);
    out.push("", renderTable(["RUN", "STATUS", "MODEL", "STARTED", "ERROR"], runs.map((r) => [r.id, r.status, r.model ?? "-", formatTime(r.startedAt), r.errorCode ?? ""])));
    process.stdout.write(`${out.join("\n")}\n`);
  });
}

/** A session key without its `agent:<id>:` prefix, as listed. */
export function shortKey(key: string, agentId: string): string {
  const prefix = `agent:${agentId}:`;
  return key.startsWith(prefix) && key.length > prefix.length ? key.slice(prefix.length) : key;
}

/** The full key for what the user typed: the key itself, or a short form under --agent or under exactly one agent. */
async function findSessionKey(app: App, typed: string, agent: string | undefined): Promise<string> {
  if (await app.store.sessions.get(typed)) return typed;
  const agents = agent ? [agent] : Object.keys(app.config.agents);
  const found: string[] = [];
  for (const id of agents) {
    const key = `agent:${id}:${typed}`;
    if (await app.store.sessions.get(key)) found.push(key);
  }
  if (found.length === 1) return found[0]!;
  if (found.length > 1) throw new CliFailure(`"${typed}" names a session of several agents: ${found.join(", ")}. Pick one with --agent <id> or give the full key`, EXIT_USAGE);
  throw new CliFailure(`no session "${typed}" — list them with: pincer sessions list`);
}

function toLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new CliFailure(`--limit: expected a positive whole number, got ${JSON.stringify(text)}`, EXIT_USAGE);
  return n;
}

/** One line per transcript message: text, tool calls and tool results summarized. */
function renderContent(content: unknown): string {
  const message = content as { content?: unknown };
  const body = message.content;
  if (typeof body === "string") return oneLine(body);
  if (!Array.isArray(body)) return oneLine(JSON.stringify(body));
  return body
    .map((part: { type?: string; text?: string; toolName?: string; input?: unknown; output?: { value?: unknown } }) => {
      if (part.type === "text") return oneLine(part.text ?? "");
      if (part.type === "tool-call") return `[call ${part.toolName} ${oneLine(JSON.stringify(part.input))}]`;
      if (part.type === "tool-result") return `[${part.toolName} → ${oneLine(String(part.output?.value ?? ""))}]`;
      return `[${part.type}]`;
    })
    .join(" ");
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}
