import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../core/errors.ts";
import { authStorePath, createAuthStoreReader, listCredentials, loadAuthStore, maskSecret, removeCredential, setCredential } from "./auth-store.ts";

async function freshStateDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "pincer-auth-"));
  return join(root, "state"); // not yet created: setCredential must create it 0700
}

describe("auth store", () => {
  it("creates auth.json 0600 inside a 0700 dir", async () => {
    const dir = await freshStateDir();
    await setCredential(dir, "openai", { type: "api_key", value: "sk-proj-0123456789abcd" });
    expect((await stat(authStorePath(dir))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(authStorePath(dir), "utf8"))).toEqual({ openai: { api_key: "sk-proj-0123456789abcd" } });
  });

  it("lists providers with masked fingerprints only", async () => {
    const dir = await freshStateDir();
    await setCredential(dir, "openai", { type: "api_key", value: "sk-proj-0123456789abcd" });
    await setCredential(dir, "anthropic", { type: "oauth", value: { access_token: "sk-ant-oat01-secret-token-wxyz", expires_at: 1 } });
    await setCredential(dir, "anthropic", { type: "api_key", value: "sk-ant-api03-secretkey-9876" });
    const listing = await listCredentials(dir);
    expect(listing).toEqual([
      { provider: "anthropic", types: ["api_key", "oauth"], fingerprint: "sk-…9876" },
      { provider: "openai", types: ["api_key"], fingerprint: "sk-…abcd" },
    ]);
    expect(JSON.stringify(listing)).not.toContain("secret");
  });

  it("a reader sees a credential set or removed after its first read, and keeps one object while nothing changed", async () => {
    const dir = await freshStateDir();
    const read = createAuthStoreReader(dir);
    expect(await read()).toEqual({});
    await setCredential(dir, "openai", { type: "api_key", value: "sk-proj-0123456789abcd" });
    const first = await read();
    expect(first).toEqual({ openai: { api_key: "sk-proj-0123456789abcd" } });
    expect(await read()).toBe(first);
    await removeCredential(dir, "openai");
    expect(await read()).toEqual({});
  });

  it("removes one type, then the whole entry", async () => {
    const dir = await freshStateDir();
    await setCredential(dir, "anthropic", { type: "api_key", value: "sk-ant-api03-secretkey-9876" });
    await setCredential(dir, "anthropic", { type: "oauth", value: "oauth-token-0123456789" });
    expect(await removeCredential(dir, "anthropic", "api_key")).toBe(true);
    expect(await loadAuthStore(dir)).toEqual({ anthropic: { oauth: { access_token: "oauth-token-0123456789" } } });
    expect(await removeCredential(dir, "anthropic", "api_key")).toBe(false);
    expect(await removeCredential(dir, "anthropic")).toBe(true);
    expect(await loadAuthStore(dir)).toEqual({});
    expect((await stat(authStorePath(dir))).mode & 0o777).toBe(0o600);
  });

  it("stores a provider named like a prototype member as an ordinary entry", async () => {
    const dir = await freshStateDir();
    expect(await removeCredential(dir, "constructor")).toBe(false);
    await setCredential(dir, "constructor", { type: "api_key", value: "sk-ctor-0123456789abcd" });
    await setCredential(dir, "__proto__", { type: "api_key", value: "sk-proto-0123456789abcd" });
    const store = await loadAuthStore(dir);
    expect(Object.getPrototypeOf(store)).toBe(Object.prototype);
    expect((await listCredentials(dir)).map((c) => c.provider)).toEqual(["constructor"]);
  });

  it("treats a missing file as empty and bad JSON as a ConfigError naming the file", async () => {
    const dir = await freshStateDir();
    expect(await loadAuthStore(dir)).toEqual({});
    await setCredential(dir, "x", { type: "api_key", value: "k" });
    await writeFile(authStorePath(dir), "{ nope");
    const err = await loadAuthStore(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(authStorePath(dir));
  });

  it("masks short secrets completely", () => {
    expect(maskSecret("abc123")).toBe("…");
    expect(maskSecret("sk-1234567890abcdef")).toBe("sk-…cdef");
  });
});
