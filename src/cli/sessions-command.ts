// `pincer sessions list|show`: conversations, their transcripts and runs.
import { CliFailure, formatTime, printJson, renderTable } from "./output.ts";
import { withApp, type GlobalOptions } from "./cli-app.ts";

export async function listSessions(g: GlobalOptions, opts: { agent?: string; limit: string; json?: boolean }): Promise<void> {
  await withApp(g, async (app) => {
    const sessions = await app.store.sessions.list({ ...(opts.agent ? { agentId: opts.agent } : {}), limit: toLimit(opts.limit) });
    if (opts.json) return printJson(sessions);
    if (sessions.length === 0) {
      process.stdout.write("no sessions yet — start one with: pincer chat\n");
      return;
    }
    const rows = sessions.map((s) => [s.key, s.agentId, s.channel, s.modelOverride ?? "-", formatTime(s.updatedAt)]);
    process.stdout.write(`${renderTable(["SESSION", "AGENT", "CHANNEL", "MODEL", "UPDATED"], rows)}\n`);
  });
}

export async function showSession(g: GlobalOptions, key: string, opts: { limit: string; json?: boolean }): Promise<void> {
  await withApp(g, async (app) => {
    const session = await app.store.sessions.get(key);
    if (!session) throw new CliFailure(`no session "${key}" — list them with: pincer sessions list`);
    const messages = await app.store.transcript.list(key, { limit: toLimit(opts.limit) });
    const runs = await app.store.runs.list({ sessionKey: key, limit: 20 });
    const usage = await app.store.usage.sessionTotal(key);
    if (opts.json) return printJson({ session, usage, runs, messages });
    const out: string[] = [`session ${key} · agent ${session.agentId} · ${usage.inputTokens} in / ${usage.outputTokens} out tokens · $${usage.costUsd.toFixed(4)}`, ""];
    for (const m of messages) out.push(`${m.role.padEnd(9)} ${renderContent(m.content)}`);
    out.push("", renderTable(["RUN", "STATUS", "MODEL", "STARTED", "ERROR"], runs.map((r) => [r.id, r.status, r.model ?? "-", formatTime(r.startedAt), r.errorCode ?? ""])));
    process.stdout.write(`${out.join("\n")}\n`);
  });
}

function toLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new CliFailure(`--limit: expected a positive whole number, got ${JSON.stringify(text)}`, 2);
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
