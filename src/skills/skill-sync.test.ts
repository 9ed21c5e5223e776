// The sync of the managed skills folder from the store: materialised through the installer's checks, removed when
// uninstalled, the lock rewritten from the store; one generation query when nothing changed; refusals reported and
// not retried; a missing bundle retried; two processes sharing a state dir taking turns.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildBundle, skillMd } from "../../test/fakes/clawhub-registry.ts";
import { openSqliteStore } from "../store/sqlite-store.ts";
import type { SkillInstallEntry, SkillRepo, Store } from "../store/store.ts";
import { readSkillLock } from "./skill-lock.ts";
import { createSkillSync } from "./skill-sync.ts";
import { fakeScanner } from "./skill-test-kit.ts";

let store: Store;
let stateDir: string;
let calls: string[];
let repo: SkillRepo;

beforeEach(async () => {
  store = await openSqliteStore({ path: ":memory:" });
  stateDir = await mkdtemp(join(tmpdir(), "pincer-sync-"));
  calls = [];
  const base = store.skills;
  repo = {
    ...base,
    generation: () => (calls.push("generation"), base.generation()),
    snapshot: () => (calls.push("snapshot"), base.snapshot()),
    getBundle: (sha) => (calls.push("getBundle"), base.getBundle(sha)),
  };
});
afterEach(async () => {
  await store.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** Puts a bundle of skill `name` (SKILL.md with `body`) in the store and records its install. */
async function publish(name: string, version: string, body = "Use it.\n", more: Record<string, string> = {}): Promise<SkillInstallEntry> {
  const zip = buildBundle({ slug: name, displayName: name, summary: "", versions: [] }, { version, files: { "SKILL.md": skillMd(name, `The ${name} skill.`, {}, body), ...more } });
  const sha256 = createHash("sha256").update(zip).digest("hex");
  await store.skills.putBundle(sha256, zip);
  const entry = { registry: "https://clawhub.ai", slug: name, version, sha256, fingerprint: `fp-${version}`, installedAt: "2026-01-01T00:00:00.000Z" };
  await store.skills.setInstall(name, entry);
  return entry;
}

const skillsDir = () => join(stateDir, "skills");
const folders = async (): Promise<string[]> => (await readdir(skillsDir()).catch(() => [] as string[])).filter((n) => n !== "skills.lock.json").sort();

describe("createSkillSync", () => {
  it("materialises the store's skills and lock, then costs one generation query while nothing changes", async () => {
    const weather = await publish("weather", "1.0.0", "Use it.\n", { "scripts/run.sh": "echo hi\n" });
    await store.skills.setGrant("weather", { bins: ["curl"], env: [], grantedAt: "2026-01-02T00:00:00.000Z" });
    const sync = createSkillSync({ stateDir, repo, scan: fakeScanner() });
    expect(await sync.sync()).toEqual({ changed: true, materialised: ["weather"], removed: [], refused: [] });
    expect(await folders()).toEqual(["weather"]);
    expect(await readFile(join(skillsDir(), "weather", "scripts", "run.sh"), "utf8")).toBe("echo hi\n");
    const lock = await readSkillLock(stateDir);
    expect({ ...lock.installs }).toEqual({ weather });
    expect({ ...lock.grants }).toEqual({ weather: { bins: ["curl"], env: [], grantedAt: "2026-01-02T00:00:00.000Z" } });
    calls.length = 0;
    expect(await sync.sync()).toMatchObject({ changed: false });
    expect(calls).toEqual(["generation"]);
  });

  it("swaps in a changed version, follows grant changes without re-extracting, and removes an uninstalled skill", async () => {
    await publish("weather", "1.0.0");
    await publish("notes", "1.0.0");
    const scan = fakeScanner();
    const sync = createSkillSync({ stateDir, repo, scan });
    await sync.sync();
    await publish("weather", "2.0.0", "Version two.\n");
    await store.skills.setInstall("notes", undefined);
    expect(await sync.sync()).toEqual({ changed: true, materialised: ["weather"], removed: ["notes"], refused: [] });
    expect(await readFile(join(skillsDir(), "weather", "SKILL.md"), "utf8")).toContain("Version two.");
    expect(await folders()).toEqual(["weather"]);
    expect(Object.keys((await readSkillLock(stateDir)).installs)).toEqual(["weather"]);
    const scans = scan.calls.length;
    calls.length = 0;
    await store.skills.setGrant("weather", { bins: [], env: ["KEY"], grantedAt: "2026-01-03T00:00:00.000Z" });
    expect(await sync.sync()).toEqual({ changed: true, materialised: [], removed: [], refused: [] });
    expect(calls).toEqual(["generation", "snapshot"]);
    expect(scan.calls.length).toBe(scans);
    expect((await readSkillLock(stateDir)).grants["weather"]?.env).toEqual(["KEY"]);
  });

  it("does not materialise a bundle the scanner blocks, reports it, keeps the version already here, and does not scan it again", async () => {
    const v1 = await publish("weather", "1.0.0");
    const scan = fakeScanner();
    const sync = createSkillSync({ stateDir, repo, scan });
    await sync.sync();
    await publish("weather", "1.1.0", "BLOCK-ME\n");
    const result = await sync.sync();
    expect(result.materialised).toEqual([]);
    expect(result.refused).toEqual([{ name: "weather", reason: expect.stringContaining('the safety scan blocked "weather" (weather 1.1.0)') }]);
    expect(await readFile(join(skillsDir(), "weather", "SKILL.md"), "utf8")).not.toContain("BLOCK-ME");
    expect((await readSkillLock(stateDir)).installs["weather"]).toEqual(v1);
    expect(await folders()).toEqual(["weather"]);
    const scans = scan.calls.length;
    await store.skills.setGrant("other", { bins: ["git"], env: [], grantedAt: "2026-01-01T00:00:00.000Z" });
    expect((await sync.sync()).refused).toHaveLength(1);
    expect(scan.calls.length).toBe(scans);
  });

  it("refuses a bundle that does not hash to its key or names another skill, leaving nothing behind", async () => {
    const other = await publish("other", "1.0.0");
    await store.skills.setInstall("other", undefined);
    await store.skills.setInstall("weather", { ...other, slug: "weather" }); // the bundle's SKILL.md names "other"
    const forged: SkillRepo = { ...repo, getBundle: async () => new Uint8Array([1, 2, 3]) };
    const first = await createSkillSync({ stateDir, repo: forged, scan: fakeScanner() }).sync();
    expect(first.refused).toEqual([{ name: "weather", reason: expect.stringContaining("does not hash to") }]);
    const second = await createSkillSync({ stateDir, repo, scan: fakeScanner() }).sync();
    expect(second.refused).toEqual([{ name: "weather", reason: expect.stringContaining('names the skill "other", not "weather"') }]);
    expect(await folders()).toEqual([]);
    expect({ ...(await readSkillLock(stateDir)).installs }).toEqual({});
  });

  it("keeps the skills already here while the store never recorded a skill change (installed before the store kept skills)", async () => {
    await publish("weather", "1.0.0");
    const other = createSkillSync({ stateDir, repo, scan: fakeScanner() });
    await other.sync();
    const empty = await openSqliteStore({ path: ":memory:" });
    try {
      expect(await createSkillSync({ stateDir, repo: empty.skills, scan: fakeScanner() }).sync()).toMatchObject({ changed: false, removed: [] });
      expect(await folders()).toEqual(["weather"]);
      await empty.skills.setGrant("notes", { bins: [], env: ["X"], grantedAt: "2026-01-01T00:00:00.000Z" });
      expect(await createSkillSync({ stateDir, repo: empty.skills, scan: fakeScanner() }).sync()).toMatchObject({ changed: true, removed: ["weather"] });
    } finally {
      await empty.close();
    }
  });

  it("retries a bundle missing from the store on the next sync", async () => {
    const entry = await publish("weather", "1.0.0");
    let missing = true;
    const flaky: SkillRepo = { ...repo, getBundle: async (sha) => (missing ? undefined : store.skills.getBundle(sha)) };
    const sync = createSkillSync({ stateDir, repo: flaky, scan: fakeScanner() });
    expect((await sync.sync()).refused).toEqual([{ name: "weather", reason: expect.stringContaining("it is retried on the next run") }]);
    missing = false;
    expect(await sync.sync()).toEqual({ changed: true, materialised: ["weather"], removed: [], refused: [] });
    expect((await readSkillLock(stateDir)).installs["weather"]).toEqual(entry);
  });

  it("lets two processes sharing a state dir sync at once, and one process's concurrent calls share a pass", async () => {
    for (const name of ["a-skill", "b-skill", "c-skill"]) await publish(name, "1.0.0");
    const one = createSkillSync({ stateDir, repo, scan: fakeScanner() });
    const two = createSkillSync({ stateDir, repo, scan: fakeScanner() });
    calls.length = 0;
    const [x, y, z] = await Promise.all([one.sync(), one.sync(), two.sync()]);
    expect(x).toBe(y);
    expect(calls.filter((c) => c === "snapshot")).toHaveLength(2);
    // The mutex puts them one after the other; the second finds everything in place.
    expect([...x!.materialised, ...z!.materialised].sort()).toEqual(["a-skill", "b-skill", "c-skill"]);
    expect(await folders()).toEqual(["a-skill", "b-skill", "c-skill"]);
    expect(Object.keys((await readSkillLock(stateDir)).installs).sort()).toEqual(["a-skill", "b-skill", "c-skill"]);
  });
});
