// The scanner's walk of a skill folder: every entry is looked at without following symlinks (directories and
// files are opened from their parent's handle with O_NOFOLLOW, so a swap mid-walk cannot lead outside), and the
// tree-level checks: links, special files, hidden entries, .git, caps on size, count and depth.
import { createHash } from "node:crypto";
import { constants, existsSync, type Dirent } from "node:fs";
import { lstat, open, readdir, readlink, type FileHandle } from "node:fs/promises";
import { join, posix } from "node:path";
import { ASSET_TYPES, type AssetType } from "./scan-rules.ts";
import type { ScanFinding } from "./skill-types.ts";

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;
/** On Linux, `/proc/self/fd/<dirfd>/<name>` is `openat(dirfd, name)`: the walk never goes back through a path string. */
const PROC_FD = process.platform === "linux" && existsSync("/proc/self/fd");

export interface ScanLimits {
  /** Largest file read (bytes); a bigger file blocks the skill. */
  maxFileBytes: number;
  /** Most bytes of all files together. */
  maxTotalBytes: number;
  /** Most regular files. */
  maxFiles: number;
  /** Deepest folder nesting below the skill folder. */
  maxDepth: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = { maxFileBytes: 1024 * 1024, maxTotalBytes: 10 * 1024 * 1024, maxFiles: 500, maxDepth: 12 };

/** A regular file met by the walk. `content` is absent when a cap stopped it from being read. */
export interface WalkedFile {
  rel: string;
  size: number;
  mode: number;
  content?: Buffer;
  sha256: string;
}

export interface WalkResult {
  files: WalkedFile[];
  findings: ScanFinding[];
  bytes: number;
  /** A cap or an unreadable root ended the walk early: files may be missing from `files`. */
  stopped: boolean;
}

interface Dir {
  handle: FileHandle;
  path: string;
  rel: string;
  depth: number;
}

interface WalkState {
  limits: ScanLimits;
  files: WalkedFile[];
  findings: ScanFinding[];
  bytes: number;
  entries: number;
  stopped: boolean;
}

/** Hidden names that are ordinary in a skill published from a repository: no finding. */
const ORDINARY_HIDDEN = new Set([".gitignore", ".gitattributes", ".editorconfig", ".prettierrc", ".prettierignore", ".npmignore", ".clawhubignore", ".clawhub", ".github"]);

function at(dir: Dir, name: string): string {
  return PROC_FD ? `/proc/self/fd/${dir.handle.fd}/${name}` : join(dir.path, name);
}

function errCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function relOf(dir: Dir, name: string): string {
  return dir.rel === "" ? name : `${dir.rel}/${name}`;
}

/**
 * Why a path inside a skill (a directory entry, or an archive member) is unsafe, or undefined. Refuses absolute
 * paths, `..`, backslashes, drive letters, NUL and control characters.
 */
export function findPathProblem(rel: string): string | undefined {
  if (rel === "" || rel.startsWith("/")) return "is empty or absolute";
  // oxlint-disable-next-line no-control-regex -- control characters in names are refused
  if (/[\u0000-\u001f\u007f\\]/.test(rel)) return "contains a backslash or a control character";
  if (/^[A-Za-z]:/.test(rel)) return "starts with a drive letter";
  const normal = posix.normalize(rel);
  if (normal === ".." || normal.startsWith("../") || rel.split("/").includes("..")) return "leaves the skill folder (..)";
  return undefined;
}

/** Walks `root` and reads each regular file under the caps. Never throws for what is in the folder. */
export async function walkSkillFolder(root: string, limits: ScanLimits): Promise<WalkResult> {
  const state: WalkState = { limits, files: [], findings: [], bytes: 0, entries: 0, stopped: false };
  let handle: FileHandle;
  try {
    handle = await open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    // O_NOFOLLOW with O_DIRECTORY fails with ENOTDIR or ELOOP on a link: lstat tells which it was.
    const isLink = (await lstat(root).catch(() => undefined))?.isSymbolicLink() === true;
    const code = isLink ? "ELOOP" : errCode(error);
    const why = code === "ELOOP"
      ? { code: "symlink", message: "the skill folder itself is a symbolic link: scan and load the folder it points to instead" }
      : code === "ENOENT"
        ? { code: "unreadable", message: "the skill folder does not exist" }
        : code === "ENOTDIR"
          ? { code: "unreadable", message: "the skill path is not a folder" }
          : { code: "unreadable", message: `the skill folder cannot be read (${code ?? "error"}); check its owner and permissions` };
    state.findings.push({ ...why, severity: "block", file: "." });
    state.stopped = true;
    return state;
  }
  try {
    await walkDir(state, { handle, path: root, rel: "", depth: 0 });
  } finally {
    await handle.close();
  }
  return state;
}

async function walkDir(state: WalkState, dir: Dir): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(PROC_FD ? `/proc/self/fd/${dir.handle.fd}` : dir.path, { withFileTypes: true });
  } catch (error) {
    state.findings.push({ code: "unreadable", severity: "block", file: dir.rel || ".", message: `folder cannot be listed (${errCode(error) ?? "error"})` });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (state.stopped) return;
    const rel = relOf(dir, entry.name);
    const problem = findPathProblem(entry.name);
    if (problem !== undefined || entry.name.includes("/")) {
      state.findings.push({ code: "path_escape", severity: "block", file: JSON.stringify(rel), message: `the name ${problem ?? "contains a slash"}` });
      continue;
    }
    if (++state.entries > state.limits.maxFiles * 4) return stopWalk(state, "too_many_files", rel, `more than ${state.limits.maxFiles * 4} entries: too big for a skill`);
    const gitDir = entry.name === ".git" && entry.isDirectory();
    if (entry.name.startsWith(".") && !ORDINARY_HIDDEN.has(entry.name) && !gitDir && entry.name !== ".DS_Store") {
      state.findings.push({ code: "hidden_file", severity: "warn", file: rel, message: "hidden file or folder: easy to miss in a review; check what it holds" });
    }
    if (entry.isSymbolicLink()) await reportSymlink(state, dir, entry.name, rel);
    else if (entry.isDirectory()) await enterDir(state, dir, entry.name, rel);
    else if (entry.isFile()) await readEntry(state, dir, entry.name, rel);
    else state.findings.push({ code: "special_file", severity: "block", file: rel, message: "a FIFO, socket or device file: a skill holds only regular files and folders" });
  }
}

