// Elevated mode of a session (break glass): asked for with a confirmation code, turned on by repeating it within five
// minutes, active until it expires or is ended (`/elevate off`, `/new`). Every step lands in the store and the audit.
import { randomInt } from "node:crypto";
import type { Policy } from "../core/config-schema.ts";
import type { Elevation } from "../core/domain.ts";
import type { Store } from "../store/store.ts";

/** How long a confirmation code is valid. */
export const ELEVATION_CODE_TTL_MS = 5 * 60_000;
/** Code characters: no look-alikes (0/O, 1/I/L). */
const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

export interface ElevationDeps {
  store: Pick<Store, "elevations" | "audit">;
  policy: () => Policy["elevated"];
  now: () => number;
}

/** A random code of `length` characters from an alphabet without look-alikes. */
export function newCode(length: number, alphabet = CODE_ALPHABET): string {
  let code = "";
  for (let i = 0; i < length; i++) code += alphabet[randomInt(alphabet.length)];
  return code;
}

async function audit(deps: ElevationDeps, kind: string, e: Elevation, reason: string, detail: Record<string, unknown>): Promise<void> {
  await deps.store.audit.write({ at: deps.now(), kind, decision: "info", runId: undefined, sessionKey: e.sessionKey, tool: undefined, reason, detail });
}

/** The session's elevation while active; an active one past its expiry is ended here (`elevation.end`, "expired"). */
export async function readElevation(deps: ElevationDeps, sessionKey: string): Promise<Elevation | undefined> {
  const current = await deps.store.elevations.get(sessionKey);
  if (current?.status !== "active") return undefined;
  if ((current.expiresAt ?? 0) > deps.now()) return current;
  const ended: Elevation = { ...current, status: "ended", endedAt: current.expiresAt, endReason: "expired" };
  await deps.store.elevations.put(ended);
  await audit(deps, "elevation.end", ended, "expired", { startedAt: current.startedAt, expiresAt: current.expiresAt });
  return undefined;
}

/** Asks for elevated mode: a pending record with a fresh code. Refused when off, over max_minutes, or already active. */
export async function requestElevation(
  deps: ElevationDeps,
  sessionKey: string,
  opts: { minutes?: number | undefined; reason?: string | undefined; by: string },
): Promise<{ ok: true; code: string; minutes: number } | { ok: false; reason: string }> {
  const policy = deps.policy();
  if (!policy.enabled) return { ok: false, reason: "elevated mode is off: set policy.elevated.enabled: true in pincer.yaml to allow it" };
  const minutes = opts.minutes ?? policy.default_minutes;
  if (!Number.isInteger(minutes) || minutes < 1) return { ok: false, reason: `minutes must be a whole number from 1 to ${policy.max_minutes}` };
  if (minutes > policy.max_minutes) return { ok: false, reason: `at most ${policy.max_minutes} minutes (policy.elevated.max_minutes); ask for fewer` };
  const active = await readElevation(deps, sessionKey);
  if (active) return { ok: false, reason: `this session is elevated already, until ${new Date(active.expiresAt ?? 0).toISOString()}; end it first (/elevate off)` };
  const code = newCode(6);
  const reason = opts.reason?.trim().slice(0, 200) || undefined;
  const pending: Elevation = {
    sessionKey, status: "pending", code, minutes, reason, requestedBy: opts.by, requestedAt: deps.now(),
    startedAt: undefined, expiresAt: undefined, endedAt: undefined, endReason: undefined,
  };
  await deps.store.elevations.put(pending);
  await audit(deps, "elevation.request", pending, reason ?? "no reason given", { by: opts.by, minutes });
  return { ok: true, code, minutes };
}

/** Turns a requested elevation on when `code` matches and is at most five minutes old (audited `elevation.start`). */
export async function confirmElevation(deps: ElevationDeps, sessionKey: string, code: string, by: string): Promise<{ ok: true; elevation: Elevation } | { ok: false; reason: string }> {
  if (!deps.policy().enabled) return { ok: false, reason: "elevated mode is off: set policy.elevated.enabled: true in pincer.yaml to allow it" };
  const pending = await deps.store.elevations.get(sessionKey);
  if (pending?.status !== "pending" || pending.code === undefined) return { ok: false, reason: "no elevation was asked for in this session: ask with /elevate on [minutes] [reason] first" };
  if (pending.requestedAt + ELEVATION_CODE_TTL_MS < deps.now()) return { ok: false, reason: "the confirmation code expired (codes are valid 5 minutes): ask again" };
  if (code.trim().toUpperCase() !== pending.code) return { ok: false, reason: "wrong confirmation code" };
  const at = deps.now();
  const active: Elevation = { ...pending, status: "active", code: undefined, startedAt: at, expiresAt: at + pending.minutes * 60_000 };
  await deps.store.elevations.put(active);
  await audit(deps, "elevation.start", active, active.reason ?? "no reason given", {
    by, requestedBy: pending.requestedBy, minutes: active.minutes, ttlMs: active.minutes * 60_000, expiresAt: active.expiresAt,
  });
  return { ok: true, elevation: active };
}

/** Ends the session's elevation (`elevation.end`, "ended by <who>" or `reason`); a pending request is dropped.
 * Returns the ended elevation, or undefined when none was active. */
export async function endElevation(deps: ElevationDeps, sessionKey: string, by: string, reason?: string): Promise<Elevation | undefined> {
  const current = await deps.store.elevations.get(sessionKey);
  if (!current || current.status === "ended") return undefined;
  if (current.status === "pending") {
    await deps.store.elevations.put({ ...current, status: "ended", code: undefined, endedAt: deps.now(), endReason: reason ?? `cancelled by ${by}` });
    return undefined;
  }
  if ((current.expiresAt ?? 0) <= deps.now()) {
    await readElevation(deps, sessionKey); // ends it as expired
    return undefined;
  }
  const ended: Elevation = { ...current, status: "ended", endedAt: deps.now(), endReason: reason ?? `ended by ${by}` };
  await deps.store.elevations.put(ended);
  await audit(deps, "elevation.end", ended, ended.endReason!, { by, startedAt: current.startedAt, expiresAt: current.expiresAt });
  return ended;
}
