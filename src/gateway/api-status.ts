// /api/v1/status: the gateway at a glance, for the Overview page and `pincer status` — version and uptime, each model
// provider's live reachability, channel accounts, runs in flight, today's usage, the latest errors and the dashboard URL.
import { Hono } from "hono";
import { z } from "zod";
import { redactSecrets } from "../config/redact.ts";
import { ZERO_USAGE, addUsage, type Usage } from "../core/domain.ts";
import type { ProviderReachability } from "../models/reachability-probe.ts";
import { listChannelAccounts, type ChannelAccountView } from "./api-channels.ts";
import { parseQuery } from "./api-input.ts";
import { localDate, localMidnight } from "./api-usage.ts";
import type { GatewayContext } from "./gateway-context.ts";
import { defaultAgentId } from "./openai-routes.ts";
import { parseLogLine } from "../config/log-reader.ts";

/** Errors listed in `errors`. */
export const STATUS_ERRORS = 10;

const statusQuery = z.object({
  probe: z.enum(["0", "1", "true", "false"], { error: "must be 1 (probe the providers now) or 0" }).optional(),
});

export interface StatusError {
  at: number;
  source: "run" | "log";
  message: string;
  /** The run's error code (`timeout`, `auth_failed` …) or the log line's component. */
  code: string | null;
  runId: string | null;
  session: string | null;
}

export interface GatewayStatus {
  version: string;
  /** epoch ms */
  startedAt: number;
  uptimeMs: number;
  dashboardUrl: string;
  /** The default agent's model, and what stops it from answering, if anything. */
  defaultModel: { ref: string; ok: boolean; problem: string | null };
  models: ProviderReachability[];
  channels: ChannelAccountView[];
  runs: { inFlight: Array<{ id: string; session: string; agent: string; status: string; since: number }> };
  today: Usage & { date: string; since: number; calls: number; byModel: Array<Usage & { model: string; calls: number }> };
  errors: StatusError[];
}

export function createStatusRoutes(opts: { ctx: GatewayContext; now: () => number; version: string; startedAt: number }): Hono {
  const { ctx } = opts;
  const api = new Hono();
  api.get("/status", async (c) => {
    const q = parseQuery(c, statusQuery);
    if (!q.ok) return q.response;
    const force = q.value.probe === "1" || q.value.probe === "true";
    const now = opts.now();
    const since = localMidnight(now, 0);
    const [models, defaultModel, inFlight, totals, failed] = await Promise.all([
      ctx.probeProviders?.({ force }) ?? Promise.resolve([]),
      checkDefaultModel(ctx),
      ctx.store.runs.list({ status: ["running", "pending"], limit: 100 }),
      ctx.store.usage.totals({ since }),
      ctx.store.runs.list({ status: ["failed"], limit: STATUS_ERRORS }),
    ]);
    const today = totals.reduce((sum, t) => ({ ...addUsage(sum, t), calls: sum.calls + t.calls }), { ...ZERO_USAGE, calls: 0 });
    const errors: StatusError[] = [
      ...failed.map((r) => ({
        at: r.finishedAt ?? r.createdAt, source: "run" as const, message: redactSecrets(r.error ?? r.errorCode ?? "failed"),
        code: r.errorCode ?? null, runId: r.id, session: r.sessionKey,
      })),
      ...(ctx.logFile?.recentErrors() ?? []).map((raw) => {
        const e = parseLogLine(raw);
        return { at: e.time, source: "log" as const, message: e.msg, code: e.component ?? null, runId: null, session: null };
      }),
    ].sort((a, b) => b.at - a.at).slice(0, STATUS_ERRORS);
    const status: GatewayStatus = {
      version: opts.version,
      startedAt: opts.startedAt,
      uptimeMs: Math.max(0, now - opts.startedAt),
      dashboardUrl: `${new URL(c.req.url).origin}/`,
      defaultModel,
      models,
      channels: listChannelAccounts(ctx),
      runs: { inFlight: inFlight.map((r) => ({ id: r.id, session: r.sessionKey, agent: r.agentId, status: r.status, since: r.startedAt ?? r.createdAt })) },
      today: { date: localDate(now), since, ...today, byModel: totals.map((t) => ({ ...t, model: `${t.provider}/${t.model}` })) },
      errors,
    };
    return c.json(status);
  });
  return api;
}

/** Whether the default agent's model resolves and has a credential (what /readyz checks), without a request. */
async function checkDefaultModel(ctx: GatewayContext): Promise<GatewayStatus["defaultModel"]> {
  let ref = "default";
  try {
    ref = ctx.agentConfig(defaultAgentId(ctx.config)).model;
    await ctx.models.preflight(ref);
    return { ref, ok: true, problem: null };
  } catch (err) {
    return { ref, ok: false, problem: redactSecrets(err instanceof Error ? err.message : String(err)) };
  }
}
