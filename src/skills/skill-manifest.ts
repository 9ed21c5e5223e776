// SKILL.md of one skill folder: YAML frontmatter between `---` lines read leniently into a SkillManifest (the
// AgentSkills spec plus OpenClaw's extensions), and the Markdown body after it. Spec violations are warnings; only
// an unreadable file, unparseable frontmatter or a missing description make the skill invalid. No gating here.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { basename, join } from "node:path";
import { SKILL_NAME } from "../core/config-schema.ts";
import type { ManifestWarning, SkillManifest, SkillRequires } from "./skill-types.ts";

export const SKILL_FILE = "SKILL.md";
/** Larger SKILL.md files are not read: the spec asks for under 500 lines, and the body is read on demand anyway. */
export const MAX_SKILL_FILE_BYTES = 256 * 1024;
const MAX_DESCRIPTION = 1024;
const MAX_COMPATIBILITY = 500;
/** OpenClaw's own metadata key, then the aliases older OpenClaw releases wrote. */
const OPENCLAW_KEYS = ["openclaw", "clawdbot", "clawdis"] as const;
/** Frontmatter keys that are not warned about: the spec's, OpenClaw's top-level ones, and common harmless ones. */
const KNOWN_KEYS = new Set([
  "name", "description", "license", "compatibility", "metadata", "allowed-tools", "user-invocable", "homepage",
  "disable-model-invocation", "command-dispatch", "command-tool", "command-arg-mode", "version", "author", "tags",
]);

export type ParsedSkill =
  | { ok: true; manifest: SkillManifest; body: string; warnings: ManifestWarning[] }
  | { ok: false; reason: string; warnings: ManifestWarning[] };

/**
 * Reads `<dir>/SKILL.md` (O_NOFOLLOW: a symlinked SKILL.md is refused; capped at MAX_SKILL_FILE_BYTES) and parses it.
 * The folder's name is the skill's name when it is a valid one. Contract: never throws.
 */
export async function loadSkillManifest(dir: string): Promise<ParsedSkill> {
  const file = join(dir, SKILL_FILE);
  let text: string;
  try {
    text = readCappedFile(file);
  } catch (err) {
    return { ok: false, reason: describeReadError(err), warnings: [] };
  }
  return parseSkillManifest(text, { file, folderName: basename(dir) });
}

