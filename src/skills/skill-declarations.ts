// What a skill folder's SKILL.md says about itself that installing and granting need: its name, and the binaries and
// env vars it declares (OpenClaw's `metadata.openclaw.requires.bins/anyBins/env` and `primaryEnv`). A small reader of
// just these fields; the full, lenient manifest parser is the loader's.
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { SkillError } from "./skill-errors.ts";

export interface SkillDeclarations {
  name: string;
  /** `requires.bins` and `requires.anyBins`, each once. */
  bins: string[];
  /** `requires.env` and `primaryEnv`, each once. */
  env: string[];
}

const MANIFEST = "SKILL.md";
const MANIFEST_MAX_BYTES = 256 * 1024;
const BIN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const ENV = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** OpenClaw reads its metadata under `openclaw`, and under the older names `clawdbot` and `clawdis`. */
const METADATA_KEYS = ["openclaw", "clawdbot", "clawdis"];

/** Reads `<dir>/SKILL.md` (a regular file, not a link). Throws SkillError `invalid_bundle` when it is missing or its
 * frontmatter has no name; binaries and env var names of an unusable shape are left out. */
export async function readSkillDeclarations(dir: string): Promise<SkillDeclarations> {
  const text = await readManifest(join(dir, MANIFEST));
  const front = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/.exec(text);
  if (!front) throw invalid("SKILL.md has no YAML frontmatter (--- … ---) at its top");
  const { parse } = await import("yaml");
  let data: unknown;
  try {
    data = parse(front[1] ?? "", { maxAliasCount: 50 });
  } catch (err) {
    throw invalid(`SKILL.md's frontmatter is not valid YAML (${(err as Error).message.split("\n")[0]})`);
  }
  const fields = isRecord(data) ? data : {};
  const name = fields["name"];
  if (typeof name !== "string" || name.trim() === "") throw invalid("SKILL.md's frontmatter has no name");
  const meta = openclawMetadata(fields["metadata"]);
  const requires = isRecord(meta["requires"]) ? meta["requires"] : {};
  const bins = [...strings(requires["bins"]), ...strings(requires["anyBins"])].filter((b) => BIN.test(b));
  const env = [...strings(requires["env"]), ...strings([meta["primaryEnv"]])].filter((e) => ENV.test(e));
  return { name: name.trim(), bins: [...new Set(bins)], env: [...new Set(env)] };
}

async function readManifest(path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalid(code === "ENOENT" ? "it has no SKILL.md" : code === "ELOOP" ? "its SKILL.md is a link" : `its SKILL.md cannot be read (${code})`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw invalid("its SKILL.md is not a regular file");
    if (info.size > MANIFEST_MAX_BYTES) throw invalid(`its SKILL.md is larger than ${MANIFEST_MAX_BYTES / 1024} KiB`);
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}

/** `metadata.openclaw` (or an older alias) as an object; the spec allows the whole `metadata` value as a JSON string. */
function openclawMetadata(metadata: unknown): Record<string, unknown> {
  let value = metadata;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return {};
    }
  }
  if (!isRecord(value)) return {};
  for (const key of METADATA_KEYS) {
    const inner = Object.hasOwn(value, key) ? value[key] : undefined;
    if (isRecord(inner)) return inner;
  }
  return {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string").map((v) => v.trim()) : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(why: string): SkillError {
  return new SkillError("invalid_bundle", `bundle refused: ${why}`);
}

/** `binaries curl, jq and env vars API_KEY`, or `nothing`. */
export function describeNeeds(what: { bins: readonly string[]; env: readonly string[] }): string {
  const parts = [what.bins.length ? `binaries ${what.bins.join(", ")}` : "", what.env.length ? `env vars ${what.env.join(", ")}` : ""].filter(Boolean);
  return parts.join(" and ") || "nothing";
}
