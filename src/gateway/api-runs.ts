// /api/v1/runs: the runs table with filters and paging, one run with its events, and a server-sent-events stream of
// runs starting and finishing in every session (for a live runs page). Read from the Store, so it is the same in
// both runtimes; the stream follows the dispatcher's run events.
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { RunStatus } from "../core/domain.ts";
import type { RunEvent } from "../core/events.ts";
import { limitParam, notFound, parseQuery, textParam, timeParam, holdEventStream } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";
import { toRunEvents, toRunSummary, type RunSummary } from "./run-view.ts";

const RUN_STATUSES = ["pending", "running", "waiting_approval", "succeeded", "failed", "cancelled", "interrupted"] as const satisfies readonly RunStatus[];

const runsQuery = z.object({
  // `status=failed,running` filters on several statuses at once.
  status: z
    .string()
    .transform((s) => s.split(",").map((x) => x.trim()))
    .pipe(z.array(z.enum(RUN_STATUSES, { error: `must be one or more of ${RUN_STATUSES.join(", ")}, comma-separated` })))
    .optional(),
  session: textParam.optional(),
  agent: textParam.optional(),
  model: textParam.optional(),
  errorCode: textParam.optional(),
  since: timeParam.optional(),
  until: timeParam.optional(),
  before: textParam.optional(),
  limit: limitParam.default(50),
});

/** Comment lines keep the stream open through proxies that drop idle connections. */

export function createRunRoutes(opts: { ctx: GatewayContext }): Hono {
  const { ctx } = opts;
  const api = new Hono();

  const summarize = async (runs: Awaited<ReturnType<GatewayContext["store"]["runs"]["list"]>>): Promise<RunSummary[]> => {
    const counts = await ctx.store.audit.countPerRun("tool.call", runs.map((r) => r.id));
    return runs.map((run) => toRunSummary(run, counts.get(run.id) ?? 0));
  };

  api.get("/runs", async (c) => {
    const q = parseQuery(c, runsQuery);
    if (!q.ok) return q.response;
    const { status, session, agent, model, errorCode, since, until, before, limit } = q.value;
    const runs = await ctx.store.runs.list({
      limit,
      ...(status ? { status } : {}),
      ...(session ? { sessionKey: session } : {}),
      ...(agent ? { agentId: agent } : {}),
      ...(model ? { model } : {}),
      ...(errorCode ? { errorCode } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(before ? { before } : {}),
    });
    // `next`: pass as `before` for the following page; null on the last one.
    return c.json({ data: await summarize(runs), next: runs.length === limit ? (runs.at(-1)?.id ?? null) : null });
  });

  api.get("/runs/stream", (c) =>
    streamSSE(c, async (stream) => {
      // Writes stay in event order although each needs a store read first.
      let chain = Promise.resolve();
      const send = (event: "run.started" | "run.finished", runId: string): void => {
        chain = chain
          .then(async () => {
            const run = await ctx.store.runs.get(runId);
            if (!run || stream.aborted) return;
            const [summary] = await summarize([run]);
            await stream.writeSSE({ event, data: JSON.stringify(summary) });
          })
          .catch((err: unknown) => ctx.log.warn({ err, runId }, "runs stream: event not sent"));
      };
      const unsubscribe = ctx.dispatcher.subscribe((e: RunEvent) => {
        if (e.type === "run_started") send("run.started", e.runId);
        else if (e.type === "run_finished") send("run.finished", e.runId);
      });
      await holdEventStream(stream, "{}", unsubscribe);
    }),
  );

  api.get("/runs/:id", async (c) => {
    const run = await ctx.store.runs.get(c.req.param("id"));
    if (!run) return notFound(c, `run '${c.req.param("id")}'`);
    const [messages, audits, [summary]] = await Promise.all([
      ctx.store.transcript.listRun(run.sessionKey, run.id),
      ctx.store.audit.list({ runId: run.id, kind: "tool.call", limit: 1_000 }),
      summarize([run]),
    ]);
    return c.json({ ...summary, events: toRunEvents(messages, audits) });
  });

  return api;
}
