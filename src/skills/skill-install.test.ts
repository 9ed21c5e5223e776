// Install, update, remove and grants against the fake ClawHub with an injected scanner (it blocks folders holding a
// file named EVIL and fingerprints the files): what lands on disk and in the lock, what is refused with nothing left
// behind, the audit records, and concurrent writers of the lock.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../core/domain.ts";
import { skillMd, startFakeRegistry, type FakeRegistry } from "../../test/fakes/clawhub-registry.ts";
import { createRegistryClient } from "./registry-client.ts";
import { SkillError } from "./skill-errors.ts";
import { grantSkill, revokeSkill } from "./skill-grants.ts";
import { installSkill, removeSkill } from "./skill-install.ts";
import { readSkillLock } from "./skill-lock.ts";
import type { SkillActor } from "./skill-staging.ts";
import type { ScanReport } from "./skill-types.ts";
import { updateSkills } from "./skill-update.ts";
import { updateSkillLock } from "./skills-mutex.ts";
import { openSqliteStore } from "../store/sqlite-store.ts";
import type { Store } from "../store/store.ts";

let fake: FakeRegistry;
let stateDir: string;
let audits: AuditRecord[];
let actor: SkillActor;
let store: Store;

beforeAll(async () => {
  fake = await startFakeRegistry({
    skills: [
      ...(await import("../../test/fakes/clawhub-registry.ts")).defaultCatalogue(),
      { slug: "evil-inside", displayName: "Evil", summary: "x", versions: [{ version: "1.0.0", files: { "SKILL.md": skillMd("evil-inside", "x"), EVIL: "boom" } }] },
    ],
  });
});
afterAll(() => fake.close());
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "pincer-skills-"));
  audits = [];
  store = await openSqliteStore({ path: ":memory:" });
  actor = { stateDir, audit: async (r) => void audits.push(r), repo: store.skills, via: "the test", now: () => Date.UTC(2026, 0, 1) };
});
afterEach(async () => {
  await store.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** The lock file as the store records it (what the other nodes of a cluster sync from). */
async function lockInStore(): Promise<{ installs: Record<string, unknown>; grants: Record<string, unknown> }> {
  const seen = await store.skills.snapshot();
  return { installs: Object.fromEntries(seen.installs), grants: Object.fromEntries(seen.grants) };
}

/** Walks a folder: relative paths of everything in it. */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map((e) => relative(dir, join(dir, e))).sort();
}

/** The fake scanner: blocks a folder with a file named EVIL; fingerprint = sha256 over sorted path:sha256 lines. */
async function fakeScan(dir: string): Promise<ScanReport> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  const lines: string[] = [];
  for (const f of files) {
    const path = relative(dir, join(f.parentPath, f.name));
    lines.push(`${path}:${createHash("sha256").update(await readFile(join(dir, path))).digest("hex")}`);
  }
  const evil = files.some((f) => f.name === "EVIL");
  return {
    verdict: evil ? "block" : "ok",
    findings: evil ? [{ code: "test.evil", severity: "block", file: "EVIL", message: "a file named EVIL" }] : [],
    files: files.length,
    bytes: 0,
    fingerprint: createHash("sha256").update(lines.sort().join("\n")).digest("hex"),
  };
}

const opts = (slug: string, more: Record<string, unknown> = {}) => ({ client: createRegistryClient({ registry: fake.url }), scan: fakeScan, slug, ...more });

async function refusal(p: Promise<unknown>): Promise<SkillError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SkillError);
  return err as SkillError;
}

