// The registry client against the loopback fake ClawHub: discovery, search, detail with moderation, download, resolve;
// 429 waits (counted, bounded, abortable); errors naming the registry and status; hostile answers rejected.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clawhubFingerprint, startFakeRegistry, type FakeRegistry } from "../../test/fakes/clawhub-registry.ts";
import { checkRegistryUrl, createRegistryClient, retryAfterMs, type RegistryClientOptions } from "./registry-client.ts";
import { SkillError } from "./skill-errors.ts";

let fake: FakeRegistry;
let waits: number[];
let told: string[];

beforeAll(async () => {
  fake = await startFakeRegistry();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  waits = [];
  told = [];
});

const client = (opts: Partial<RegistryClientOptions> = {}) =>
  createRegistryClient({
    registry: fake.url,
    sleep: async (ms) => void waits.push(ms),
    onWait: (w) => told.push(`${w.seconds}s ${w.attempt}/${w.of}`),
    ...opts,
  });

async function failure(p: Promise<unknown>): Promise<SkillError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SkillError);
  return err as SkillError;
}

/** A registry that answers every request with `body` (JSON) for hostile-data cases. */
const answering = (body: unknown, init: ResponseInit = {}): typeof fetch => async () => Response.json(body, init);

describe("createRegistryClient", () => {
  it("discovers the API base, then searches", async () => {
    const hits = await client().search("weather", 5);
    expect(hits).toEqual([{ slug: "weather-tool", displayName: "Weather Tool", summary: "Current weather and forecasts.", version: "1.1.0", owner: "fake", score: 1, updatedAt: 1_730_000_000_000 }]);
    expect(fake.requests.map((r) => r.path)).toEqual(["/.well-known/clawhub.json", "/api/v1/search"]);
    expect(fake.requests[1]?.query).toEqual({ q: "weather", limit: "5" });
  });

  it("reads a skill's detail with its moderation flags", async () => {
    const skill = await client().getSkill("shady-helper");
    expect(skill).toMatchObject({ slug: "shady-helper", latestVersion: "0.1.0", owner: "fake" });
    expect(skill.moderation).toEqual({ isSuspicious: true, isMalwareBlocked: false, verdict: "suspicious", reasonCodes: ["suspicious.dynamic_code_execution"], summary: "Detected: suspicious.dynamic_code_execution" });
    expect((await client().getSkill("weather-tool")).moderation).toBeUndefined();
  });

  it("names the registry, the status and the skill when there is no such skill", async () => {
    const err = await failure(client().getSkill("no-such-skill"));
    expect(err.code).toBe("not_found");
    expect(err.message).toBe(`registry ${fake.url} answered 404 for skill "no-such-skill": no such skill (Skill not found)`);
  });

  it("downloads a bundle, and a given version", async () => {
    const zip = await client().download("weather-tool", "1.0.0");
    expect([...zip.subarray(0, 4)]).toEqual([0x50, 0x4b, 0x03, 0x04]);
    expect(fake.requests.at(-1)?.query).toEqual({ slug: "weather-tool", version: "1.0.0" });
  });

  it("turns a 403 download into a malicious refusal carrying the registry's reason", async () => {
    const err = await failure(client().download("quiet-stealer"));
    expect(err.code).toBe("malicious");
    expect(err.message).toContain("answered 403 for the download of \"quiet-stealer\": the registry blocks this skill (Blocked: this skill has been flagged as malicious");
  });

  it("stops a download at the byte cap", async () => {
    const err = await failure(client({ maxDownloadBytes: 100 }).download("weather-tool"));
    expect(err.code).toBe("invalid_bundle");
  });

  it("resolves a fingerprint to a published version", async () => {
    const files = fake.skills.get("weather-tool")!.versions[0]!.files;
    expect(await client().resolve("weather-tool", clawhubFingerprint(files))).toEqual({ match: "1.0.0", latestVersion: "1.1.0" });
  });

  it("waits out 429s as Retry-After says, telling the user, then succeeds", async () => {
    fake.rateLimit(2, "7");
    await client({ discover: false }).getSkill("weather-tool");
    expect(waits).toEqual([7000, 7000]);
    expect(told).toEqual(["7s 1/3", "7s 2/3"]);
  });

  it("gives up after the allowed waits with a rate-limit error", async () => {
    fake.rateLimit(4, "1");
    const err = await failure(client({ discover: false }).getSkill("weather-tool"));
    expect(waits).toHaveLength(3);
    expect(err.code).toBe("rate_limited");
    expect(err.message).toContain("answered 429");
    fake.rateLimit(0);
  });

  it("cuts a long Retry-After to the longest wait, and stops waiting when aborted", async () => {
    fake.rateLimit(1, "3600");
    const stop = new AbortController();
    const err = await failure(
      client({ discover: false, maxWaitMs: 5_000, signal: stop.signal, sleep: async (ms) => {
        waits.push(ms);
        stop.abort();
        throw new Error("aborted");
      } }).getSkill("weather-tool"),
    );
    expect(waits).toEqual([5_000]);
    expect(err.code).toBe("aborted");
    fake.rateLimit(0);
  });

  it("reads Retry-After as seconds or a date, else RateLimit-Reset", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "12" }))).toBe(12_000);
    expect(retryAfterMs(new Headers({ "retry-after": new Date(10_000).toUTCString() }), 4_000)).toBe(6_000);
    expect(retryAfterMs(new Headers({ "ratelimit-reset": "3" }))).toBe(3_000);
    expect(retryAfterMs(new Headers())).toBe(1_000);
  });

  it("reports an unreachable registry with the fix", async () => {
    const err = await failure(createRegistryClient({ registry: "http://127.0.0.1:9", discover: false }).getSkill("weather-tool"));
    expect(err.code).toBe("network");
    expect(err.message).toMatch(/^registry http:\/\/127\.0\.0\.1:9 could not be reached for skill "weather-tool": .*Fix: check the URL/);
  });

  it("drops search hits with malformed slugs and strips control characters from text", async () => {
    const hostile = { results: [{ slug: "../etc", score: 1 }, { slug: "ok-skill", displayName: "OK\u001b[31m red", summary: "x\u0007y", score: 0.5, version: "1.0.0;rm" }] };
    const hits = await createRegistryClient({ registry: "https://registry.example", discover: false, fetch: answering(hostile) }).search("x", 10);
    expect(hits).toEqual([{ slug: "ok-skill", displayName: "OK [31m red", summary: "x y", version: null, owner: null, score: 0.5, updatedAt: null }]);
  });

  it("refuses a skill detail of the wrong shape", async () => {
    const bad = { skill: { slug: "../../x", displayName: "x" }, latestVersion: { version: "1.0.0" } };
    const err = await failure(createRegistryClient({ registry: "https://registry.example", discover: false, fetch: answering(bad) }).getSkill("x-skill"));
    expect(err.message).toBe('registry https://registry.example sent an unexpected answer for skill "x-skill": skill.slug must be a skill slug');
  });

  it("refuses slugs that are not ClawHub slugs before asking", async () => {
    expect((await failure(client().getSkill("../admin"))).message).toContain("is not a skill slug");
    expect(fake.requests).toEqual([]);
  });

  it("accepts https registries, and http only on loopback", () => {
    expect(checkRegistryUrl("https://clawhub.ai/")).toBe("https://clawhub.ai");
    expect(checkRegistryUrl("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(() => checkRegistryUrl("http://registry.example")).toThrow(/is not a usable registry URL/);
  });
});
