// /api/v1/sessions additions for the Control UI's Sessions page: each listed session's message count and usage, and
// POST /sessions/:key/reset — what `/reset` does in a chat (stop the running turn, forget the transcript, the quiet
// group context and the session's model override), for any session, from the API.
import { Hono } from "hono";
import type { Context } from "hono";
import { ZERO_USAGE, type Session, type Usage } from "../core/domain.ts";
import type { Store } from "../store/store.ts";
import type { GatewayContext } from "./gateway-context.ts";

/** A session as GET /api/v1/sessions lists it: its compaction summary left out (GET /sessions/:key has it). */
export type SessionListItem = Omit<Session, "compaction"> & {
  /** When its history was last compacted, epoch ms; absent when never. */
  compactedAt?: number;
  /** Transcript messages it holds now (a reset empties it). */
  messageCount: number;
  /** Every model call made for it, resets included. */
  usage: Usage;
};

/** Adds message counts and usage to a page of sessions, with two queries whatever the page's size. */
export async function withSessionStats(store: Store, sessions: readonly Session[]): Promise<SessionListItem[]> {
  const keys = sessions.map((s) => s.key);
  const [counts, totals] = await Promise.all([store.transcript.countPerSession(keys), store.usage.totalsPerSession(keys)]);
  return sessions.map(({ compaction, ...s }) => ({
    ...s, ...(compaction ? { compactedAt: compaction.at } : {}), messageCount: counts.get(s.key) ?? 0, usage: totals.get(s.key) ?? ZERO_USAGE,
  }));
}

const notFound = (c: Context, key: string): Response => c.json({ error: { type: "not_found", message: `session '${key}' not found` } }, 404);

export function createSessionRoutes(opts: { ctx: GatewayContext }): Hono {
  const { store, dispatcher } = opts.ctx;
  const api = new Hono();

  api.post("/sessions/:key/reset", async (c) => {
    const key = c.req.param("key");
    if (!(await store.sessions.get(key))) return notFound(c, key);
    const { runId } = dispatcher.stop(key, "cancelled");
    await store.sessions.clearTranscript(key);
    await store.groupContext.clear(key);
    await store.sessions.update(key, { modelOverride: undefined });
    return c.json({ reset: true, key, stoppedRunId: runId ?? null });
  });

  return api;
}
