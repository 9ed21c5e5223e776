// The skill catalog: every skill folder of every source, parsed, scanned and gated for one agent — with the status
// and reason of each, what each winner shadows, and its grants. Folders are re-read and re-scanned only when their
// signature (stat of every file in them) changed, so edits apply on the next turn without a restart.
import { lstatSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { PincerConfig } from "../core/config-schema.ts";
import type { AuditRecord } from "../core/domain.ts";
import { ownEntry } from "../core/own-entry.ts";
import { checkRequirements, createBinLookup } from "./skill-gating.ts";
import { listSkillFolders, listSkillRoots } from "./skill-locations.ts";
import { emptySkillLock, readSkillLock, skillLockPath, type SkillLock } from "./skill-lock.ts";
import { loadSkillManifest, SKILL_FILE, type ParsedSkill } from "./skill-manifest.ts";
import type { ManifestWarning, ScanReport, SkillGrant, SkillManifest, SkillScanner, SkillSource, SkillStatus } from "./skill-types.ts";

/** One skill folder as the catalog sees it for one agent. */
export interface SkillEntry {
  name: string;
  source: SkillSource;
  /** Real path of the folder. */
  dir: string;
  /** Undefined when SKILL.md could not be used (see reason). */
  manifest: SkillManifest | undefined;
  warnings: ManifestWarning[];
  /** The scanner's report; undefined when no scanner is configured. */
  scan: ScanReport | undefined;
  status: SkillStatus;
  /** Why it is not eligible; for an eligible allow_unsafe skill, that it was blocked and loads anyway. */
  reason: string | undefined;
  /** Lower-precedence folders of the same name this one hides. */
  shadows: Array<{ source: SkillSource; dir: string }>;
  grants: SkillGrant | undefined;
}

export interface SkillListing {
  entries: SkillEntry[];
  /** Problems that did not stop the listing (an unreadable lock file), for logs and `pincer skills list`. */
  problems: string[];
}

export interface SkillCatalogOptions {
  stateDir: string;
  configFile: string;
  env: Record<string, string | undefined>;
  /** Scans a folder; without one, skills are not scanned (`scan` stays undefined). */
  scan?: SkillScanner;
  /** The shipped skills folder; default: found beside the package (skill-locations.ts). */
  bundledDir?: string;
  /** Default: executable files on the sandbox's PATH. */
  hasBin?: (name: string) => boolean;
  platform?: string;
  /** Receives one `skill.unsafe_load` record each time a blocked skill in `skills.allow_unsafe` is (re)loaded. */
  audit?: (record: AuditRecord) => Promise<void>;
  now?: () => number;
}

export interface ListSkillsInput {
  config: PincerConfig;
  workspace: string;
  /** The agent whose `skills` allowlist applies; undefined = no allowlist (every skill). */
  agentId?: string | undefined;
}

export interface SkillCatalog {
  /** Every skill folder found, winners first in precedence order then the shadowed ones. Contract: never throws
   * for what is in the folders (a broken skill is `unavailable` with the reason). */
  list(input: ListSkillsInput): Promise<SkillListing>;
}

interface LoadedFolder {
  signature: string;
  parsed: ParsedSkill;
  scan: ScanReport | undefined;
  /** Whether this load's allow_unsafe admission was audited. */
  audited: boolean;
}

/** Directories per skill folder counted into its signature. */
const MAX_SIGNATURE_DIRS = 200;

/**
 * A cheap change detector, run for every skill on every turn: lstat of SKILL.md and of the folder and each
 * directory below it (mtime, inode). A directory's mtime moves when a name in it is added, removed or replaced —
 * which is how installers, editors and the write tool save files (temp + rename) — so only an in-place rewrite of a
 * file other than SKILL.md goes unseen until the next such change.
 */
export function folderSignature(dir: string): string {
  const parts: string[] = [];
  const visit = (path: string, rel: string): void => {
    let info;
    try {
      info = lstatSync(path);
    } catch {
      return;
    }
    parts.push(`${rel}:${info.mtimeMs}:${info.ino}`);
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && parts.length < MAX_SIGNATURE_DIRS) visit(join(path, e.name), `${rel}${e.name}/`);
    }
  };
  try {
    const skill = lstatSync(join(dir, SKILL_FILE));
    parts.push(`${SKILL_FILE}:${skill.mtimeMs}:${skill.size}:${skill.ino}`);
  } catch {
    parts.push(`${SKILL_FILE}:missing`);
  }
  visit(dir, "");
  return parts.join("\n");
}