function stopWalk(state: WalkState, code: string, rel: string, message: string): void {
  state.findings.push({ code, severity: "block", file: rel, message });
  state.stopped = true;
}

async function reportSymlink(state: WalkState, dir: Dir, name: string, rel: string): Promise<void> {
  const target = await readlink(at(dir, name)).catch(() => "?");
  const shown = target.length > 80 ? `${target.slice(0, 80)}…` : target;
  state.findings.push({ code: "symlink", severity: "block", file: rel, message: `symbolic link to ${JSON.stringify(shown)}: links can point outside the skill; copy the file in instead` });
}

async function enterDir(state: WalkState, dir: Dir, name: string, rel: string): Promise<void> {
  if (dir.depth + 1 > state.limits.maxDepth) {
    state.findings.push({ code: "too_deep", severity: "block", file: rel, message: `folders nested deeper than ${state.limits.maxDepth} levels` });
    return;
  }
  let handle: FileHandle;
  try {
    handle = await open(at(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    if (errCode(error) === "ELOOP") return reportSymlink(state, dir, name, rel);
    state.findings.push({ code: "unreadable", severity: "block", file: rel, message: `folder cannot be opened (${errCode(error) ?? "error"})` });
    return;
  }
  try {
    const child: Dir = { handle, path: join(dir.path, name), rel, depth: dir.depth + 1 };
    if (name === ".git") await checkGitDir(state, child);
    else await walkDir(state, child);
  } finally {
    await handle.close();
  }
}

async function readEntry(state: WalkState, dir: Dir, name: string, rel: string): Promise<void> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO swapped in after the listing must not hang the open.
    handle = await open(at(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    if (errCode(error) === "ELOOP") return reportSymlink(state, dir, name, rel);
    state.findings.push({ code: "unreadable", severity: "block", file: rel, message: `file cannot be opened (${errCode(error) ?? "error"})` });
    return;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      state.findings.push({ code: "special_file", severity: "block", file: rel, message: "changed into a special file while being scanned" });
      return;
    }
    if (state.files.length + 1 > state.limits.maxFiles) return stopWalk(state, "too_many_files", rel, `more than ${state.limits.maxFiles} files: too many for a skill`);
    if (stat.nlink > 1) {
      state.findings.push({ code: "hard_link", severity: "warn", file: rel, message: `file has ${stat.nlink} hard links: the same bytes live elsewhere on this machine and may change from there` });
    }
    state.bytes += stat.size;
    if (state.bytes > state.limits.maxTotalBytes) return stopWalk(state, "total_too_large", rel, `the files total more than ${formatBytes(state.limits.maxTotalBytes)}: too big for a skill`);
    if (stat.size > state.limits.maxFileBytes) {
      state.findings.push({ code: "file_too_large", severity: "block", file: rel, message: `${formatBytes(stat.size)} is over the ${formatBytes(state.limits.maxFileBytes)} cap per file` });
      state.files.push({ rel, size: stat.size, mode: stat.mode, sha256: sha256(`unread:${stat.size}`) });
      return;
    }
    const content = await handle.readFile();
    if (content.length > state.limits.maxFileBytes) {
      state.findings.push({ code: "file_too_large", severity: "block", file: rel, message: `grew past the ${formatBytes(state.limits.maxFileBytes)} cap per file while being read` });
      return;
    }
    state.files.push({ rel, size: content.length, mode: stat.mode, content, sha256: sha256(content) });
  } finally {
    await handle.close();
  }
}

/** Git config keys that make git run a program; `alias.x = !cmd` too. */
const GIT_EXEC_KEY = /^\s*(?:fsmonitor|sshcommand|hookspath|pager|editor|askpass|gpgprogram|program|textconv|clean|smudge|process|helper|proxycommand|uploadpack|receivepack)\s*=|^\s*[\w.-]+\s*=\s*!/im;

/**
 * A `.git` folder is not walked (its objects are history, not the skill) but it is a warning, and a block when
 * it can run commands as soon as git runs in the folder: hooks, or config keys such as core.fsmonitor.
 */
async function checkGitDir(state: WalkState, git: Dir): Promise<void> {
  state.findings.push({ code: "git_metadata", severity: "warn", file: git.rel, message: "a .git folder: not scanned; the skill does not need its history, remove it" });
  const config = await readSmallFile(git, "config");
  if (config !== undefined && GIT_EXEC_KEY.test(config)) {
    state.findings.push({ code: "git_exec_config", severity: "block", file: `${git.rel}/config`, message: "git config that runs a program (core.fsmonitor, sshCommand, hooksPath, a filter, or a ! alias) whenever git runs in this folder" });
  }
  let hooks: Dirent[] = [];
  try {
    const handle = await open(at(git, "hooks"), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      hooks = await readdir(PROC_FD ? `/proc/self/fd/${handle.fd}` : join(git.path, "hooks"), { withFileTypes: true });
    } finally {
      await handle.close();
    }
  } catch {
    // No hooks folder (or not a plain one): nothing git would run from it.
  }
  for (const hook of hooks) {
    if (hook.name.endsWith(".sample")) continue;
    state.findings.push({ code: "git_hook", severity: "block", file: `${git.rel}/hooks/${hook.name}`, message: "a git hook: a program git runs by itself on commit, checkout or merge" });
  }
}

async function readSmallFile(dir: Dir, name: string): Promise<string | undefined> {
  try {
    const handle = await open(at(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      const stat = await handle.stat();
      if (!stat.isFile() || stat.size > 256 * 1024) return undefined;
      return (await handle.readFile()).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MiB`;
}

/** What a file's bytes are: UTF-8 text, an allowed asset type (by magic bytes and extension), or other binary. */
export type FileContent = { kind: "text"; text: string } | { kind: "asset"; type: AssetType } | { kind: "binary"; why: string };

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function classifyContent(rel: string, content: Buffer): FileContent {
  const ext = posix.extname(rel).toLowerCase();
  const asset = ASSET_TYPES.find((type) => type.matches(content));
  if (asset) return asset.extensions.includes(ext) ? { kind: "asset", type: asset } : { kind: "binary", why: `${asset.name} bytes behind a ${ext || "missing"} extension` };
  if (content.includes(0)) return { kind: "binary", why: "contains NUL bytes" };
  try {
    return { kind: "text", text: UTF8.decode(content) };
  } catch {
    return { kind: "binary", why: "is not valid UTF-8 text" };
  }
}

/** Checks of one read file that are not about its text: binary content, executable bits. */
export function checkFileKind(file: WalkedFile, content: FileContent): ScanFinding[] {
  const out: ScanFinding[] = [];
  const name = posix.basename(file.rel);
  if (content.kind === "binary") {
    if (name === ".DS_Store") out.push({ code: "os_metadata", severity: "info", file: file.rel, message: "macOS folder metadata: harmless, but it has no place in a skill" });
    else out.push({ code: "binary_file", severity: "block", file: file.rel, message: `binary file (${content.why}): it cannot be reviewed; skills carry text, and PNG, JPEG, GIF, WebP or PDF assets` });
  } else if (content.kind === "asset") {
    const why = content.type.severity === "info" ? "an image asset" : "allowed, but it can carry scripts and attachments the scanner does not open";
    out.push({ code: content.type.severity === "info" ? "binary_asset" : "binary_document", severity: content.type.severity, file: file.rel, message: `${content.type.name}: ${why}` });
  }
  if ((file.mode & 0o111) !== 0) {
    const expected = file.rel.startsWith("scripts/") && content.kind === "text" && content.text.startsWith("#!");
    if (!expected) out.push({ code: "unexpected_executable", severity: "warn", file: file.rel, message: "executable, but not a script with a #! line under scripts/: check why it needs to run" });
  }
  return out;
}
