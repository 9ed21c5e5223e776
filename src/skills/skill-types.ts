// The skills domain shared by the loader, the scanner, the registry installer, the prompt index and the UI:
// a skill's parsed manifest, the scanner's report, where a skill came from and what it may use.

/** Where a skill folder was found, highest precedence first (see SKILL_SOURCES). */
export type SkillSource = "workspace" | "workspace-agents" | "managed" | "extra" | "bundled";

/** Precedence order: a name found in an earlier source shadows the same name in later ones. */
export const SKILL_SOURCES: readonly SkillSource[] = ["workspace", "workspace-agents", "managed", "extra", "bundled"];

/** What a skill needs from the machine before it is offered to the model (OpenClaw's `metadata.openclaw.requires`). */
export interface SkillRequires {
  /** Every one of these binaries on PATH. */
  bins: string[];
  /** At least one of these binaries on PATH (empty = no condition). */
  anyBins: string[];
  /** Environment variables that must be set and non-empty. */
  env: string[];
  /** pincer.yaml key paths (dotted) that must be set and truthy. */
  config: string[];
}

/** A SKILL.md frontmatter read leniently: every field the AgentSkills spec and OpenClaw's extensions define. */
export interface SkillManifest {
  name: string;
  description: string;
  license?: string;
  compatibility?: string;
  /** The raw `metadata` map as written (string values per the spec; OpenClaw nests objects under `openclaw`). */
  metadata: Record<string, unknown>;
  /** `allowed-tools`, split on spaces (experimental in the spec; informational here). */
  allowedTools: string[];
  requires: SkillRequires;
  /** Operating systems the skill supports (`process.platform` values: linux, darwin, win32); empty = any. */
  os: string[];
  /** The env var holding the skill's main credential (`metadata.openclaw.primaryEnv`). */
  primaryEnv?: string;
  /** `metadata.openclaw.always`: offered even when its requirements are not met. */
  always: boolean;
  /** `user-invocable` (default true): users may call it as a /command. */
  userInvocable: boolean;
  homepage?: string;
  /** `metadata.openclaw.install`: how to install what it requires (shown to users, never run by Pincer). */
  install: unknown[];
}

/** A spec violation that does not stop the skill from loading: named by file and key. */
export interface ManifestWarning {
  file: string;
  key: string;
  message: string;
}

export type FindingSeverity = "info" | "warn" | "block";
export type ScanVerdict = "ok" | "warn" | "block";

/** One thing the scanner found. `code` is a closed, documented set (see docs/skills.md). */
export interface ScanFinding {
  code: string;
  severity: FindingSeverity;
  /** Relative to the skill folder, `/`-separated. */
  file: string;
  /** 1-based line, when the finding is about a line of text. */
  line?: number;
  message: string;
}

export interface ScanReport {
  /** `block` if any finding blocks, else `warn` if any warns, else `ok`. */
  verdict: ScanVerdict;
  findings: ScanFinding[];
  /** Regular files scanned, and their total size. */
  files: number;
  bytes: number;
  /** sha256 over the sorted (relative path, content hash) pairs: detects local edits of an installed skill. */
  fingerprint: string;
}

/** Scans one skill folder. Contract: never throws for what is in the folder; a folder it cannot read is a
 * `block` finding. */
export type SkillScanner = (dir: string) => Promise<ScanReport>;

/** eligible: offered to the model. unavailable: requirements not met (reason says which). blocked: the scanner
 * blocked it. shadowed: a skill of the same name in a higher source wins. disabled: not in the agent's allowlist. */
export type SkillStatus = "eligible" | "unavailable" | "blocked" | "shadowed" | "disabled";

/** What the user granted a skill: binaries that join the exec allowlist and env vars passed to its commands. */
export interface SkillGrant {
  bins: string[];
  env: string[];
  /** ISO time of the last grant. */
  grantedAt: string;
}