describe("installSkill", () => {
  it("installs into <state>/skills/<name>, records the origin in the lock and audits", async () => {
    const result = await installSkill(actor, opts("weather-tool", { version: "1.0.0" }));
    expect(result.dir).toBe(join(stateDir, "skills", "weather-tool"));
    expect(await listing(result.dir)).toEqual(["SKILL.md", "scripts", "scripts/forecast.py"]);
    const lock = await readSkillLock(stateDir);
    expect(lock.installs["weather-tool"]).toEqual({
      registry: fake.url, slug: "weather-tool", version: "1.0.0", sha256: result.install.sha256,
      fingerprint: (await fakeScan(result.dir)).fingerprint, installedAt: "2026-01-01T00:00:00.000Z",
    });
    expect(lock.grants["weather-tool"]).toBeUndefined();
    expect(result.declared).toEqual({ bins: ["curl", "jq"], env: ["WEATHER_API_KEY"] });
    expect(audits.map((a) => a.kind)).toEqual(["skill.installed"]);
    expect(await listing(join(stateDir, "skills"))).not.toContain(".mutex");
  });

  it("grants everything declared with grant", async () => {
    await installSkill(actor, opts("weather-tool", { grant: true }));
    expect((await readSkillLock(stateDir)).grants["weather-tool"]).toEqual({ bins: ["curl", "jq"], env: ["WEATHER_API_KEY"], grantedAt: "2026-01-01T00:00:00.000Z" });
    expect(audits.map((a) => a.kind)).toEqual(["skill.installed", "skill.granted"]);
  });

  it.each([
    ["crypto-stealer", "malicious", "flags skill \"crypto-stealer\" as malicious"],
    ["quiet-stealer", "malicious", "answered 403"],
    ["shady-helper", "suspicious", "as suspicious: suspicious.dynamic_code_execution"],
    ["zip-slip", "invalid_bundle", "leaves the skill folder"],
    ["link-trick", "invalid_bundle", "is a symbolic link"],
    ["huge-skill", "invalid_bundle", "the cap for one file"],
    ["bad-name", "invalid_bundle", "no usable skill name"],
    ["evil-inside", "scan_blocked", "EVIL test.evil: a file named EVIL"],
  ])("refuses %s (%s) and leaves nothing under the state dir", async (slug, code, text) => {
    const before = await listing(stateDir);
    const err = await refusal(installSkill(actor, opts(slug)));
    expect(err.code).toBe(code);
    expect(err.message).toContain(text);
    expect(await listing(stateDir)).toEqual(before);
    expect(audits).toEqual([]);
  });

  it("installs a suspicious skill with force", async () => {
    const lines: string[] = [];
    await installSkill({ ...actor, progress: (l) => lines.push(l) }, opts("shady-helper", { force: true }));
    expect(lines.some((l) => l.startsWith('warning: registry flags "shady-helper" as suspicious'))).toBe(true);
  });

  it("refuses to install over an installed skill and points to update", async () => {
    await installSkill(actor, opts("weather-tool"));
    const err = await refusal(installSkill(actor, opts("weather-tool")));
    expect(err.code).toBe("exists");
    expect(err.message).toContain("'pincer skills update weather-tool'");
    expect(await listing(join(stateDir, "skills"))).not.toContain(expect.stringMatching(/^\.staging-/));
  });
});

describe("updateSkills", () => {
  it("swaps in the newer version, keeping grants", async () => {
    await installSkill(actor, opts("weather-tool", { version: "1.0.0", grant: true }));
    const [outcome] = await updateSkills(actor, { client: createRegistryClient({ registry: fake.url }), scan: fakeScan, target: "weather-tool" });
    expect(outcome).toMatchObject({ name: "weather-tool", from: "1.0.0", to: "1.1.0", status: "updated" });
    expect(await listing(join(stateDir, "skills", "weather-tool"))).toContain("references/cities.md");
    const lock = await readSkillLock(stateDir);
    expect(lock.installs["weather-tool"]?.version).toBe("1.1.0");
    expect(lock.grants["weather-tool"]?.bins).toEqual(["curl", "jq"]);
    expect((await listing(join(stateDir, "skills"))).filter((e) => e.startsWith("."))).toEqual([]);
  });

  it("refuses to overwrite local edits without force, and overwrites them with force", async () => {
    await installSkill(actor, opts("weather-tool", { version: "1.0.0" }));
    const edited = join(stateDir, "skills", "weather-tool", "SKILL.md");
    await writeFile(edited, "---\nname: weather-tool\ndescription: mine\n---\n");
    const client = createRegistryClient({ registry: fake.url });
    const err = await refusal(updateSkills(actor, { client, scan: fakeScan, target: "weather-tool" }));
    expect(err.code).toBe("local_edits");
    expect(await readFile(edited, "utf8")).toContain("description: mine");
    await updateSkills(actor, { client, scan: fakeScan, target: "weather-tool", force: true });
    expect(await readFile(edited, "utf8")).toContain("Version 1.1.0");
  });

  it("says up to date when the registry has nothing newer", async () => {
    await installSkill(actor, opts("weather-tool"));
    const out = await updateSkills(actor, { client: createRegistryClient({ registry: fake.url }), scan: fakeScan, all: true });
    expect(out).toEqual([{ name: "weather-tool", slug: "weather-tool", from: "1.1.0", to: "1.1.0", status: "up-to-date" }]);
  });
});

