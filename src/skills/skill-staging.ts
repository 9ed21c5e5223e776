// The first half of an install or update, shared by both: registry moderation checked, the bundle downloaded, hashed,
// extracted into a fresh staging folder beside the managed skills (same filesystem, so moving it in is one rename),
// its SKILL.md name checked and the scanner run. Any refusal removes the staging folder; nothing else is touched.
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import type { AuditRecord } from "../core/domain.ts";
import type { SkillRepo } from "../store/store.ts";
import { SKILL_NAME } from "../core/config-schema.ts";
import type { RegistryClient, RegistrySkill } from "./registry-client.ts";
import { DEFAULT_BUNDLE_LIMITS, extractSkillBundle, type BundleLimits } from "./skill-bundle.ts";
import { readSkillDeclarations, type SkillDeclarations } from "./skill-declarations.ts";
import { SkillError } from "./skill-errors.ts";
import { managedSkillsDir } from "./skill-lock.ts";
import type { ScanFinding, ScanReport, SkillScanner } from "./skill-types.ts";

/** Who acts on the managed skills, and where: shared by the CLI and the HTTP API. */
export interface SkillActor {
  stateDir: string;
  /** Writes one audit record (the store's audit repo). */
  audit: (record: AuditRecord) => Promise<void>;
  /** The store's skills repo: every change is recorded there too (bundle, install, grants), for the other nodes of a
   * cluster. Recorded first; the local folder and lock file follow, and a failure there undoes the record. */
  repo: SkillRepo;
  /** Named in audit reasons: `'pincer skills install'`, `the HTTP API`. */
  via: string;
  /** epoch ms */
  now: () => number;
  /** One line of progress for the user (download, scan, install); the CLI prints it on stderr. */
  progress?: (line: string) => void;
}

export interface StageOptions {
  client: RegistryClient;
  scan: SkillScanner;
  slug: string;
  /** A version to install; the registry's latest when absent. */
  version?: string;
  /** Install a skill the registry flags as suspicious. */
  force?: boolean;
  limits?: BundleLimits;
}

/** A bundle extracted, checked and scanned, waiting in `dir` to be moved in. */
export interface StagedSkill {
  dir: string;
  skill: RegistrySkill;
  version: string;
  /** sha256 (hex) of the downloaded bundle */
  sha256: string;
  /** The downloaded bundle (ZIP), as checked. */
  bundle: Uint8Array;
  declarations: SkillDeclarations;
  report: ScanReport;
}

/** Stages `slug`; the caller moves `dir` in or calls `discardStaged`. */
export async function stageSkill(actor: SkillActor, opts: StageOptions): Promise<StagedSkill> {
  const say = actor.progress ?? (() => undefined);
  const skill = await opts.client.getSkill(opts.slug);
  checkModeration(opts.client.registry, skill, opts.force === true, say);
  const version = opts.version ?? skill.latestVersion;
  if (!version) throw new SkillError("not_found", `registry ${opts.client.registry} lists no published version of "${opts.slug}"`);
  say(`downloading ${opts.slug} ${version} from ${opts.client.registry}`);
  const zip = await opts.client.download(opts.slug, version);
  const sha256 = createHash("sha256").update(zip).digest("hex");
  const skillsDir = managedSkillsDir(actor.stateDir);
  const madeSkillsDir = await mkdir(skillsDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(skillsDir, ".staging-"));
  try {
    await chmod(dir, 0o700);
    say(`checking the bundle (${formatKiB(zip.byteLength)}, sha256 ${sha256.slice(0, 12)}…)`);
    await extractSkillBundle(zip, dir, opts.limits ?? DEFAULT_BUNDLE_LIMITS);
    const declarations = await readSkillDeclarations(dir);
    if (!SKILL_NAME.test(declarations.name)) {
      throw new SkillError("invalid_bundle", `bundle refused: SKILL.md names the skill ${JSON.stringify(declarations.name.slice(0, 80))}, which is not a valid skill name (1-64 lowercase letters, digits and single hyphens)`);
    }
    say(`scanning ${declarations.name}`);
    const report = await opts.scan(dir);
    if (report.verdict === "block") throw new SkillError("scan_blocked", `the safety scan blocked "${declarations.name}" (${opts.slug} ${version}):\n${formatFindings(report.findings, "block")}`);
    if (report.verdict === "warn") say(`the safety scan warns about "${declarations.name}":\n${formatFindings(report.findings, "warn")}`);
    return { dir, skill, version, sha256, bundle: zip, declarations, report };
  } catch (err) {
    await discardStaged(dir, madeSkillsDir ? skillsDir : undefined);
    throw err;
  }
}

/** Removes a staging folder, and the skills folder when this attempt created it and it is empty again. */
export async function discardStaged(dir: string, createdSkillsDir?: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  if (createdSkillsDir) await rmdir(createdSkillsDir).catch(() => undefined);
}

/** Malicious (or malware-blocked) refuses; suspicious refuses unless forced, and warns when forced. */
function checkModeration(registry: string, skill: RegistrySkill, force: boolean, say: (line: string) => void): void {
  const m = skill.moderation;
  if (!m) return;
  const reasons = [m.reasonCodes.join(", "), m.summary].filter(Boolean).join("; ");
  if (m.isMalwareBlocked || m.verdict === "malicious") {
    throw new SkillError("malicious", `registry ${registry} flags skill "${skill.slug}" as malicious${reasons ? ` (${reasons})` : ""}; it cannot be installed`);
  }
  if (m.isSuspicious || m.verdict === "suspicious") {
    if (!force) {
      throw new SkillError("suspicious", `registry ${registry} flags skill "${skill.slug}" as suspicious${reasons ? `: ${reasons}` : ""}. Fix: read the skill on the registry first; install it anyway with --force`);
    }
    say(`warning: registry flags "${skill.slug}" as suspicious${reasons ? `: ${reasons}` : ""} (installing anyway: --force)`);
  }
}

export function formatFindings(findings: readonly ScanFinding[], severity: ScanFinding["severity"]): string {
  return findings
    .filter((f) => f.severity === severity)
    .map((f) => `  - ${f.file}${f.line ? `:${f.line}` : ""} ${f.code}: ${f.message}`)
    .join("\n");
}

function formatKiB(n: number): string {
  return `${Math.max(1, Math.round(n / 1024))} KiB`;
}

/** Writes one `skill.*` audit record. */
export async function auditSkill(actor: SkillActor, kind: string, reason: string, detail: Record<string, unknown>): Promise<void> {
  await actor.audit({ at: actor.now(), kind, decision: "info", runId: undefined, sessionKey: undefined, tool: undefined, reason: `${reason} with ${actor.via}`, detail });
}
