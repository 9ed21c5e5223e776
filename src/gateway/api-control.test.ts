// The Control UI's route files load on the first request: the routes registered at start are exactly theirs, and a
// route's error reaches the main app's error handler.
import { describe, expect, it } from "vitest";
import { Hono } from "hono";
import pino from "pino";
import type { GatewayContext } from "./gateway-context.ts";
import { CONTROL_ROUTES, createControlApp, mountControlRoutes } from "./api-control.ts";

const opts = { ctx: {} as GatewayContext, now: () => 0, version: "t", startedAt: 0 };

describe("the Control UI's routes", () => {
  it("registers at start exactly the routes the route files define", async () => {
    const control = await createControlApp(opts);
    const defined = control.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`);
    expect(new Set(defined)).toEqual(new Set(CONTROL_ROUTES.map(([method, path]) => `${method} /api/v1${path}`)));
    expect(defined).toHaveLength(CONTROL_ROUTES.length);
  });

  it("hands a route's error to the main app's error handler", async () => {
    const app = new Hono();
    const broken = { ...opts, ctx: { log: pino({ level: "silent" }), store: { audit: { list: () => Promise.reject(new Error("boom")) } } } as unknown as GatewayContext };
    mountControlRoutes(app, broken);
    app.onError((err, c) => c.json({ handled: err.message }, 500));
    const res = await app.request("/api/v1/audit");
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ handled: "boom" });
  });
});
