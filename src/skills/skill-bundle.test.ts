// Bundle extraction: a clean bundle lands with safe modes; each kind of hostile entry refuses the whole bundle with
// nothing written; a zip bomb whose headers lie stops at the cap while inflating.
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { extractSkillBundle, type BundleLimits } from "./skill-bundle.ts";
import { SkillError } from "./skill-errors.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const SKILL = text("---\nname: demo\ndescription: A demo skill.\n---\nUse it.\n");
const LIMITS: BundleLimits = { maxFiles: 10, maxFileBytes: 1024 * 1024, maxTotalBytes: 2 * 1024 * 1024 };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pincer-bundle-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Runs the extraction and returns the refusal message; fails the test if the bundle was accepted. */
async function refusal(zip: Uint8Array, limits = LIMITS): Promise<string> {
  const err = await extractSkillBundle(zip, dir, limits).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SkillError);
  expect((err as SkillError).code).toBe("invalid_bundle");
  expect(await readdir(dir)).toEqual([]);
  return (err as SkillError).message;
}

/** Calls `edit` with a view on the central directory record of `name`. */
function patchCentral(zip: Uint8Array, name: string, edit: (view: DataView, at: number) => void): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const wanted = text(name);
  for (let at = 0; at + 46 < zip.byteLength; at++) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const n = view.getUint16(at + 28, true);
    if (Buffer.from(zip.subarray(at + 46, at + 46 + n)).equals(Buffer.from(wanted))) {
      edit(view, at);
      return zip;
    }
  }
  throw new Error(`no central record for ${name}`);
}

describe("extractSkillBundle", () => {
  it("writes a clean bundle with folders 0755 and files 0644, dropping ClawHub's _meta.json", async () => {
    const zip = zipSync({ "SKILL.md": SKILL, "scripts/run.sh": [text("echo hi\n"), { os: 3, attrs: (0o100755 << 16) >>> 0 }], "_meta.json": text("{}") });
    const files = await extractSkillBundle(zip, dir, LIMITS);
    expect(files.map((f) => f.path).sort()).toEqual(["SKILL.md", "scripts/run.sh"]);
    expect(await readFile(join(dir, "scripts/run.sh"), "utf8")).toBe("echo hi\n");
    expect((await stat(join(dir, "scripts/run.sh"))).mode & 0o777).toBe(0o644);
    expect((await stat(join(dir, "scripts"))).mode & 0o777).toBe(0o755);
    expect(await readdir(dir)).not.toContain("_meta.json");
  });

  it("strips the one top-level folder that holds SKILL.md", async () => {
    const zip = zipSync({ "demo/SKILL.md": SKILL, "demo/ref/a.md": text("a") });
    expect((await extractSkillBundle(zip, dir, LIMITS)).map((f) => f.path).sort()).toEqual(["SKILL.md", "ref/a.md"]);
  });

  it("refuses a bundle without SKILL.md", async () => {
    expect(await refusal(zipSync({ "README.md": text("x") }))).toBe("bundle refused: it has no SKILL.md at its root (nor in a single top-level folder)");
  });

  it.each([
    ["../evil", "leaves the skill folder"],
    ["a/./../../evil", "leaves the skill folder"],
    ["/etc/evil", "is an absolute path"],
    ["a\\evil", "has a backslash"],
    ["C:/evil", "starts with a drive letter"],
    ["a//evil", "empty or too long path segment"],
  ])("refuses an entry named %s", async (name, why) => {
    expect(await refusal(zipSync({ "SKILL.md": SKILL, [name]: text("x") }))).toContain(why);
  });

  it("refuses a symbolic link entry", async () => {
    const zip = zipSync({ "SKILL.md": SKILL, link: [text("/etc/passwd"), { os: 3, attrs: (0o120777 << 16) >>> 0 }] });
    expect(await refusal(zip)).toBe('bundle refused: entry "link" is a symbolic link');
  });

  it("refuses two names that differ only in case", async () => {
    expect(await refusal(zipSync({ "SKILL.md": SKILL, "a.md": text("1"), "A.md": text("2") }))).toContain("name the same file");
  });

  it("refuses a file that is also a folder", async () => {
    expect(await refusal(zipSync({ "SKILL.md": SKILL, a: text("1"), "a/b": text("2") }))).toContain('lies inside "a", which is a file');
  });

  it("refuses more entries than allowed before reading them", async () => {
    const zip = zipSync({ "SKILL.md": SKILL, a: text("1"), b: text("2"), c: text("3") });
    expect(await refusal(zip, { ...LIMITS, maxFiles: 3 })).toBe("bundle refused: it has 4 entries, more than the 3 allowed");
  });

  it("refuses an encrypted entry", async () => {
    const zip = patchCentral(zipSync({ "SKILL.md": SKILL, a: text("1") }), "a", (v, at) => v.setUint16(at + 8, v.getUint16(at + 8, true) | 1, true));
    expect(await refusal(zip)).toBe('bundle refused: entry "a" is encrypted');
  });

  it("refuses an unsupported compression method", async () => {
    const zip = patchCentral(zipSync({ "SKILL.md": SKILL, a: text("1") }), "a", (v, at) => v.setUint16(at + 10, 12, true));
    expect(await refusal(zip)).toContain("compression method 12");
  });

  it("refuses a file over the per-file cap", async () => {
    expect(await refusal(zipSync({ "SKILL.md": SKILL, big: new Uint8Array(LIMITS.maxFileBytes + 1) }))).toContain("more than 1 MiB (the cap for one file)");
  });

  it("refuses files over the total cap", async () => {
    const part = new Uint8Array(800 * 1024);
    expect(await refusal(zipSync({ "SKILL.md": SKILL, a: part, b: part, c: part }))).toContain("more than 2 MiB in all");
  });

  it("stops a zip bomb whose headers claim a tiny size at the cap, while inflating", async () => {
    const zip = zipSync({ "SKILL.md": SKILL, bomb: new Uint8Array(16 * 1024 * 1024) }, { level: 9 });
    expect(zip.byteLength).toBeLessThan(64 * 1024);
    patchCentral(zip, "bomb", (v, at) => v.setUint32(at + 24, 10, true));
    expect(await refusal(zip)).toBe('bundle refused: "bomb" inflates to more than 1 MiB (the cap for one file)');
  });

  it("refuses a damaged entry whose CRC does not match", async () => {
    const zip = patchCentral(zipSync({ "SKILL.md": SKILL, a: text("hello") }), "a", (v, at) => v.setUint32(at + 16, 1, true));
    expect(await refusal(zip)).toContain('"a" is damaged');
  });

  it("refuses something that is not a ZIP", async () => {
    expect(await refusal(text("<html>not found</html>"))).toBe("bundle refused: it is not a ZIP archive (no end of central directory)");
  });
});