function readCappedFile(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOTREG" });
    if (info.size > MAX_SKILL_FILE_BYTES) throw Object.assign(new Error(`${info.size} bytes`), { code: "EFBIG" });
    const buf = Buffer.alloc(info.size);
    let read = 0;
    while (read < info.size) {
      const n = readSync(fd, buf, read, info.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `${SKILL_FILE} is missing`;
  if (code === "ELOOP") return `${SKILL_FILE} is a symbolic link (refused: skills are read without following links)`;
  if (code === "ENOTREG") return `${SKILL_FILE} is not a regular file`;
  if (code === "EFBIG") return `${SKILL_FILE} is larger than ${MAX_SKILL_FILE_BYTES / 1024} KiB (${(err as Error).message})`;
  return `${SKILL_FILE} cannot be read (${code ?? (err as Error).message})`;
}

/** Splits `---\n<yaml>\n---\n<body>`; undefined when the file does not start with a frontmatter block. */
export function splitFrontmatter(text: string): { yaml: string; body: string } | undefined {
  const src = text.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n");
  if (!src.startsWith("---\n")) return undefined;
  const end = src.indexOf("\n---", 3);
  if (end < 0) return undefined;
  const after = src.indexOf("\n", end + 4);
  const closing = src.slice(end + 4, after < 0 ? undefined : after);
  if (closing.trim() !== "") return undefined;
  return { yaml: src.slice(4, end + 1), body: after < 0 ? "" : src.slice(after + 1) };
}

/** Parses SKILL.md text. Pure apart from the lazily imported YAML parser. Contract: never throws. */
export async function parseSkillManifest(text: string, at: { file: string; folderName: string }): Promise<ParsedSkill> {
  const warnings: ManifestWarning[] = [];
  const warn = (key: string, message: string): void => void warnings.push({ file: at.file, key, message });
  const split = splitFrontmatter(text);
  if (!split) return { ok: false, reason: `${SKILL_FILE} has no YAML frontmatter (it must start with a line '---', the fields, then '---')`, warnings };
  let data: unknown;
  try {
    const { parse } = await import("yaml");
    data = parse(split.yaml, { maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, reason: `the frontmatter of ${SKILL_FILE} is not valid YAML: ${(err as Error).message.split("\n")[0]}`, warnings };
  }
  if (!isRecord(data)) return { ok: false, reason: `the frontmatter of ${SKILL_FILE} is not a map of fields`, warnings };
  for (const key of Object.keys(data)) if (!KNOWN_KEYS.has(key)) warn(key, "not an AgentSkills field; ignored");

  const name = pickName(data.name, at.folderName, warn);
  if (name === undefined) return { ok: false, reason: `no usable skill name: the folder "${at.folderName}" and the frontmatter name are not 1-64 lowercase letters, digits and single hyphens`, warnings };
  const description = typeof data.description === "string" ? data.description.trim() : "";
  if (!description) return { ok: false, reason: `${SKILL_FILE} has no description (the model picks skills by it): add 'description: what it does and when to use it'`, warnings };
  if (description.length > MAX_DESCRIPTION) warn("description", `longer than ${MAX_DESCRIPTION} characters (${description.length})`);

  const metadata = readMetadata(data.metadata, warn);
  const claw = readOpenClaw(metadata, warn);
  const manifest: SkillManifest = {
    name,
    description,
    ...optionalString(data, "license", warn),
    ...optionalString(data, "compatibility", warn, MAX_COMPATIBILITY),
    metadata,
    allowedTools: readAllowedTools(data["allowed-tools"], warn),
    requires: readRequires(claw.requires, warn),
    os: stringList(claw.os, "metadata.openclaw.os", warn),
    ...(typeof claw.primaryEnv === "string" && claw.primaryEnv ? { primaryEnv: claw.primaryEnv } : {}),
    always: readBoolean(claw.always, "metadata.openclaw.always", false, warn),
    userInvocable: readBoolean(data["user-invocable"], "user-invocable", true, warn),
    ...readHomepage(data.homepage ?? claw.homepage, warn),
    install: Array.isArray(claw.install) ? claw.install : claw.install === undefined ? [] : (warn("metadata.openclaw.install", "expected a list; ignored"), []),
  };
  return { ok: true, manifest, body: split.body, warnings };
}

type Warn = (key: string, message: string) => void;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The folder name when valid (the spec says they must match), else a valid frontmatter name. */
function pickName(raw: unknown, folderName: string, warn: Warn): string | undefined {
  const given = typeof raw === "string" ? raw.trim() : undefined;
  if (given === undefined) warn("name", "missing; the folder name is used");
  else if (!SKILL_NAME.test(given)) warn("name", `"${given.slice(0, 80)}" is not 1-64 lowercase letters, digits and single hyphens`);
  else if (given !== folderName) warn("name", `"${given}" differs from its folder "${folderName}"; the folder name is used`);
  if (SKILL_NAME.test(folderName)) return folderName;
  return given !== undefined && SKILL_NAME.test(given) ? given : undefined;
}

function optionalString(data: Record<string, unknown>, key: "license" | "compatibility", warn: Warn, max?: number): Partial<Record<typeof key, string>> {
  const value = data[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== "string") return warn(key, "expected a string; ignored"), {};
  if (max !== undefined && value.length > max) warn(key, `longer than ${max} characters (${value.length})`);
  return { [key]: value };
}

/** `metadata` as a map; OpenClaw writes it as a one-line JSON string, which is accepted too. */
function readMetadata(raw: unknown, warn: Warn): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  let value = raw;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      warn("metadata", "a string that is not JSON; expected a map; ignored");
      return {};
    }
  }
  if (!isRecord(value)) return warn("metadata", "expected a map; ignored"), {};
  return value;
}

function readOpenClaw(metadata: Record<string, unknown>, warn: Warn): Record<string, unknown> {
  for (const key of OPENCLAW_KEYS) {
    if (!Object.hasOwn(metadata, key)) continue;
    const value = metadata[key];
    if (isRecord(value)) return value;
    warn(`metadata.${key}`, "expected a map; ignored");
  }
  return {};
}

function readRequires(raw: unknown, warn: Warn): SkillRequires {
  const empty: SkillRequires = { bins: [], anyBins: [], env: [], config: [] };
  if (raw === undefined) return empty;
  if (!isRecord(raw)) return warn("metadata.openclaw.requires", "expected a map; ignored"), empty;
  return {
    bins: stringList(raw.bins, "metadata.openclaw.requires.bins", warn),
    anyBins: stringList(raw.anyBins, "metadata.openclaw.requires.anyBins", warn),
    env: stringList(raw.env, "metadata.openclaw.requires.env", warn),
    config: stringList(raw.config, "metadata.openclaw.requires.config", warn),
  };
}

/** A list of non-empty strings; a single string is a list of one. */
function stringList(raw: unknown, key: string, warn: Warn): string[] {
  if (raw === undefined || raw === null) return [];
  const items = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw : undefined;
  if (!items) return warn(key, "expected a list of strings; ignored"), [];
  const out = items.filter((item): item is string => typeof item === "string" && item.trim() !== "").map((item) => item.trim());
  if (out.length !== items.length) warn(key, "entries that are not non-empty strings were ignored");
  return out;
}

function readAllowedTools(raw: unknown, warn: Warn): string[] {
  if (typeof raw === "string") return raw.split(/\s+/).filter(Boolean);
  return stringList(raw, "allowed-tools", warn);
}

function readBoolean(raw: unknown, key: string, fallback: boolean, warn: Warn): boolean {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw === "boolean") return raw;
  if (raw === "true" || raw === "false") return raw === "true";
  warn(key, `expected true or false; ${fallback} is used`);
  return fallback;
}

function readHomepage(raw: unknown, warn: Warn): { homepage?: string } {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "string" || !/^https?:\/\//.test(raw)) return warn("homepage", "expected an http(s) URL; ignored"), {};
  return { homepage: raw };
}
