// A session's history for /ws clients: the newest transcript messages with structured parts, the outcome of the runs
// that wrote them (so failed, stopped and interrupted turns show as they did live) and the tool gate's decisions.
import type { Run } from "../core/domain.ts";
import type { Store } from "../store/store.ts";
import { toHistoryMessages, type HistoryMessage, type HistoryRun } from "./ws-protocol.ts";

/**
 * Loads the newest `limit` messages of a session, oldest first, and the runs in their window: every run that wrote one
 * of them, plus runs that wrote nothing yet (queued, or failed before the agent started) and are newer than the
 * oldest message shown — or, when the transcript is empty (a new or just reset conversation), only those in flight.
 */
export async function loadChatHistory(store: Store, sessionKey: string, limit: number): Promise<{ messages: HistoryMessage[]; runs: HistoryRun[] }> {
  const rows = await store.transcript.list(sessionKey, { limit });
  const oldest = rows[0]?.createdAt;
  const written = new Set(rows.map((r) => r.runId).filter((id): id is string => id !== undefined));
  const recent = await store.runs.list({ sessionKey, limit: Math.min(limit, 500) }); // newest first
  const runs = recent.filter((run) => {
    if (written.has(run.id)) return true;
    if (oldest === undefined) return run.status === "pending" || run.status === "running" || run.status === "waiting_approval";
    return run.createdAt >= oldest;
  });

  const withTools = new Set(rows.filter((r) => r.role === "tool" && r.runId !== undefined).map((r) => r.runId!));
  const decisions = new Map<string, "allow" | "deny">();
  for (const runId of withTools) {
    for (const record of await store.audit.list({ runId, kind: "tool.call", limit: 1000 })) {
      const callId = record.detail?.["callId"];
      if (typeof callId === "string" && (record.decision === "allow" || record.decision === "deny")) decisions.set(callId, record.decision);
    }
  }
  return { messages: toHistoryMessages(rows, decisions), runs: runs.reverse().map((run) => toHistoryRun(run, written.has(run.id))) };
}

function toHistoryRun(run: Run, wroteMessages: boolean): HistoryRun {
  return {
    runId: run.id,
    status: run.status,
    createdAt: run.createdAt,
    ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
    ...(run.errorCode !== undefined ? { errorCode: run.errorCode } : {}),
    ...(run.error !== undefined ? { error: run.error } : {}),
    ...(wroteMessages ? {} : { input: run.input }),
  };
}
