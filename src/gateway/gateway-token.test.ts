// Gateway token storage: hash only on disk, 0600, env override, constant-time verification.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.ts";
import { TEST_GATEWAY_TOKEN } from "../../test/e2e/harness.ts";
import { findTokenWeakness, loadGatewayToken, rotateGatewayToken, tokenFilePath } from "./gateway-token.ts";

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
    const fromEnv = await loadGatewayToken(dir, { PINCER_GATEWAY_TOKEN: TEST_GATEWAY_TOKEN });
    expect(fromEnv.source.kind).toBe("env");
    expect([fromEnv.verifier?.verify(TEST_GATEWAY_TOKEN), fromEnv.verifier?.verify(second)]).toEqual([true, false]);
  });

  it("no token anywhere: no verifier", async () => {
    dir = await mkdtemp(join(tmpdir(), "pincer-token-"));
    expect((await loadGatewayToken(dir, {})).verifier).toBeUndefined();
  });

  it("refuses a weak PINCER_GATEWAY_TOKEN with a ConfigError naming the source and the fix", async () => {
    dir = await mkdtemp(join(tmpdir(), "pincer-token-"));
    const err = await loadGatewayToken(dir, { PINCER_GATEWAY_TOKEN: "abc" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      "the gateway token from PINCER_GATEWAY_TOKEN is too short (3 characters; at least 24 are needed). Fix: run 'pincer gateway token --rotate' and unset it (the gateway then uses the stored token), or set it to a random value such as the output of 'openssl rand -hex 32'",
    );
    for (const weak of ["x".repeat(20), "a".repeat(40), "passwordpasswordpassword", "aaaaaaaaaaaaaaaaaaaaaaa1234567"]) {
      await expect(loadGatewayToken(dir, { PINCER_GATEWAY_TOKEN: weak })).rejects.toThrow(/^the gateway token from PINCER_GATEWAY_TOKEN is too (short|easy to guess)/);
    }
  });
});

describe("findTokenWeakness", () => {
  it("accepts generated and random tokens", async () => {
    dir = await mkdtemp(join(tmpdir(), "pincer-token-"));
    expect(findTokenWeakness(await rotateGatewayToken(dir))).toBeUndefined();
    expect(findTokenWeakness("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")).toBeUndefined(); // openssl rand -hex 32
    expect(findTokenWeakness(TEST_GATEWAY_TOKEN)).toBeUndefined();
  });

  it("names what is weak: length, variety, repetition", () => {
    expect(findTokenWeakness("abcdefghijklmnopqrst")).toBe("is too short (20 characters; at least 24 are needed)");
    expect(findTokenWeakness("a".repeat(30))).toBe("is too easy to guess (only 1 different character; at least 6 are needed)");
    expect(findTokenWeakness("123456123456123456123456")).toBe("is too easy to guess (one short piece repeated)");
    expect(findTokenWeakness("aaaaaaaaaaaaaaaaaaaaaaa1234567")).toBe("is too easy to guess (a few characters repeated over and over)");
  });
});
