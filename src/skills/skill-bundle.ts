// Safe extraction of a skill bundle (a ZIP as a ClawHub-compatible registry serves it): every entry is checked and
// inflated in memory under caps measured while inflating, and only a bundle that passes as a whole is written, into a
// folder the caller made. What is refused, and the file modes written, are documented in docs/skills.md.
import { open, mkdir } from "node:fs/promises";
import { constants } from "node:fs";
import { join } from "node:path";
import { Inflate } from "fflate";
import { SkillError } from "./skill-errors.ts";
import { crc32Update, readZipDirectory, ZipFormatError, type ZipEntry } from "./zip-directory.ts";

export interface BundleLimits {
  /** Entries in the archive (files and folders). */
  maxFiles: number;
  /** Bytes of one file, inflated. */
  maxFileBytes: number;
  /** Bytes of all files together, inflated. */
  maxTotalBytes: number;
}

/** ClawHub caps a published skill at 50 MB in all and serves single files up to 10 MB. */
export const DEFAULT_BUNDLE_LIMITS: BundleLimits = { maxFiles: 1_000, maxFileBytes: 10 * 1024 * 1024, maxTotalBytes: 50 * 1024 * 1024 };

/** One file of a bundle: its path relative to the skill folder (`/`-separated) and its bytes. */
export interface BundleFile {
  path: string;
  bytes: Uint8Array;
}

/** Registry metadata ClawHub adds at the bundle's root (`ownerId`, `slug`, `version`, `publishedAt`); the lock file
 * records where a skill came from instead, so it is not written into the skill. */
const REGISTRY_META = "_meta.json";
/** Compressed bytes given to the inflater at a time: a deflate stream expands at most ~1032×, so one step makes at
 * most ~1 MiB before the running count is checked. */
const INFLATE_STEP = 1024;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/**
 * Checks and inflates a bundle, returning its files relative to the skill folder (a single top-level folder holding
 * SKILL.md is stripped; ClawHub's own bundles have SKILL.md at the root). Nothing is written.
 * Throws SkillError `invalid_bundle` naming the first entry refused and why.
 */
export function readSkillBundle(zip: Uint8Array, limits: BundleLimits = DEFAULT_BUNDLE_LIMITS): BundleFile[] {
  let entries: ZipEntry[];
  try {
    entries = readZipDirectory(zip, limits.maxFiles);
  } catch (err) {
    if (err instanceof ZipFormatError) throw refuse(err.message);
    throw err;
  }
  const files: BundleFile[] = [];
  const taken = new Map<string, string>();
  const folders = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    const { path, folder } = checkEntry(entry);
    const key = path.normalize("NFC").toLowerCase();
    const clash = taken.get(key);
    if (clash !== undefined) throw refuse(`"${entry.name}" and "${clash}" name the same file (names are compared without case)`);
    taken.set(key, entry.name);
    if (folder) {
      folders.add(key);
      continue;
    }
    const bytes = inflateEntry(zip, entry, { fileCap: limits.maxFileBytes, totalLeft: limits.maxTotalBytes - total, totalCap: limits.maxTotalBytes });
    total += bytes.byteLength;
    files.push({ path, bytes });
  }
  checkFileFolderClashes(files, folders);
  return layOut(files);
}

/** Checks `zip` whole, then writes its files into `dir` (an existing, empty folder); a refused bundle writes nothing. */
export async function extractSkillBundle(zip: Uint8Array, dir: string, limits: BundleLimits = DEFAULT_BUNDLE_LIMITS): Promise<BundleFile[]> {
  const files = readSkillBundle(zip, limits);
  await writeBundleFiles(dir, files);
  return files;
}

/** Writes `files` into `dir` (an existing, empty folder): folders 0755, files 0644 (never executable: a skill runs its
 * scripts through their interpreter), each file created exclusively without following links. */
export async function writeBundleFiles(dir: string, files: readonly BundleFile[]): Promise<void> {
  for (const file of files) {
    const parts = file.path.split("/");
    for (let i = 1; i < parts.length; i++) await mkdir(join(dir, ...parts.slice(0, i)), { mode: 0o755 }).catch(ignoreExists);
    const handle = await open(join(dir, ...parts), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      await handle.writeFile(file.bytes);
      await handle.chmod(0o644);
    } finally {
      await handle.close();
    }
  }
}

function ignoreExists(err: NodeJS.ErrnoException): void {
  if (err.code !== "EEXIST") throw err;
}