export function createSkillCatalog(opts: SkillCatalogOptions): SkillCatalog {
  const hasBin = opts.hasBin ?? createBinLookup();
  const now = opts.now ?? Date.now;
  const folders = new Map<string, LoadedFolder>();
  let lockCache: { key: string; lock: SkillLock; problem: string | undefined } | undefined;

  async function loadFolder(dir: string): Promise<LoadedFolder> {
    const signature = folderSignature(dir);
    const cached = folders.get(dir);
    if (cached && cached.signature === signature) return cached;
    const parsed = await loadSkillManifest(dir);
    const scan = opts.scan ? await opts.scan(dir) : undefined;
    const loaded: LoadedFolder = { signature, parsed, scan, audited: false };
    folders.set(dir, loaded);
    return loaded;
  }

  async function readLock(): Promise<{ lock: SkillLock; problem: string | undefined }> {
    let key = "missing";
    try {
      const info = statSync(skillLockPath(opts.stateDir));
      key = `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch {
      // no lock file: no grants
    }
    if (lockCache?.key === key) return lockCache;
    try {
      lockCache = { key, lock: await readSkillLock(opts.stateDir), problem: undefined };
    } catch (err) {
      // Fails closed: no grants until the file is fixed.
      lockCache = { key, lock: emptySkillLock(), problem: (err as Error).message };
    }
    return lockCache;
  }

  async function auditUnsafe(entry: SkillEntry, loaded: LoadedFolder): Promise<void> {
    if (loaded.audited || !opts.audit) return;
    loaded.audited = true;
    const codes = entry.scan?.findings.filter((f) => f.severity === "block").map((f) => f.code) ?? [];
    await opts.audit({
      at: now(), kind: "skill.unsafe_load", decision: "allow", runId: undefined, sessionKey: undefined, tool: undefined,
      reason: `skill "${entry.name}" was blocked by the scanner and loads because skills.allow_unsafe lists it`,
      detail: { skill: entry.name, source: entry.source, dir: entry.dir, findings: codes, fingerprint: entry.scan?.fingerprint },
    }).catch(() => {
      loaded.audited = false; // try again on the next load
    });
  }

  return {
    async list(input) {
      const { config } = input;
      const roots = listSkillRoots({ config, configFile: opts.configFile, stateDir: opts.stateDir, workspace: input.workspace, env: opts.env, bundledDir: opts.bundledDir });
      const { lock, problem } = await readLock();
      const allowlist = input.agentId === undefined ? undefined : ownEntry(config.agents, input.agentId)?.skills;
      const unsafe = new Set(config.skills.allow_unsafe);
      const winners = new Map<string, SkillEntry>();
      const entries: SkillEntry[] = [];
      const shadowed: SkillEntry[] = [];
      const seen = new Set<string>();
      for (const root of roots) {
        for (const folder of listSkillFolders(root.dir)) {
          const dir = join(root.dir, folder);
          seen.add(dir);
          const loaded = await loadFolder(dir);
          const name = loaded.parsed.ok ? loaded.parsed.manifest.name : folder;
          const entry: SkillEntry = {
            name, source: root.source, dir,
            manifest: loaded.parsed.ok ? loaded.parsed.manifest : undefined,
            warnings: loaded.parsed.warnings, scan: loaded.scan,
            status: "eligible", reason: undefined, shadows: [],
            grants: ownEntry(lock.grants, name),
          };
          const winner = winners.get(name);
          if (winner) {
            winner.shadows.push({ source: root.source, dir });
            shadowed.push({ ...entry, status: "shadowed", reason: `the ${winner.source} skill at ${winner.dir} has the same name` });
            continue;
          }
          winners.set(name, entry);
          entries.push(entry);
          gateEntry(entry, loaded, { allowlist, unsafe, config });
          if (entry.status === "eligible" && entry.scan?.verdict === "block") await auditUnsafe(entry, loaded);
        }
      }
      // Forget folders that are gone from the roots listed now (other agents' workspaces keep theirs).
      for (const dir of folders.keys()) {
        if (!seen.has(dir) && roots.some((r) => dir.startsWith(`${r.dir}/`))) folders.delete(dir);
      }
      return { entries: [...entries, ...shadowed], problems: problem ? [problem] : [] };
    },
  };

  function gateEntry(entry: SkillEntry, loaded: LoadedFolder, rules: { allowlist: string[] | undefined; unsafe: Set<string>; config: PincerConfig }): void {
    const set = (status: SkillStatus, reason: string | undefined): void => {
      entry.status = status;
      entry.reason = reason;
    };
    if (!loaded.parsed.ok) return set("unavailable", loaded.parsed.reason);
    if (rules.allowlist && !rules.allowlist.includes(entry.name)) return set("disabled", "not in this agent's skills list (agents.<id>.skills)");
    if (entry.scan?.verdict === "block") {
      const first = entry.scan.findings.find((f) => f.severity === "block");
      const why = first ? `${first.code} in ${first.file}${first.line ? `:${first.line}` : ""}` : "blocked";
      if (!rules.unsafe.has(entry.name)) return set("blocked", `the safety scanner blocked it (${why}); 'pincer skills info ${entry.name}' lists the findings`);
      entry.reason = `blocked by the safety scanner (${why}), loaded because skills.allow_unsafe lists it`;
    }
    const missing = checkRequirements(loaded.parsed.manifest, { hasBin, env: opts.env, config: rules.config, platform: opts.platform ?? process.platform });
    if (missing) set("unavailable", missing);
  }
}
