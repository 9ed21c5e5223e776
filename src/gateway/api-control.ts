// Mounts the Control UI's API route files under /api/v1 (status, runs, usage series, audit, channels and pairing,
// logs, config editing); each file owns its routes. The older JSON routes stay in api-routes.ts.
import { Hono } from "hono";
import { createAuditRoutes } from "./api-audit.ts";
import { createChannelRoutes } from "./api-channels.ts";
import { createConfigRoutes } from "./api-config.ts";
import { createLogRoutes } from "./api-logs.ts";
import { createRunRoutes } from "./api-runs.ts";
import { createStatusRoutes } from "./api-status.ts";
import { createUsageRoutes } from "./api-usage.ts";
import type { GatewayContext } from "./gateway-context.ts";

export interface ControlRoutesOptions {
  ctx: GatewayContext;
  /** epoch ms */
  now: () => number;
  version: string;
  /** epoch ms */
  startedAt: number;
}

export function createControlRoutes(opts: ControlRoutesOptions): Hono {
  const api = new Hono();
  for (const routes of [
    createStatusRoutes(opts),
    createRunRoutes(opts),
    createUsageRoutes(opts),
    createAuditRoutes(opts),
    createChannelRoutes(opts),
    createLogRoutes(opts),
    createConfigRoutes(opts),
  ]) api.route("/", routes);
  return api;
}
