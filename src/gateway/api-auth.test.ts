// POST /api/v1/auth/exchange in memory: a login code becomes a session token accepted like the gateway token, once;
// wrong codes lock the address out; bodies are capped and validated; a rotation ends the sessions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { createApp, type App } from "../app.ts";
import { makeHome, type Home } from "../../test/e2e/harness.ts";
import { createAuthLockout } from "./auth-lockout.ts";
import { rotateGatewayToken, watchGatewayToken } from "./gateway-token.ts";
import { createHttpApp } from "./http-app.ts";
import { createLoginCode } from "./login-codes.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { openUiSessions } from "./ui-sessions.ts";

let home: Home;
let app: App;
let http: ReturnType<typeof createHttpApp>;
let now = 1_000_000;

beforeAll(async () => {
  home = await makeHome();
  app = await createApp({ env: { PINCER_HOME: home.dir }, logger: pino({ level: "silent" }) });
  await rotateGatewayToken(app.stateDir);
  const token = watchGatewayToken(app.stateDir, {});
  const sessions = openUiSessions({ stateDir: app.stateDir, epoch: () => token.epoch() });
  http = createHttpApp({
    ctx: app,
    tokens: { verify: (t) => token.verify(t) || sessions.verify(t) },
    metrics: createGatewayMetrics(),
    login: { stateDir: app.stateDir, sessions },
    authLockout: createAuthLockout({ now: () => now, freeFailures: 3 }),
    now: () => now,
  });
});

afterAll(async () => {
  await app.close();
  await home.cleanup();
});

type JsonResponse = Omit<Response, "json"> & { json(): Promise<any> };
const exchange = (body: string, address = "192.0.2.10") =>
  http.request("/api/v1/auth/exchange", { method: "POST", headers: { "content-type": "application/json" }, body }, { incoming: { socket: { remoteAddress: address } } }) as Promise<JsonResponse>;
const sessionsWith = (token: string) => http.request("/api/v1/sessions", { headers: { authorization: `Bearer ${token}` } }) as Promise<JsonResponse>;

describe("login code exchange", () => {
  it("trades a code once for a session token that the API accepts", async () => {
    const { code } = await createLoginCode(app.stateDir);
    const res = await exchange(JSON.stringify({ code }));
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json();
    expect(body.token).toMatch(/^pui_/);
    expect(body.expiresAt).toBeGreaterThan(Date.now() + 6 * 24 * 3_600_000);
    expect((await sessionsWith(body.token)).status).toBe(200);

    const again = await exchange(JSON.stringify({ code }), "192.0.2.11");
    expect(again.status).toBe(401);
    expect((await again.json()).error).toEqual({
      type: "invalid_code",
      message: "the login code is unknown, already used or expired. Fix: run 'pincer dashboard' on the gateway's machine for a new link",
    });
  });

  it("names the bad field, caps the body, and locks an address out after repeated wrong codes", async () => {
    const bad = await exchange(JSON.stringify({ code: 42 }), "192.0.2.20");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.param).toBe("code");
    expect((await exchange("{", "192.0.2.21")).status).toBe(400);
    expect((await exchange(JSON.stringify({ code: "x".repeat(5_000) }), "192.0.2.22")).status).toBe(413);

    const guesses = [];
    for (let i = 0; i < 4; i++) guesses.push((await exchange(JSON.stringify({ code: `${"G".repeat(31)}${i}` }), "192.0.2.30")).status);
    expect(guesses).toEqual([401, 401, 401, 401]); // three free failures; the fourth starts a lockout
    const { code } = await createLoginCode(app.stateDir);
    const locked = await exchange(JSON.stringify({ code }), "192.0.2.30");
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).toBe("1");
    now += 1_000;
    expect((await exchange(JSON.stringify({ code }), "192.0.2.30")).status).toBe(200); // the code was not spent while locked out
  });

  it("a token rotation ends the sessions it opened", async () => {
    const { code } = await createLoginCode(app.stateDir);
    const { token } = await (await exchange(JSON.stringify({ code }), "192.0.2.40")).json();
    expect((await sessionsWith(token)).status).toBe(200);
    const next = await rotateGatewayToken(app.stateDir);
    expect((await sessionsWith(token)).status).toBe(401);
    expect((await sessionsWith(next)).status).toBe(200);
  });
});