/** The entry's path with `.` segments dropped, or a refusal naming the entry. */
function checkEntry(entry: ZipEntry): { path: string; folder: boolean } {
  const name = entry.name;
  if (name.length === 0 || name.length > 1024) throw refuse(`an entry name is empty or longer than 1024 characters`);
  if ([...name].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) throw refuse(`entry ${JSON.stringify(name)} has control characters in its name`);
  if (name.includes("\\")) throw refuse(`entry "${name}" has a backslash in its name`);
  if (name.startsWith("/")) throw refuse(`entry "${name}" is an absolute path`);
  if (/^[A-Za-z]:/.test(name)) throw refuse(`entry "${name}" starts with a drive letter`);
  const folder = name.endsWith("/");
  const segments = (folder ? name.slice(0, -1) : name).split("/").filter((s) => s !== ".");
  if (segments.includes("..")) throw refuse(`entry "${name}" leaves the skill folder (..)`);
  if (segments.length === 0 || segments.some((s) => s === "" || s.length > 255)) throw refuse(`entry "${name}" has an empty or too long path segment`);
  if (entry.flags & 0x41) throw refuse(`entry "${name}" is encrypted`);
  const type = entry.unixMode === undefined ? 0 : entry.unixMode & S_IFMT;
  if (type === S_IFLNK) throw refuse(`entry "${name}" is a symbolic link`);
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw refuse(`entry "${name}" is not a regular file or folder`);
  if (type === S_IFDIR && !folder) throw refuse(`entry "${name}" is a folder without a trailing /`);
  if (!folder && entry.method !== 0 && entry.method !== 8) throw refuse(`entry "${name}" uses compression method ${entry.method} (only stored and deflate are supported)`);
  return { path: segments.join("/"), folder };
}

/** Inflates one entry, counting bytes as they come out: a lying header or a zip bomb stops at the cap. */
function inflateEntry(zip: Uint8Array, entry: ZipEntry, caps: { fileCap: number; totalLeft: number; totalCap: number }): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let crc = 0;
  const tooBig = (): SkillError =>
    size > caps.fileCap
      ? refuse(`"${entry.name}" inflates to more than ${formatBytes(caps.fileCap)} (the cap for one file)`)
      : refuse(`the files inflate to more than ${formatBytes(caps.totalCap)} in all (the cap for a bundle)`);
  const cap = Math.min(caps.fileCap, caps.totalLeft);
  if (entry.declaredSize > caps.fileCap) throw refuse(`"${entry.name}" declares ${formatBytes(entry.declaredSize)}, more than ${formatBytes(caps.fileCap)} (the cap for one file)`);
  const data = zip.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  const take = (chunk: Uint8Array): void => {
    size += chunk.byteLength;
    if (size > cap) throw tooBig();
    crc = crc32Update(crc, chunk);
    chunks.push(chunk);
  };
  if (entry.method === 0) {
    take(data);
  } else {
    const inflater = new Inflate((chunk) => take(chunk));
    try {
      for (let at = 0; at < data.byteLength; at += INFLATE_STEP) inflater.push(data.subarray(at, at + INFLATE_STEP), at + INFLATE_STEP >= data.byteLength);
      if (data.byteLength === 0) inflater.push(new Uint8Array(0), true);
    } catch (err) {
      if (err instanceof SkillError) throw err;
      throw refuse(`"${entry.name}" is not valid deflate data (${(err as Error).message})`);
    }
  }
  if (size !== entry.declaredSize || crc !== entry.crc32) throw refuse(`"${entry.name}" is damaged (its size or CRC does not match its header)`);
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** `a` as a file and `a/b` inside it cannot both exist on disk. */
function checkFileFolderClashes(files: readonly BundleFile[], folders: Set<string>): void {
  const fileKeys = new Set(files.map((f) => f.path.normalize("NFC").toLowerCase()));
  for (const f of files) {
    const parts = f.path.normalize("NFC").toLowerCase().split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      if (fileKeys.has(parent)) throw refuse(`"${f.path}" lies inside "${parent}", which is a file`);
    }
  }
  for (const key of folders) if (fileKeys.has(key)) throw refuse(`"${key}" is both a file and a folder`);
}

/** SKILL.md at the root, or in the one top-level folder every file sits in (stripped); `_meta.json` at the root dropped. */
function layOut(files: BundleFile[]): BundleFile[] {
  const kept = files.filter((f) => f.path !== REGISTRY_META);
  if (kept.some((f) => f.path === "SKILL.md")) return kept;
  const tops = new Set(kept.map((f) => (f.path.includes("/") ? f.path.slice(0, f.path.indexOf("/")) : "")));
  const [top] = tops;
  if (tops.size === 1 && top && kept.some((f) => f.path === `${top}/SKILL.md`)) return kept.map((f) => ({ path: f.path.slice(top.length + 1), bytes: f.bytes }));
  throw refuse("it has no SKILL.md at its root (nor in a single top-level folder)");
}

function refuse(why: string): SkillError {
  return new SkillError("invalid_bundle", `bundle refused: ${why}`);
}

function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${+(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${+(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} bytes`;
}
