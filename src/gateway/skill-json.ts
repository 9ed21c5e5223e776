// The JSON the skills API answers for one catalog entry (GET /api/v1/skills and /skills/:name): status and reason,
// where it was found and what it shadows, the scan's verdict and findings, grants, what SKILL.md declares, and for an
// installed skill its origin from the lock file and whether its files changed since. Pure: no I/O here.
import { ownEntry } from "../core/own-entry.ts";
import type { SkillEntry } from "../skills/skill-catalog.ts";
import type { SkillInstallRecord } from "../skills/skill-lock.ts";
import type { ScanFinding, SkillManifest } from "../skills/skill-types.ts";

/** Binary and env var names as the grant routes accept them (skill-declarations.ts reads them the same way). */
const BIN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const ENV = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export interface SkillJson {
  name: string;
  description: string | null;
  source: SkillEntry["source"];
  dir: string;
  status: SkillEntry["status"];
  reason: string | null;
  shadows: SkillEntry["shadows"];
  warnings: SkillEntry["warnings"];
  scan: { verdict: string; files: number; bytes: number; findings: ScanFinding[] } | null;
  grants: { bins: string[]; env: string[]; grantedAt: string } | null;
  requires: (SkillManifest["requires"] & { os: string[]; primaryEnv: string | null; always: boolean }) | null;
  /** What can be granted: the binaries (`bins`, `anyBins`) and env vars (`env`, `primaryEnv`) SKILL.md declares. */
  declared: { bins: string[]; env: string[] };
  /** Where an installed (managed) skill came from; null for every other skill. */
  install: Omit<SkillInstallRecord, "fingerprint"> | null;
  /** Installed skills: whether the files differ from those installed (the lock's fingerprint); null otherwise. */
  edited: boolean | null;
  /** Installed by `pincer skills install` into the managed folder: update and remove apply to it. */
  managed: boolean;
}

/** One catalog entry as JSON; `installs` is the lock file's `installs` map. */
export function toSkillJson(entry: SkillEntry, installs: Record<string, SkillInstallRecord>): SkillJson {
  const m = entry.manifest;
  const record = entry.source === "managed" && entry.status !== "shadowed" ? ownEntry(installs, entry.name) : undefined;
  const fingerprint = entry.scan?.fingerprint;
  return {
    name: entry.name,
    description: m?.description ?? null,
    source: entry.source,
    dir: entry.dir,
    status: entry.status,
    reason: entry.reason ?? null,
    shadows: entry.shadows,
    warnings: entry.warnings,
    scan: entry.scan ? { verdict: entry.scan.verdict, files: entry.scan.files, bytes: entry.scan.bytes, findings: entry.scan.findings } : null,
    grants: entry.grants ? { bins: entry.grants.bins, env: entry.grants.env, grantedAt: entry.grants.grantedAt } : null,
    requires: m ? { ...m.requires, os: m.os, primaryEnv: m.primaryEnv ?? null, always: m.always } : null,
    declared: m ? declaredBy(m) : { bins: [], env: [] },
    install: record ? { registry: record.registry, slug: record.slug, version: record.version, sha256: record.sha256, installedAt: record.installedAt } : null,
    edited: record && fingerprint ? fingerprint !== record.fingerprint : null,
    managed: entry.source === "managed",
  };
}

/** The SKILL.md frontmatter fields beyond those in SkillJson, for one skill's detail. */
export function toManifestJson(m: SkillManifest | undefined): Record<string, unknown> | null {
  if (!m) return null;
  return {
    license: m.license ?? null, compatibility: m.compatibility ?? null, homepage: m.homepage ?? null,
    allowedTools: m.allowedTools, userInvocable: m.userInvocable, always: m.always, install: m.install, metadata: m.metadata,
  };
}

function declaredBy(m: SkillManifest): { bins: string[]; env: string[] } {
  const bins = [...m.requires.bins, ...m.requires.anyBins].filter((b) => BIN.test(b));
  const env = [...m.requires.env, ...(m.primaryEnv ? [m.primaryEnv] : [])].filter((e) => ENV.test(e));
  return { bins: [...new Set(bins)], env: [...new Set(env)] };
}
