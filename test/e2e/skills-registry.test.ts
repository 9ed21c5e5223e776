// `pincer skills search | install | update | remove | grant | revoke` through the real CLI against the fake ClawHub,
// with the real scanner: what lands on disk and in the lock, every bad bundle refused with the state dir unchanged,
// update with and without local edits, grants recorded and audited, and PINCER_SKILLS_REGISTRY.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeRegistry, type FakeRegistry } from "../fakes/clawhub-registry.ts";
import { useCliFixture, type Home } from "./harness.ts";

const fx = useCliFixture();
let registry: FakeRegistry;
beforeAll(async () => {
  registry = await startFakeRegistry();
});
afterAll(() => registry.close());

const config = (baseURL: string): string =>
  ["models:", "  providers:", `    fake: { type: openai-compatible, base_url: '${baseURL}', api_key: test-key }`, "  tiers:", "    default: { primary: fake/gpt-4o-mini }"].join("\n");

async function home(): Promise<Home & { skills: (args: string[]) => ReturnType<Home["cli"]> }> {
  const h = await fx.home(config(fx.fake.baseURL));
  return Object.assign(h, { skills: (args: string[]) => h.cli(["skills", ...args], { env: { PINCER_SKILLS_REGISTRY: registry.url } }) });
}

/** Everything under the state dir (paths and sizes), to compare before and after a refused install. */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.name.startsWith("pincer.db")).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

const lockOf = async (h: Home) => JSON.parse(await readFile(join(h.dir, "skills", "skills.lock.json"), "utf8"));
function auditOf(h: Home): Array<{ kind: string; reason: string }> {
  const db = new DatabaseSync(join(h.dir, "pincer.db"), { readOnly: true });
  try {
    return db.prepare("SELECT kind, reason FROM audit WHERE kind LIKE 'skill.%' ORDER BY id").all() as Array<{ kind: string; reason: string }>;
  } finally {
    db.close();
  }
}

