// The Control UI's API under /api/v1 (status, runs, usage series, audit, channels and pairing, logs, config editing,
// skills from a registry, memory, budgets, schedules and automation, approvals and elevation, MCP servers): its routes are registered at start, and the route files load on the first request to any
// of them, so a gateway start loads none of it. Each route file owns its routes; the older JSON routes stay in api-routes.ts.
import { Hono } from "hono";
import type { Context } from "hono";
import type { GatewayContext } from "./gateway-context.ts";

export interface ControlRoutesOptions {
  ctx: GatewayContext;
  /** epoch ms */
  now: () => number;
  version: string;
  /** epoch ms */
  startedAt: number;
}

const BASE = "/api/v1";

/** Every route of the route files, as the main app registers it (a test keeps the two in step). */
export const CONTROL_ROUTES: ReadonlyArray<readonly ["GET" | "POST" | "PUT" | "PATCH" | "DELETE", string]> = [
  ["GET", "/status"],
  ["GET", "/runs"],
  ["GET", "/runs/stream"],
  ["GET", "/runs/:id"],
  ["GET", "/usage/daily"],
  ["GET", "/usage.csv"],
  ["GET", "/audit"],
  ["GET", "/channels"],
  ["GET", "/pairing"],
  ["POST", "/pairing/approve"],
  ["POST", "/pairing/deny"],
  ["POST", "/pairing/revoke"],
  ["GET", "/logs"],
  ["GET", "/logs/stream"],
  ["GET", "/config/file"],
  ["PUT", "/config/file"],
  ["POST", "/config/validate"],
  ["GET", "/skills"],
  ["GET", "/skills/:name"],
  ["GET", "/skills/registry/search"],
  ["GET", "/skills/registry/skills/:slug"],
  ["POST", "/skills/install"],
  ["POST", "/skills/:name/update"],
  ["DELETE", "/skills/:name"],
  ["POST", "/skills/:name/grant"],
  ["POST", "/skills/:name/revoke"],
  ["GET", "/memory/status"],
  ["GET", "/memory/search"],
  ["POST", "/memory/reindex"],
  ["GET", "/mcp"],
  ["POST", "/mcp/:server/restart"],
  ["GET", "/budgets"],
  ["GET", "/schedules"],
  ["POST", "/schedules"],
  ["GET", "/schedules/:id"],
  ["PATCH", "/schedules/:id"],
  ["DELETE", "/schedules/:id"],
  ["POST", "/schedules/:id/run"],
  ["POST", "/schedules/:id/suspend"],
  ["POST", "/schedules/:id/resume"],
  ["GET", "/schedules/:id/fires"],
  ["GET", "/automation"],
  ["GET", "/approvals"],
  ["POST", "/approvals/:id"],
  ["GET", "/approval-rules"],
  ["DELETE", "/approval-rules/:id"],
  ["GET", "/elevations"],
  ["GET", "/sessions/:key/elevation"],
  ["POST", "/sessions/:key/elevate"],
  ["POST", "/sessions/:key/elevate/confirm"],
  ["DELETE", "/sessions/:key/elevate"],
];

/**
 * Registers CONTROL_ROUTES on `app` (so route-labelled metrics and 404s work as for any route); the first request
 * loads the route files and builds their app, which answers this and every later request.
 * Contract: an error thrown by a route reaches `app`'s error handler.
 */
export function mountControlRoutes(app: Hono, opts: ControlRoutesOptions): void {
  let control: Promise<Hono> | undefined;
  const dispatch = async (c: Context): Promise<Response> => {
    control ??= createControlApp(opts).catch((err: unknown) => {
      control = undefined;
      throw err;
    });
    return (await control).fetch(c.req.raw, c.env);
  };
  for (const [method, path] of CONTROL_ROUTES) app.on(method, `${BASE}${path}`, dispatch);
}

/** The route files' routes in one app under /api/v1. */
export async function createControlApp(opts: ControlRoutesOptions): Promise<Hono> {
  const [status, runs, usage, audit, channels, logs, config, skills, memory, budgets, schedules, approvals] = await Promise.all([
    import("./api-status.ts"), import("./api-runs.ts"), import("./api-usage.ts"), import("./api-audit.ts"),
    import("./api-channels.ts"), import("./api-logs.ts"), import("./api-config.ts"), import("./api-skills.ts"), import("./api-memory.ts"),
    import("./api-budgets.ts"), import("./api-schedules.ts"), import("./api-approvals.ts"),
  ]);
  const mcp = await import("./api-mcp.ts");
  const app = new Hono().basePath(BASE);
  for (const routes of [
    status.createStatusRoutes(opts),
    runs.createRunRoutes(opts),
    usage.createUsageRoutes(opts),
    audit.createAuditRoutes(opts),
    channels.createChannelRoutes(opts),
    logs.createLogRoutes(opts),
    config.createConfigRoutes(opts),
    skills.createSkillRoutes(opts),
    memory.createMemoryRoutes(opts),
    budgets.createBudgetRoutes(opts),
    schedules.createScheduleRoutes(opts),
    approvals.createApprovalRoutes(opts),
    mcp.createMcpRoutes(opts),
  ]) app.route("/", routes);
  // The main app logs it, counts it and answers 500 without the details.
  app.onError((err) => {
    throw err;
  });
  return app;
}
