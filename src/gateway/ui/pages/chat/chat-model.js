// The Chat page's view model, pure: the items a conversation shows (user messages, answers, tool calls, run outcomes,
// command replies), built from a `history` frame and updated by live run frames — so both look the same.

/**
 * @typedef {{ kind: "user", key: string, text: string, images: Array<{ url?: string, name: string }>, state: "pending" | "sending" | "sent" | "failed", error?: string }} UserItem
 * @typedef {{ kind: "assistant", key: string, runId?: string, text: string, streaming: boolean }} AssistantItem
 * @typedef {{ kind: "tool", key: string, runId?: string, callId: string, name: string, args: unknown, status: "running" | "ok" | "error" | "denied", preview?: string }} ToolItem
 * @typedef {{ kind: "status", key: string, runId: string, status: string, error?: string }} StatusItem
 * @typedef {{ kind: "command", key: string, command: string, reply: string }} CommandItem
 * @typedef {UserItem | AssistantItem | ToolItem | StatusItem | CommandItem} Item
 */

/** Outcomes worth a line under the turn. */
const SHOWN_OUTCOMES = new Set(["failed", "cancelled", "interrupted"]);

const basename = (path) => path.split("/").pop() ?? path;

/** Tool status from a result: denied by policy, failed, or done. */
export function toolStatus({ decision, isError }) {
  return decision === "deny" ? "denied" : isError ? "error" : "ok";
}

/** Items for a history frame's `messages` and `runs` (docs/protocol.md). Also returns the run still in flight, if any. */
export function itemsFromHistory(messages, runs = []) {
  /** @type {Item[]} */
  const items = [];
  const tools = new Map();
  const outcome = new Map(runs.map((r) => [r.runId, r]));
  const lastOfRun = new Map();
  messages.forEach((m, i) => m.runId && lastOfRun.set(m.runId, i));
  const written = new Set(lastOfRun.keys());

  messages.forEach((m, i) => {
    const parts = m.parts ?? [{ type: "text", text: m.text }];
    const key = `h${i}`;
    if (m.role === "user") {
      const text = parts.filter((p) => p.type === "text").map((p) => p.text).join("\n");
      const images = parts.filter((p) => p.type === "image").map((p) => ({ name: basename(p.path) }));
      items.push({ kind: "user", key, text, images, state: "sent" });
    } else {
      parts.forEach((p, j) => {
        if (p.type === "text" && p.text) items.push({ kind: "assistant", key: `${key}.${j}`, runId: m.runId, text: p.text, streaming: false });
        else if (p.type === "tool_call") {
          const item = { kind: "tool", key: `${key}.${j}`, runId: m.runId, callId: p.callId, name: p.name, args: p.args, status: "running" };
          tools.set(p.callId, item);
          items.push(item);
        } else if (p.type === "tool_result") {
          const item = tools.get(p.callId);
          if (item) Object.assign(item, { status: toolStatus(p), preview: p.preview });
          else items.push({ kind: "tool", key: `${key}.${j}`, runId: m.runId, callId: p.callId, name: p.name, args: undefined, status: toolStatus(p), preview: p.preview });
        }
      });
    }
    const run = m.runId && lastOfRun.get(m.runId) === i ? outcome.get(m.runId) : undefined;
    if (run && SHOWN_OUTCOMES.has(run.status)) items.push(statusItem(run.runId, run.status, run.error));
  });

  // Runs that wrote nothing (failed before the agent started, or still queued): their input, then their outcome.
  for (const run of runs) {
    if (written.has(run.runId)) continue;
    if (run.input) items.push({ kind: "user", key: `in-${run.runId}`, text: run.input, images: [], state: "sent" });
    if (SHOWN_OUTCOMES.has(run.status)) items.push(statusItem(run.runId, run.status, run.error));
  }
  const active = runs.findLast((r) => r.status === "running" || r.status === "pending")?.runId;
  return { items, active };
}

function statusItem(runId, status, error) {
  return { kind: "status", key: `st-${runId}`, runId, status, ...(error ? { error } : {}) };
}

/** The items after one live run frame of this conversation (a new array; items are replaced, never mutated). */
export function applyRunFrame(items, frame) {
  switch (frame.type) {
    case "run.delta": {
      const last = items.at(-1);
      if (last?.kind === "assistant" && last.runId === frame.runId && last.streaming) {
        return [...items.slice(0, -1), { ...last, text: last.text + frame.text }];
      }
      return [...items, { kind: "assistant", key: `a-${frame.runId}-${items.length}`, runId: frame.runId, text: frame.text, streaming: true }];
    }
    case "run.tool_start": {
      const ended = items.map((it) => (it.kind === "assistant" && it.runId === frame.runId && it.streaming ? { ...it, streaming: false } : it));
      return [...ended, { kind: "tool", key: `t-${frame.callId}`, runId: frame.runId, callId: frame.callId, name: frame.name, args: frame.args, status: "running" }];
    }
    case "run.tool_end": {
      const at = items.findLastIndex((it) => it.kind === "tool" && it.callId === frame.callId);
      const done = { status: toolStatus(frame), preview: frame.preview };
      if (at < 0) return [...items, { kind: "tool", key: `t-${frame.callId}`, runId: frame.runId, callId: frame.callId, name: frame.name, args: undefined, ...done }];
      return items.map((it, i) => (i === at ? { ...it, ...done } : it));
    }
    case "run.final": {
      let out = items.map((it) => (it.kind === "assistant" && it.runId === frame.runId && it.streaming ? { ...it, streaming: false } : it));
      // The final reply is authoritative (a client that attached mid-run missed earlier deltas).
      const lastTool = out.findLastIndex((it) => it.kind === "tool" && it.runId === frame.runId);
      const lastText = out.findLastIndex((it) => it.kind === "assistant" && it.runId === frame.runId);
      if (frame.reply && lastText > lastTool) out = out.map((it, i) => (i === lastText ? { ...it, text: frame.reply } : it));
      else if (frame.reply && frame.status === "succeeded") out = [...out, { kind: "assistant", key: `a-${frame.runId}-final`, runId: frame.runId, text: frame.reply, streaming: false }];
      out = out.map((it) => (it.kind === "tool" && it.runId === frame.runId && it.status === "running" ? { ...it, status: "error" } : it));
      if (SHOWN_OUTCOMES.has(frame.status)) out = [...out, statusItem(frame.runId, frame.status, frame.error)];
      return out;
    }
    default:
      return items;
  }
}

/** What a run outcome says under the turn. */
export function describeOutcome(status, error) {
  const word = { failed: "Failed", cancelled: "Stopped", interrupted: "Interrupted" }[status] ?? status;
  return error ? `${word}: ${error}` : word;
}
