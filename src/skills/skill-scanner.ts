// The skill safety scanner: every skill folder before it loads and every downloaded bundle before it is installed.
// One pass over the folder (scan-files.ts) and the text checks of each file (scan-text.ts); the report's verdict
// is the worst finding, and its fingerprint hashes the files so a later edit of an installed skill shows.
import { classifyContent, checkFileKind, DEFAULT_SCAN_LIMITS, sha256, walkSkillFolder, type ScanLimits, type WalkedFile } from "./scan-files.ts";
import { roleOfFile, scanText } from "./scan-text.ts";
import type { ScanFinding, ScanReport, ScanVerdict, SkillScanner } from "./skill-types.ts";

export { DEFAULT_SCAN_LIMITS, findPathProblem, type ScanLimits } from "./scan-files.ts";

export const MANIFEST_FILE = "SKILL.md";

/** Every finding code the scanner reports: a closed set, each explained in docs/skills.md ("The safety scanner"). */
export const FINDING_CODES: ReadonlySet<string> = new Set([
  // The folder (scan-files.ts)
  "symlink", "path_escape", "special_file", "unreadable", "hard_link", "hidden_file", "git_metadata", "git_exec_config", "git_hook",
  "binary_file", "binary_asset", "binary_document", "os_metadata", "unexpected_executable",
  "file_too_large", "total_too_large", "too_many_files", "too_deep",
  // SKILL.md
  "manifest_missing", "frontmatter_missing", "frontmatter_invalid", "html_comment",
  // Text (scan-text.ts and the tables of scan-rules.ts)
  "secret", "bidi_control", "unicode_tags", "zero_width", "invisible_format", "prompt_injection", "role_tag",
  "download_exec", "download_then_run", "binary_download", "encrypted_archive", "encoded_exec", "reverse_shell", "destructive_command", "setuid", "persistence",
  "credential_access", "pincer_state_access", "gatekeeper_bypass", "history_tampering", "exfiltration", "suspicious_host",
  "raw_ip_url", "sudo",
]);

/** `block` if any finding blocks, else `warn` if any warns, else `ok`. */
export function verdictOf(findings: readonly ScanFinding[]): ScanVerdict {
  if (findings.some((f) => f.severity === "block")) return "block";
  return findings.some((f) => f.severity === "warn") ? "warn" : "ok";
}

/**
 * sha256 (hex) over the files' (relative path, sha256 of content) pairs sorted by path: the same files give the
 * same fingerprint whatever order they were listed in; any change of a name or a byte changes it.
 */
export function fingerprintOf(files: readonly Pick<WalkedFile, "rel" | "sha256">[]): string {
  const lines = files.map((f) => `${f.rel}\0${f.sha256}\n`).sort();
  return sha256(lines.join(""));
}

/** A scanner with other caps than the defaults (e.g. a smaller total for downloads). */
export function createSkillScanner(limits: Partial<ScanLimits> = {}): SkillScanner {
  const caps: ScanLimits = { ...DEFAULT_SCAN_LIMITS, ...limits };
  return async (dir) => {
    try {
      return await scanFolder(dir, caps);
    } catch (error) {
      // The contract: folder content never makes the scanner throw. An unexpected failure blocks the skill instead.
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      const finding: ScanFinding = { code: "unreadable", severity: "block", file: ".", message: `the scan failed (${code ?? (error instanceof Error ? error.name : "error")})` };
      return { verdict: "block", findings: [finding], files: 0, bytes: 0, fingerprint: fingerprintOf([]) };
    }
  };
}

/** Scans one skill folder with the default caps (1 MiB per file, 10 MiB in all, 500 files). */
export const scanSkillFolder: SkillScanner = createSkillScanner();

async function scanFolder(dir: string, limits: ScanLimits): Promise<ScanReport> {
  const walked = await walkSkillFolder(dir, limits);
  const findings = [...walked.findings];
  let manifest: string | undefined;
  for (const file of walked.files) {
    if (file.content === undefined) continue;
    const content = classifyContent(file.rel, file.content);
    findings.push(...checkFileKind(file, content));
    if (content.kind !== "text") continue;
    if (file.rel === MANIFEST_FILE) manifest = content.text;
    findings.push(...scanText(file.rel, content.text, roleOfFile(file.rel, content.text)));
  }
  if (!walked.stopped || walked.files.some((f) => f.rel === MANIFEST_FILE)) findings.push(...(await checkManifest(walked.files, manifest)));
  return { verdict: verdictOf(findings), findings, files: walked.files.length, bytes: walked.bytes, fingerprint: fingerprintOf(walked.files) };
}

/** SKILL.md exists at the top and its frontmatter parses (the loader reports the fields themselves). */
async function checkManifest(files: readonly WalkedFile[], text: string | undefined): Promise<ScanFinding[]> {
  const present = files.some((f) => f.rel === MANIFEST_FILE);
  if (!present) {
    const other = files.find((f) => f.rel.toLowerCase() === "skill.md");
    const hint = other ? ` (found ${other.rel}: the name must be SKILL.md, in capitals)` : "";
    return [{ code: "manifest_missing", severity: "block", file: MANIFEST_FILE, message: `no SKILL.md at the top of the folder${hint}: it is not a skill` }];
  }
  if (text === undefined) return []; // unreadable or binary: already a finding
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const match = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(body);
  if (!match) {
    return [{ code: "frontmatter_missing", severity: "warn", file: MANIFEST_FILE, line: 1, message: "SKILL.md does not start with a --- frontmatter block (name, description)" }];
  }
  const { parse } = await import("yaml");
  try {
    const data: unknown = parse(match[1]!, { maxAliasCount: 10 });
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      return [{ code: "frontmatter_invalid", severity: "warn", file: MANIFEST_FILE, line: 1, message: "the frontmatter is not a YAML map of keys (name, description, …)" }];
    }
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    return [{ code: "frontmatter_invalid", severity: "warn", file: MANIFEST_FILE, line: line === undefined ? 1 : line + 1, message: `the frontmatter is not valid YAML: ${(error as Error).message.split("\n")[0]}` }];
  }
  return [];
}
