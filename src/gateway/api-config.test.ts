// /api/v1/config/file and /api/v1/config/validate in memory: the file without its secrets, validation with located
// problems, saving (stale base refused, invalid refused with the file untouched, valid written 0600 with secrets kept
// and reloaded live, changes and restarts reported, audited), and hostile bodies.
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiTestApp, type ApiTestApp } from "../../test/support/api-app.ts";
import { hashText } from "./api-config.ts";

let t: ApiTestApp;
let file: string;
const yaml = (baseURL: string) =>
  [
    "# pincer config",
    "models:",
    "  providers:",
    `    fake: { type: openai-compatible, base_url: '${baseURL}', api_key: test-key-secret-1234 }`,
    "  tiers:",
    "    default: { primary: fake/gpt-4o-mini }",
    "gateway:",
    "  rate_limit_per_minute: 600",
    "",
  ].join("\n");

beforeAll(async () => {
  t = await openApiTestApp({ yaml });
  file = join(t.dir, "pincer.yaml");
});
afterAll(() => t.close());

const current = async () => (await (await t.get("/api/v1/config/file")).json()) as { text: string; hash: string; redacted: boolean; secrets: unknown[]; path: string; exists: boolean };

describe("GET /api/v1/config/file", () => {
  it("returns the file with its literal secrets replaced by placeholders, and the hash of the file as stored", async () => {
    const body = await current();
    expect(body).toMatchObject({ path: file, exists: true, redacted: true, hash: hashText(await readFile(file, "utf8")) });
    expect(body.secrets).toEqual([{ keyPath: "models.providers.fake.api_key", line: 4, placeholder: "<kept secret #1>" }]);
    expect(body.text).not.toContain("test-key-secret-1234");
    expect(body.text).toContain("# pincer config");
  });
});

describe("POST /api/v1/config/validate", () => {
  it("accepts a valid edit (placeholders included) and lists the changes, with the ones that need a restart", async () => {
    const { text } = await current();
    const edited = text.replace("rate_limit_per_minute: 600", "rate_limit_per_minute: 120\n  port: 18999");
    const body = await (await t.send("POST", "/api/v1/config/validate", { yaml: edited })).json();
    expect(body).toEqual({
      ok: true,
      changes: [
        { keyPath: "gateway.rate_limit_per_minute", before: 600, after: 120, restart: false },
        { keyPath: "gateway.port", before: 18790, after: 18999, restart: true },
      ],
    });
  });

  it("reports every problem with its key path, line and fix", async () => {
    const { text } = await current();
    const edited = text.replace("rate_limit_per_minute: 600", "rate_limit_per_minute: lots\n  bind: everywhere");
    const body = await (await t.send("POST", "/api/v1/config/validate", { yaml: edited })).json();
    expect(body.ok).toBe(false);
    expect([...body.problems].sort((a: { line: number }, b: { line: number }) => a.line - b.line)).toEqual([
      expect.objectContaining({ keyPath: "gateway.rate_limit_per_minute", line: 8, problem: 'expected a number, got "lots"' }),
      expect.objectContaining({ keyPath: "gateway.bind", line: 9, fix: "use one of loopback, lan, custom", message: expect.stringContaining(`${file}:9 gateway.bind:`) }),
    ]);
    const syntax = await (await t.send("POST", "/api/v1/config/validate", { yaml: "models: [\n" })).json();
    expect(syntax).toMatchObject({ ok: false, problems: [{ keyPath: null, line: expect.any(Number), problem: expect.stringContaining("invalid YAML") }] });
  });
});

