// Store contract cases for installed skills shared by a cluster: content-addressed bundles (checked, capped, pruned
// once unreferenced), installs and grants, and the generation that tells a worker whether anything changed.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SKILL_BUNDLE_MAX_BYTES, type SkillInstallEntry, type Store } from "./store.ts";

export interface SkillsContractContext {
  /** The current case's store, migrated. */
  store: () => Store;
  /** Advances the faked clock by `ms`. */
  tick: (ms?: number) => void;
}

const sha = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const HOUR = 60 * 60 * 1000;

function installOf(bytes: Uint8Array, version = "1.0.0"): SkillInstallEntry {
  return { registry: "https://clawhub.ai", slug: "weather", version, sha256: sha(bytes), fingerprint: `fp-${version}`, installedAt: "2025-01-01T00:00:00.000Z" };
}

export function describeSkillsContract({ store: current, tick }: SkillsContractContext): void {
  describe("skills", () => {
    it("keeps a bundle under its sha256, byte for byte, idempotently", async () => {
      const skills = current().skills;
      const bytes = new Uint8Array([0, 1, 2, 255, 80, 75, 3, 4, 0]);
      expect(await skills.getBundle(sha(bytes))).toBeUndefined();
      await skills.putBundle(sha(bytes), bytes);
      await skills.putBundle(sha(bytes), bytes);
      const back = await skills.getBundle(sha(bytes));
      expect(back).toBeInstanceOf(Uint8Array);
      expect([...back!]).toEqual([...bytes]);
    });

    it("refuses a bundle whose bytes do not match its key, a key that is not a sha256, and one over the cap", async () => {
      const skills = current().skills;
      const bytes = new Uint8Array([1, 2, 3]);
      await expect(skills.putBundle(sha(new Uint8Array([9])), bytes)).rejects.toThrow(/do not hash/);
      await expect(skills.putBundle("../etc/passwd", bytes)).rejects.toThrow(/sha256/);
      const huge = new Uint8Array(SKILL_BUNDLE_MAX_BYTES + 1);
      await expect(skills.putBundle(sha(huge), huge)).rejects.toThrow(/larger than/);
      expect(await skills.getBundle(sha(bytes))).toBeUndefined();
    });

    it("records installs and grants, forgets them, and changes the generation with every change", async () => {
      const skills = current().skills;
      expect(await skills.generation()).toBe(0);
      expect(await skills.snapshot()).toEqual({ installs: new Map(), grants: new Map(), generation: 0 });
      const v1 = installOf(new Uint8Array([1]));
      await skills.setInstall("weather", v1);
      const g1 = await skills.generation();
      await skills.setGrant("weather", { bins: ["curl"], env: ["WEATHER_KEY"], grantedAt: "2025-01-02T00:00:00.000Z" });
      const g2 = await skills.generation();
      const v2 = installOf(new Uint8Array([2]), "1.1.0");
      await skills.setInstall("weather", v2);
      await skills.setGrant("other", { bins: [], env: ["X"], grantedAt: "2025-01-03T00:00:00.000Z" });
      const seen = await skills.snapshot();
      expect(new Set([0, g1, g2, seen.generation]).size).toBe(4);
      expect(seen.installs).toEqual(new Map([["weather", v2]]));
      expect(seen.grants).toEqual(new Map([
        ["other", { bins: [], env: ["X"], grantedAt: "2025-01-03T00:00:00.000Z" }],
        ["weather", { bins: ["curl"], env: ["WEATHER_KEY"], grantedAt: "2025-01-02T00:00:00.000Z" }],
      ]));
      await skills.setInstall("weather", undefined);
      await skills.setGrant("weather", undefined);
      await skills.setGrant("never-granted", undefined);
      const after = await skills.snapshot();
      expect(after.installs.size).toBe(0);
      expect([...after.grants.keys()]).toEqual(["other"]);
      expect(after.generation).not.toBe(seen.generation);
      expect(await skills.generation()).toBe(after.generation);
    });

    it("names with a special meaning in JavaScript objects are plain keys", async () => {
      const skills = current().skills;
      await skills.setInstall("constructor", installOf(new Uint8Array([3])));
      await skills.setGrant("__proto__", { bins: ["git"], env: [], grantedAt: "2025-01-01T00:00:00.000Z" });
      const seen = await skills.snapshot();
      expect(seen.installs.get("constructor")?.version).toBe("1.0.0");
      expect(seen.grants.get("__proto__")?.bins).toEqual(["git"]);
    });

    it("drops a bundle once no install refers to it and it was put over an hour ago; a fresh put is kept for its install", async () => {
      const skills = current().skills;
      const old = new Uint8Array([1, 1]);
      const current_ = new Uint8Array([2, 2]);
      const pending = new Uint8Array([3, 3]);
      await skills.putBundle(sha(old), old);
      await skills.setInstall("weather", installOf(old));
      tick(2 * HOUR);
      await skills.putBundle(sha(current_), current_);
      await skills.putBundle(sha(pending), pending); // its install has not landed yet
      await skills.setInstall("weather", installOf(current_, "2.0.0"));
      expect(await skills.getBundle(sha(old))).toBeUndefined();
      expect(await skills.getBundle(sha(current_))).toBeDefined();
      expect(await skills.getBundle(sha(pending))).toBeDefined();
      tick(2 * HOUR);
      await skills.setInstall("weather", undefined);
      expect(await skills.getBundle(sha(current_))).toBeUndefined();
      expect(await skills.getBundle(sha(pending))).toBeUndefined();
    });

    it("counts concurrent changes once each", async () => {
      const skills = current().skills;
      await Promise.all(Array.from({ length: 10 }, (_, i) => skills.setGrant(`s${i}`, { bins: [], env: [`E${i}`], grantedAt: "2025-01-01T00:00:00.000Z" })));
      expect(await skills.generation()).toBe(10);
      expect((await skills.snapshot()).grants.size).toBe(10);
    });
  });
}
