// Elevated mode: off unless enabled, minutes capped, the confirmation code (5 minutes, exact), expiry with a fake clock,
// ending it (by whom, or /new), and the audit records elevation.start / elevation.end.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { policySchema } from "../core/config-schema.ts";
import { openSqliteStore, type Store } from "../store/index.ts";
import { confirmElevation, ELEVATION_CODE_TTL_MS, endElevation, readElevation, requestElevation, type ElevationDeps } from "./elevations.ts";

const SESSION = "agent:default:telegram:dm:42";
let store: Store;
let clock: number;
let deps: ElevationDeps;
let enabled: boolean;

beforeEach(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  clock = 1_700_000_000_000;
  enabled = true;
  deps = { store, now: () => clock, policy: () => policySchema.parse({ elevated: { enabled, default_minutes: 15, max_minutes: 60 } }).elevated };
});
afterEach(() => store.close());

const kinds = async () => (await store.audit.list({ limit: 50 })).map((a) => a.kind).reverse();

describe("elevated mode", () => {
  it("is refused while policy.elevated.enabled is off, and over max_minutes", async () => {
    enabled = false;
    expect(await requestElevation(deps, SESSION, { by: "telegram:42" })).toEqual({ ok: false, reason: expect.stringContaining("policy.elevated.enabled") });
    enabled = true;
    expect(await requestElevation(deps, SESSION, { minutes: 61, by: "telegram:42" })).toEqual({ ok: false, reason: expect.stringContaining("at most 60 minutes") });
  });

  it("turns on with the code (6 characters, no look-alikes), lasts its minutes, and ends as expired (audited)", async () => {
    const asked = await requestElevation(deps, SESSION, { reason: "fix the printer", by: "telegram:42" });
    if (!asked.ok) throw new Error(asked.reason);
    expect(asked.code).toMatch(/^[A-HJKMNP-Z2-9]{6}$/);
    expect(asked.minutes).toBe(15);
    expect(await readElevation(deps, SESSION)).toBeUndefined(); // pending is not active
    expect(await confirmElevation(deps, SESSION, "WRONG1", "telegram:42")).toEqual({ ok: false, reason: "wrong confirmation code" });
    const on = await confirmElevation(deps, SESSION, asked.code.toLowerCase(), "telegram:42");
    expect(on).toMatchObject({ ok: true, elevation: { status: "active", minutes: 15, reason: "fix the printer", expiresAt: clock + 15 * 60_000 } });
    clock += 15 * 60_000 - 1;
    expect(await readElevation(deps, SESSION)).toMatchObject({ status: "active" });
    clock += 1;
    expect(await readElevation(deps, SESSION)).toBeUndefined();
    expect(await store.elevations.get(SESSION)).toMatchObject({ status: "ended", endReason: "expired" });
    expect(await kinds()).toEqual(["elevation.request", "elevation.start", "elevation.end"]);
    const start = (await store.audit.list({ limit: 50 })).find((a) => a.kind === "elevation.start");
    expect(start).toMatchObject({ sessionKey: SESSION, reason: "fix the printer", detail: { by: "telegram:42", minutes: 15, ttlMs: 900_000 } });
  });

  it("refuses a code older than five minutes", async () => {
    const asked = await requestElevation(deps, SESSION, { by: "telegram:42" });
    if (!asked.ok) throw new Error(asked.reason);
    clock += ELEVATION_CODE_TTL_MS + 1;
    expect(await confirmElevation(deps, SESSION, asked.code, "telegram:42")).toEqual({ ok: false, reason: expect.stringContaining("expired") });
  });

  it("ends on request, naming who ended it or why (/new)", async () => {
    const asked = await requestElevation(deps, SESSION, { minutes: 5, by: "operator:cli" });
    if (!asked.ok) throw new Error(asked.reason);
    await confirmElevation(deps, SESSION, asked.code, "operator:cli");
    expect(await requestElevation(deps, SESSION, { by: "operator:cli" })).toMatchObject({ ok: false, reason: expect.stringContaining("elevated already") });
    expect(await endElevation(deps, SESSION, "telegram:42", "/new")).toMatchObject({ status: "ended", endReason: "/new" });
    expect(await readElevation(deps, SESSION)).toBeUndefined();
    expect(await endElevation(deps, SESSION, "telegram:42")).toBeUndefined();
    const end = (await store.audit.list({ limit: 50 })).find((a) => a.kind === "elevation.end");
    expect(end).toMatchObject({ reason: "/new", detail: { by: "telegram:42" } });
  });
});