describe("PUT /api/v1/config/file", () => {
  it("refuses a save based on an older version of the file with 409 and the current hash", async () => {
    const { text } = await current();
    const res = await t.send("PUT", "/api/v1/config/file", { yaml: text, baseHash: hashText("something else") });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { type: "conflict", param: "baseHash" }, hash: hashText(await readFile(file, "utf8")) });
  });

  it("refuses an invalid file with 400 and its problems, leaving the file as it was", async () => {
    const before = await readFile(file, "utf8");
    const { text, hash } = await current();
    const res = await t.send("PUT", "/api/v1/config/file", { yaml: text.replace("600", "-1"), baseHash: hash });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_config", param: "yaml" }, problems: [{ keyPath: "gateway.rate_limit_per_minute" }] });
    expect(await readFile(file, "utf8")).toBe(before);
  });

  it("saves a valid edit atomically (0600) with the secrets kept, reloads it live and reports changes and restarts", async () => {
    const { text, hash } = await current();
    const res = await t.send("PUT", "/api/v1/config/file", { yaml: text.replace("rate_limit_per_minute: 600", "rate_limit_per_minute: 77\n  port: 18998"), baseHash: hash });
    expect(res.status).toBe(200);
    const body = await res.json();
    const saved = await readFile(file, "utf8");
    expect(body).toMatchObject({
      saved: true, path: file, hash: hashText(saved), restart: ["gateway.port"],
      changes: [{ keyPath: "gateway.rate_limit_per_minute", before: 600, after: 77, restart: false }, { keyPath: "gateway.port", restart: true }],
      reload: { ok: true, applied: ["gateway.rate_limit_per_minute"], restart: ["gateway.port"] },
    });
    expect(saved).toContain("api_key: test-key-secret-1234");
    expect(saved).toContain("# pincer config");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(t.app.config.gateway.rate_limit_per_minute).toBe(77);
    expect(t.app.config.gateway.port).toBe(18790); // waits for a restart
    const kinds = (await t.app.store.audit.list({ limit: 5 })).map((a) => a.kind);
    expect(kinds.slice(0, 2)).toEqual(["config.reload", "config.edit"]);
  });

  it("creates the file when there was none (base: the hash of nothing)", async () => {
    const before = await readFile(file, "utf8");
    await writeFile(file, "");
    try {
      const { hash, exists } = await current();
      expect(hash).toBe(hashText(""));
      expect(exists).toBe(true);
      const res = await t.send("PUT", "/api/v1/config/file", { yaml: before, baseHash: hash });
      expect(res.status).toBe(200);
    } finally {
      await writeFile(file, before);
    }
  });

  it("refuses hostile bodies with 4xx naming the field and never writes", async () => {
    const before = await readFile(file, "utf8");
    const { hash } = await current();
    const cases: Array<[unknown, number, string | undefined]> = [
      [{ yaml: 42, baseHash: hash }, 400, "yaml"],
      [{ yaml: "a: 1" }, 400, "baseHash"],
      [{ yaml: "a: 1", baseHash: "../../etc/passwd" }, 400, "baseHash"],
      [{ yaml: "x".repeat(200_001), baseHash: hash }, 400, "yaml"],
      [{ yaml: "x".repeat(300 * 1024), baseHash: hash }, 413, undefined],
      ["{", 400, undefined],
    ];
    for (const [body, status, param] of cases) {
      const res = await t.send("PUT", "/api/v1/config/file", body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(status);
      if (param) expect((await res.json()).error.param).toBe(param);
    }
    const proto = await t.send("PUT", "/api/v1/config/file", { yaml: "agents:\n  __proto__: { model: fast }\n", baseHash: hash });
    expect(proto.status).toBe(400);
    expect((await proto.json()).problems[0]).toMatchObject({ keyPath: "agents.__proto__" });
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join("\n");
    const bombed = await t.send("PUT", "/api/v1/config/file", { yaml: bomb, baseHash: hash });
    expect(bombed.status).toBe(400);
    expect((await bombed.json()).problems[0].problem).toMatch(/alias/i);
    const unknownSecret = await t.send("PUT", "/api/v1/config/file", { yaml: 'models:\n  providers:\n    x: { type: openai, api_key: "<kept secret #7>" }\n', baseHash: hash });
    expect(unknownSecret.status).toBe(400);
    expect((await unknownSecret.json()).problems[0]).toMatchObject({ keyPath: "models.providers.x.api_key" });
    expect(await readFile(file, "utf8")).toBe(before);
  });
});