describe("the store's record", () => {
  it("follows install, grant, update, revoke and remove: the bundle as downloaded, and the same entries as the lock", async () => {
    const result = await installSkill(actor, opts("weather-tool", { version: "1.0.0", grant: true }));
    const bundle = await store.skills.getBundle(result.install.sha256);
    expect(createHash("sha256").update(bundle!).digest("hex")).toBe(result.install.sha256);
    const { version: _, ...lock } = await readSkillLock(stateDir);
    expect(await lockInStore()).toEqual(JSON.parse(JSON.stringify(lock)));
    await revokeSkill(actor, { name: "weather-tool", bins: ["jq"] });
    await updateSkills(actor, { client: createRegistryClient({ registry: fake.url }), scan: fakeScan, target: "weather-tool" });
    const { version: __, ...updated } = await readSkillLock(stateDir);
    expect(await lockInStore()).toEqual(JSON.parse(JSON.stringify(updated)));
    expect(updated.installs["weather-tool"]?.version).toBe("1.1.0");
    expect(await store.skills.getBundle(updated.installs["weather-tool"]!.sha256)).toBeDefined();
    await removeSkill(actor, "weather-tool");
    expect(await lockInStore()).toEqual({ installs: {}, grants: {} });
  });

  it("records nothing for a refused install, and nothing stays local when the store refuses", async () => {
    await refusal(installSkill(actor, opts("evil-inside")));
    expect(await lockInStore()).toEqual({ installs: {}, grants: {} });
    const failing: SkillActor = { ...actor, repo: { ...store.skills, setInstall: async () => Promise.reject(new Error("database down")) } };
    await expect(installSkill(failing, opts("weather-tool"))).rejects.toThrow("database down");
    expect(await listing(join(stateDir, "skills"))).toEqual([]);
    expect(await readSkillLock(stateDir)).toEqual({ version: 1, installs: {}, grants: {} });
  });
});

describe("removeSkill and grants", () => {
  it("grants what is declared, refuses what is not, revokes, and removes with the grants", async () => {
    await installSkill(actor, opts("weather-tool"));
    expect(await grantSkill(actor, { name: "weather-tool", bins: ["curl"] })).toMatchObject({ bins: ["curl"], env: [] });
    const err = await refusal(grantSkill(actor, { name: "weather-tool", bins: ["bash"] }));
    expect(err.message).toBe('skill "weather-tool" does not declare binary bash; it declares binaries curl, jq and env vars WEATHER_API_KEY. Only what its SKILL.md declares can be granted');
    expect(await grantSkill(actor, { name: "weather-tool" })).toMatchObject({ bins: ["curl", "jq"], env: ["WEATHER_API_KEY"] });
    expect(await revokeSkill(actor, { name: "weather-tool", env: ["WEATHER_API_KEY"] })).toMatchObject({ bins: ["curl", "jq"], env: [] });
    const removed = await removeSkill(actor, "weather-tool");
    expect(removed.grant?.bins).toEqual(["curl", "jq"]);
    expect(await readSkillLock(stateDir)).toEqual({ version: 1, installs: {}, grants: {} });
    expect(await listing(join(stateDir, "skills"))).toEqual(["skills.lock.json"]);
    expect(audits.map((a) => a.kind)).toEqual(["skill.installed", "skill.granted", "skill.granted", "skill.revoked", "skill.removed"]);
    expect(audits.at(-1)?.reason).toBe("removed weather-tool with the test");
  });

  it("refuses to remove a skill that is not there", async () => {
    expect((await refusal(removeSkill(actor, "nothing-here"))).code).toBe("not_installed");
    expect((await refusal(removeSkill(actor, "../etc"))).message).toContain("is not a skill name");
  });
});

describe("updateSkillLock", () => {
  it("keeps every change when many writers update the lock at once", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `skill-${i}`);
    await Promise.all(names.map((name) => updateSkillLock(stateDir, async (lock) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lock.grants[name] = { bins: [name], env: [], grantedAt: "t" };
    })));
    expect(Object.keys((await readSkillLock(stateDir)).grants).sort()).toEqual([...names].sort());
  });
});