describe("pincer skills (registry)", () => {
  it("searches, installs with progress, and records the install in the lock", async () => {
    const h = await home();
    const search = await h.skills(["search", "weather", "--json"]);
    expect(search.code).toBe(0);
    expect(JSON.parse(search.stdout)).toMatchObject({ registry: registry.url, results: [{ slug: "weather-tool", version: "1.1.0" }] });
    expect((await h.skills(["search", "weather"])).stdout).toMatch(/SLUG\s+VERSION\s+NAME\s+SUMMARY\nweather-tool\s+1\.1\.0\s+Weather Tool/);

    const install = await h.skills(["install", "weather-tool@1.0.0"]);
    expect(install.code).toBe(0);
    expect(install.stderr).toContain(`downloading weather-tool 1.0.0 from ${registry.url}`);
    expect(install.stderr).toContain("scanning weather-tool");
    expect(install.stdout).toContain(`installed weather-tool 1.0.0 (weather-tool) in ${join(h.dir, "skills", "weather-tool")}`);
    expect(install.stdout).toContain("it declares binaries curl, jq and env vars WEATHER_API_KEY; allow them with 'pincer skills grant weather-tool'");
    expect(await readFile(join(h.dir, "skills", "weather-tool", "scripts", "forecast.py"), "utf8")).toContain("forecast for");
    const lock = await lockOf(h);
    expect(lock.installs["weather-tool"]).toMatchObject({ registry: registry.url, slug: "weather-tool", version: "1.0.0" });
    expect(lock.installs["weather-tool"].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(auditOf(h).map((a) => a.kind)).toEqual(["skill.installed"]);
  });

  it("refuses every bad bundle and leaves the state dir as it was", async () => {
    const h = await home();
    expect((await h.skills(["install", "weather-tool"])).code).toBe(0);
    const before = await listing(h.dir);
    const cases: Array<[string, string]> = [
      ["crypto-stealer", `error: registry ${registry.url} flags skill "crypto-stealer" as malicious`],
      ["quiet-stealer", `error: registry ${registry.url} answered 403 for the download of "quiet-stealer" 1.0.0: the registry blocks this skill (Blocked: this skill has been flagged as malicious`],
      ["shady-helper", "as suspicious: suspicious.dynamic_code_execution; Detected: suspicious.dynamic_code_execution. Fix: read the skill on the registry first; install it anyway with --force"],
      ["zip-slip", 'error: bundle refused: entry "../evil" leaves the skill folder (..)'],
      ["link-trick", 'error: bundle refused: entry "notes.md" is a symbolic link'],
      ["huge-skill", 'error: bundle refused: "data.bin" declares 11 MiB, more than 10 MiB (the cap for one file)'],
      ["bad-name", "no usable skill name"],
      ["curl-pipe", 'error: the safety scan blocked "curl-pipe"'],
      ["weather-tool", "error: skill \"weather-tool\" is installed already"],
      ["no-such-skill", `error: registry ${registry.url} answered 404 for skill "no-such-skill": no such skill`],
    ];
    // All at once (ten CLI starts), each refusal checked on its own; the state dir is compared once they all ended.
    const results = await Promise.all(cases.map(async ([slug, message]) => ({ slug, message, r: await h.skills(["install", slug]) })));
    for (const { slug, message, r } of results) {
      expect({ slug, code: r.code, stderr: r.stderr }).toEqual({ slug, code: 1, stderr: expect.stringContaining(message) });
    }
    expect(await listing(h.dir)).toEqual(before);
    expect(auditOf(h).map((a) => a.kind)).toEqual(["skill.installed"]);
  }, 120_000);

  it("updates, refusing local edits until --force", async () => {
    const h = await home();
    await h.skills(["install", "weather-tool@1.0.0"]);
    const md = join(h.dir, "skills", "weather-tool", "SKILL.md");
    await writeFile(md, `${await readFile(md, "utf8")}\nMy own notes.\n`);
    const refused = await h.skills(["update", "weather-tool"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error: skill "weather-tool" was edited since 1.0.0 was installed');
    expect(await readFile(md, "utf8")).toContain("My own notes.");

    const forced = await h.skills(["update", "weather-tool", "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("updated weather-tool: 1.0.0 → 1.1.0");
    expect(await readFile(md, "utf8")).not.toContain("My own notes.");
    expect((await lockOf(h)).installs["weather-tool"].version).toBe("1.1.0");
    expect((await h.skills(["update", "--all"])).stdout).toContain("weather-tool is up to date (1.1.0)");
    expect((await readdir(join(h.dir, "skills"))).sort()).toEqual(["skills.lock.json", "weather-tool"]);
  });

  it("grants and revokes what a skill declares, audited, and removes it with its grants", async () => {
    const h = await home();
    const install = await h.skills(["install", "weather-tool", "--grant", "--json"]);
    expect(install.stderr).toContain("granting binaries curl, jq and env vars WEATHER_API_KEY to weather-tool (--grant)");
    expect(JSON.parse(install.stdout).grant).toMatchObject({ bins: ["curl", "jq"], env: ["WEATHER_API_KEY"] });

    expect((await h.skills(["revoke", "weather-tool", "--bin", "jq"])).stdout).toBe("weather-tool keeps binaries curl and env vars WEATHER_API_KEY\n");
    const bad = await h.skills(["grant", "weather-tool", "--bin", "bash"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('does not declare binary bash');
    expect((await h.skills(["grant", "weather-tool", "--bin", "jq"])).stdout).toBe("weather-tool may now use binaries curl, jq and env vars WEATHER_API_KEY\n");
    expect((await lockOf(h)).grants["weather-tool"]).toMatchObject({ bins: ["curl", "jq"], env: ["WEATHER_API_KEY"] });

    const removed = await h.skills(["remove", "weather-tool"]);
    expect(removed.stdout).toBe("removed weather-tool (weather-tool 1.1.0) and its grants\n");
    expect(await lockOf(h)).toEqual({ version: 1, installs: {}, grants: {} });
    expect(await readdir(join(h.dir, "skills"))).toEqual(["skills.lock.json"]);
    expect(auditOf(h)).toEqual([
      { kind: "skill.installed", reason: "installed weather-tool 1.1.0 with 'pincer skills install'" },
      { kind: "skill.granted", reason: "granted at install with 'pincer skills install'" },
      { kind: "skill.revoked", reason: "revoked binaries jq from weather-tool with 'pincer skills revoke'" },
      { kind: "skill.granted", reason: "granted binaries jq to weather-tool with 'pincer skills grant'" },
      { kind: "skill.removed", reason: "removed weather-tool with 'pincer skills remove'" },
    ]);
  });

  it("tells the user it waits out a 429", async () => {
    const h = await home();
    registry.rateLimit(1, "0");
    const r = await h.skills(["search", "weather"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`registry ${registry.url} is rate limiting; waiting 0 s (1 of 3)`);
  });
});
