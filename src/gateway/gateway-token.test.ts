// Gateway token storage: hash only on disk, 0600, env override, constant-time verification.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadGatewayToken, rotateGatewayToken, tokenFilePath } from "./gateway-token.ts";

let dir: string;
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("gateway token", () => {
  it("stores only a hash (0600) and verifies the plaintext", async () => {
    dir = await mkdtemp(join(tmpdir(), "pincer-token-"));
    const token = await rotateGatewayToken(dir);
    const raw = await readFile(tokenFilePath(dir), "utf8");
    expect(raw).not.toContain(token);
    expect((await stat(tokenFilePath(dir))).mode & 0o777).toBe(0o600);
    const { verifier, source } = await loadGatewayToken(dir, {});
    expect(source.kind).toBe("file");
    expect(verifier?.verify(token)).toBe(true);
    expect(verifier?.verify(`${token}x`)).toBe(false);
  });

  it("rotation invalidates the old token; the env var wins over the file", async () => {
    dir = await mkdtemp(join(tmpdir(), "pincer-token-"));
    const first = await rotateGatewayToken(dir);
    const second = await rotateGatewayToken(dir);
    const fromFile = await loadGatewayToken(dir, {});
    expect([fromFile.verifier?.verify(first), fromFile.verifier?.verify(second)]).toEqual([false, true]);
    const fromEnv = await loadGatewayToken(dir, { PINCER_GATEWAY_TOKEN: "env-token" });
    expect(fromEnv.source.kind).toBe("env");
    expect([fromEnv.verifier?.verify("env-token"), fromEnv.verifier?.verify(second)]).toEqual([true, false]);
  });

  it("no token anywhere: no verifier", async () => {
    dir = await mkdtemp(join(tmpdir(), "pincer-token-"));
    expect((await loadGatewayToken(dir, {})).verifier).toBeUndefined();
  });
});
