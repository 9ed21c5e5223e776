// The JSON a ClawHub-compatible registry answers, as zod schemas, and their mapping to what Pincer uses. Shapes follow
// ClawHub's public source (packages/schema/src/schemas.ts: ApiV1SearchResponseSchema, ApiV1SkillResponseSchema,
// ApiV1SkillResolveResponseSchema, WellKnownConfigSchema; docs/http-api.md). Registry data is hostile: slugs and
// versions must have their documented shapes, display text loses control characters and is capped.
import { z } from "zod";

/** ClawHub's slug rule (convex/lib/skillSlugValidator.ts): lowercase letters, digits, single inner hyphens, ≤ 96. */
export const SLUG = /^(?=.{1,96}$)[a-z0-9](?:(?!--)[a-z0-9-])*[a-z0-9]$|^[a-z0-9]$/;
/** A semver-like version: what ClawHub publishes (`1.2.3`, `1.2.3-beta.1`). */
export const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/;
/** ClawHub's `resolve` takes a 64-hex sha256. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Text from the registry, safe to print on a terminal: control characters (escape sequences) removed, capped. */
export function toDisplayText(value: unknown, max = 300): string {
  if (typeof value !== "string") return "";
  // oxlint-disable-next-line no-control-regex -- removing control characters is the point
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g, " ").trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

const text = z.unknown().optional().transform((v) => toDisplayText(v));
const optionalText = z.unknown().optional().transform((v) => toDisplayText(v) || null);

export const searchResponse = z.object({ results: z.array(z.unknown()).max(1_000) });

const versionInfo = z.object({ version: z.string().regex(VERSION, "must be a version like 1.2.3") }).nullable();
const moderation = z
  .object({
    isSuspicious: z.boolean(),
    isMalwareBlocked: z.boolean(),
    verdict: z.enum(["clean", "suspicious", "malicious"]).optional(),
    reasonCodes: z.array(z.unknown()).max(100).optional(),
    summary: optionalText.optional(),
  })
  .nullish();
export const skillResponse = z.object({
  skill: z.object({ slug: z.string().regex(SLUG, "must be a skill slug"), displayName: text, summary: optionalText }).nullable(),
  latestVersion: versionInfo,
  owner: z.object({ handle: optionalText }).nullish().catch(null),
  moderation,
});
export const resolveResponse = z.object({ match: versionInfo, latestVersion: versionInfo });
export const wellKnown = z.union([z.object({ apiBase: z.string() }), z.object({ registry: z.string() })]);

/** One search hit. */
export interface RegistrySearchResult {
  slug: string;
  displayName: string;
  summary: string | null;
  version: string | null;
  owner: string | null;
  score: number | null;
  /** epoch ms */
  updatedAt: number | null;
}

/** What the registry flags about a skill (ClawHub sends it only for flagged skills). */
export interface RegistryModeration {
  isSuspicious: boolean;
  isMalwareBlocked: boolean;
  verdict: "clean" | "suspicious" | "malicious" | undefined;
  reasonCodes: string[];
  summary: string | null;
}

/** A skill's detail page. */
export interface RegistrySkill {
  slug: string;
  displayName: string;
  summary: string | null;
  latestVersion: string | null;
  owner: string | null;
  moderation: RegistryModeration | undefined;
}

/** A search hit, or undefined for one whose slug is missing or malformed (dropped, never trusted). */
export function toSearchResult(raw: unknown): RegistrySearchResult | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const d = raw as Record<string, unknown>;
  const slug = d["slug"];
  if (typeof slug !== "string" || !SLUG.test(slug)) return undefined;
  const owner = d["owner"];
  const ownerHandle = typeof d["ownerHandle"] === "string" ? d["ownerHandle"] : typeof owner === "object" && owner !== null ? (owner as Record<string, unknown>)["handle"] : undefined;
  const version = d["version"];
  const finite = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    slug,
    displayName: toDisplayText(d["displayName"]) || slug,
    summary: toDisplayText(d["summary"]) || null,
    version: typeof version === "string" && VERSION.test(version) ? version : null,
    owner: toDisplayText(ownerHandle, 64) || null,
    score: finite(d["score"]),
    updatedAt: finite(d["updatedAt"]),
  };
}

export function toRegistrySkill(data: z.infer<typeof skillResponse>, slug: string): RegistrySkill {
  const m = data.moderation;
  return {
    slug: data.skill?.slug ?? slug,
    displayName: data.skill?.displayName || slug,
    summary: data.skill?.summary ?? null,
    latestVersion: data.latestVersion?.version ?? null,
    owner: data.owner?.handle ?? null,
    moderation: m
      ? {
          isSuspicious: m.isSuspicious,
          isMalwareBlocked: m.isMalwareBlocked,
          verdict: m.verdict,
          reasonCodes: (m.reasonCodes ?? []).map((r) => toDisplayText(r, 100)).filter(Boolean),
          summary: m.summary ?? null,
        }
      : undefined,
  };
}
