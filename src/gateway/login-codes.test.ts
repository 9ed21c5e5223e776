// Login codes, UI sessions and the followed token file: single use, expiry, revocation by rotation, file modes.
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rotateGatewayToken, watchGatewayToken } from "./gateway-token.ts";
import { clearLoginCodes, consumeLoginCode, createLoginCode, loginCodesDir } from "./login-codes.ts";
import { openUiSessions, revokeUiSessions, uiSessionsPath } from "./ui-sessions.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pincer-login-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("login codes", () => {
  it("stores only the hash (0600 file in a 0700 folder) and can be used once", async () => {
    const { code, expiresAt } = await createLoginCode(dir, { now: () => 1_000 });
    expect(expiresAt).toBe(1_000 + 5 * 60_000);
    expect(code).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const [name] = await readdir(loginCodesDir(dir));
    expect(name).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(await readFile(join(loginCodesDir(dir), name!), "utf8")).not.toContain(code);
    expect((await stat(join(loginCodesDir(dir), name!))).mode & 0o777).toBe(0o600);
    expect((await stat(loginCodesDir(dir))).mode & 0o777).toBe(0o700);

    const attempts = await Promise.all([consumeLoginCode(dir, code, 2_000), consumeLoginCode(dir, code, 2_000), consumeLoginCode(dir, code, 2_000)]);
    expect(attempts.filter((a) => a.ok)).toEqual([{ ok: true, sessionTtlMs: 7 * 24 * 3_600_000, purpose: "dashboard" }]);
    expect(await consumeLoginCode(dir, code, 2_000)).toEqual({ ok: false });
  });

  it("refuses an expired code (and removes it), unknown and malformed codes", async () => {
    const { code } = await createLoginCode(dir, { now: () => 0, ttlMs: 1_000 });
    expect(await consumeLoginCode(dir, code, 1_000)).toEqual({ ok: false });
    expect(await readdir(loginCodesDir(dir))).toEqual([]);
    expect(await consumeLoginCode(dir, "A".repeat(32))).toEqual({ ok: false });
    expect(await consumeLoginCode(dir, "../../gateway-token")).toEqual({ ok: false });
  });

  it("sweeps expired codes when a new one is made, and clears them all on request", async () => {
    await createLoginCode(dir, { now: () => 0, ttlMs: 1_000 });
    const fresh = await createLoginCode(dir, { now: () => 5_000, sessionTtlMs: 120_000, purpose: "cli" });
    expect(await readdir(loginCodesDir(dir))).toHaveLength(1);
    await clearLoginCodes(dir);
    expect(await consumeLoginCode(dir, fresh.code, 5_001)).toEqual({ ok: false });
  });
});

describe("UI sessions", () => {
  it("verifies an issued session until it expires; the file holds hashes only (0600)", async () => {
    let now = 10_000;
    const sessions = openUiSessions({ stateDir: dir, epoch: () => "e1", now: () => now });
    const issued = sessions.issue({ ttlMs: 60_000, purpose: "dashboard" })!;
    expect(issued.token).toMatch(/^pui_/);
    expect(issued.expiresAt).toBe(70_000);
    expect(sessions.verify(issued.token)).toBe(true);
    expect(sessions.verify(`${issued.token}x`)).toBe(false);
    expect(await readFile(uiSessionsPath(dir), "utf8")).not.toContain(issued.token);
    expect((await stat(uiSessionsPath(dir))).mode & 0o777).toBe(0o600);
    // Another process (a restarted gateway) reads the same file.
    expect(openUiSessions({ stateDir: dir, epoch: () => "e1", now: () => now }).verify(issued.token)).toBe(true);
    now = 70_000;
    expect(sessions.verify(issued.token)).toBe(false);
  });

  it("a new token generation or a removed file revokes every session", async () => {
    let epoch = "e1";
    const sessions = openUiSessions({ stateDir: dir, epoch: () => epoch });
    const a = sessions.issue({ ttlMs: 60_000, purpose: "dashboard" })!;
    epoch = "e2";
    expect(sessions.verify(a.token)).toBe(false);
    const b = sessions.issue({ ttlMs: 60_000, purpose: "dashboard" })!;
    expect(sessions.verify(b.token)).toBe(true);
    await revokeUiSessions(dir);
    expect(sessions.verify(b.token)).toBe(false);
  });

  it("issues nothing while there is no gateway token", () => {
    expect(openUiSessions({ stateDir: dir, epoch: () => undefined }).issue({ ttlMs: 1_000, purpose: "cli" })).toBeUndefined();
  });
});

describe("the followed token file", () => {
  it("accepts a rotated token at once and refuses the old one; the epoch changes with it", async () => {
    const first = await rotateGatewayToken(dir);
    const live = watchGatewayToken(dir, {});
    expect(live.verify(first)).toBe(true);
    const epoch = live.epoch();
    const second = await rotateGatewayToken(dir);
    expect([live.verify(first), live.verify(second)]).toEqual([false, true]);
    expect(live.epoch()).not.toBe(epoch);
    await rm(join(dir, "gateway-token.json"));
    expect(live.verify(second)).toBe(false);
    expect(live.epoch()).toBeUndefined();
  });

  it("PINCER_GATEWAY_TOKEN is fixed for the process; rotating the file does not change it", async () => {
    const live = watchGatewayToken(dir, { PINCER_GATEWAY_TOKEN: "pgw_test_7fQ2mX9kLp4Rz8Vw3Nc6Hb1T" });
    const stored = await rotateGatewayToken(dir);
    expect([live.verify("pgw_test_7fQ2mX9kLp4Rz8Vw3Nc6Hb1T"), live.verify(stored)]).toEqual([true, false]);
    expect(live.epoch()).toMatch(/^env:/);
  });
});
