// GET /api/v1/budgets: every configured budget with its use in the current period and when it resets. A session
// budget is measured for `?session=<key>`, or else for the sessions that spent most of it (among the recent ones).
import { Hono } from "hono";
import { z } from "zod";
import { budgetStatusJson, listBudgets } from "../models/budget-status.ts";
import { parseQuery, textParam } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";

const budgetsQuery = z.object({ session: textParam.optional() });

export function createBudgetRoutes(opts: { ctx: GatewayContext; now: () => number }): Hono {
  const api = new Hono();
  api.get("/budgets", async (c) => {
    const q = parseQuery(c, budgetsQuery);
    if (!q.ok) return q.response;
    const listings = await listBudgets(opts.ctx.store, opts.ctx.config.budgets, { now: opts.now(), ...(q.value.session ? { session: q.value.session } : {}) });
    return c.json({
      data: listings.map((l) => ({
        index: l.index,
        scope: l.budget.scope,
        period: l.budget.period,
        action: l.budget.action,
        maxTokens: l.budget.max_tokens ?? null,
        maxUsd: l.budget.max_usd ?? null,
        tz: l.budget.tz,
        ...(l.budget.action === "downgrade" ? { downgradeTo: l.budget.downgrade_to } : {}),
        topConsumers: l.topConsumers,
        statuses: l.statuses.map(budgetStatusJson),
      })),
    });
  });
  return api;
}
