// A client of a ClawHub-compatible skill registry over an injected `fetch`: search, a skill's detail (with its
// moderation flags), a bundle download with a byte cap, and resolve-by-fingerprint. Routes as ClawHub serves them
// (packages/schema/src/routes.ts, docs/http-api.md): GET /api/v1/search, /api/v1/skills/{slug}, /api/v1/download,
// /api/v1/resolve, and the optional discovery document /.well-known/clawhub.json. It waits out 429s (a bounded number
// of times, abortable, announced through `onWait`); every failure is a SkillError naming the registry and the status.
import { setTimeout as delay } from "node:timers/promises";
import type { z } from "zod";
import { readCapped } from "../core/capped-body.ts";
import { ConfigError } from "../core/errors.ts";
import {
  resolveResponse, searchResponse, skillResponse, SHA256_HEX, SLUG, toDisplayText, toRegistrySkill, toSearchResult, VERSION, wellKnown,
  type RegistrySearchResult, type RegistrySkill,
} from "./registry-schemas.ts";
import { SkillError } from "./skill-errors.ts";

export type { RegistryModeration, RegistrySearchResult, RegistrySkill } from "./registry-schemas.ts";

export interface RegistryClientOptions {
  /** The registry's site URL (`skills.registry`, or PINCER_SKILLS_REGISTRY): https, or http on loopback. */
  registry: string;
  fetch?: typeof fetch;
  /** ms per request, body included (default 30 s). */
  timeoutMs?: number;
  /** 429 answers waited out per request before giving up (default 3). */
  maxWaits?: number;
  /** Longest single wait for a 429, ms (default 60 s); a longer Retry-After is cut to it. */
  maxWaitMs?: number;
  /** Largest bundle downloaded, bytes (default 50 MiB). */
  maxDownloadBytes?: number;
  /** Ask /.well-known/clawhub.json for the API base first (default true). */
  discover?: boolean;
  /** Told before each wait for a 429, so the user knows why nothing happens. */
  onWait?: (wait: { seconds: number; attempt: number; of: number }) => void;
  /** Stops waits and requests. */
  signal?: AbortSignal;
  /** How to wait (tests count instead of waiting). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A ClawHub-compatible registry. Contract: every failure is a SkillError; returned data is validated. */
export interface RegistryClient {
  /** The registry's site URL, as given. */
  readonly registry: string;
  search(query: string, limit: number): Promise<RegistrySearchResult[]>;
  /** A skill's detail; SkillError `not_found` when the registry has none of that slug. */
  getSkill(slug: string): Promise<RegistrySkill>;
  /** The bundle (ZIP bytes) of `version`, or of the latest version. 403 → SkillError `malicious`. */
  download(slug: string, version?: string): Promise<Uint8Array>;
  /** Which published version has this bundle fingerprint (ClawHub's sha256 over `path:sha256` lines), and the latest. */
  resolve(slug: string, hash: string): Promise<{ match: string | null; latestVersion: string | null }>;
}

const JSON_MAX_BYTES = 1024 * 1024;
const ERROR_TEXT_MAX_BYTES = 2048;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Checks the registry URL (https, or http on loopback only) and returns it without a trailing slash. */
export function checkRegistryUrl(value: string, keyPath = "skills.registry"): string {
  const url = URL.parse(value);
  const ok = url !== null && (url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname))) && !url.username && !url.password;
  if (!ok || !url) {
    throw new ConfigError({ keyPath, problem: `"${toDisplayText(value, 200)}" is not a usable registry URL`, fix: "use an https:// URL (http:// only for 127.0.0.1 or localhost), e.g. https://clawhub.ai" });
  }
  return url.href.replace(/\/+$/, "");
}

export function createRegistryClient(opts: RegistryClientOptions): RegistryClient {
  const site = checkRegistryUrl(opts.registry);
  const fetchFn = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxWaits = opts.maxWaits ?? 3;
  const maxWaitMs = opts.maxWaitMs ?? 60_000;
  const maxDownload = opts.maxDownloadBytes ?? 50 * 1024 * 1024;
  const sleep = opts.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, signal ? { signal } : {}));
  let apiBase: Promise<string> | undefined;

  /** One GET with the timeout and the 429 waits; returns the final response (any status) with its signal. */
  const get = async (url: string, what: string): Promise<Response> => {
    for (let attempt = 1; ; attempt++) {
      const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      let res: Response;
      try {
        res = await fetchFn(url, { headers: { accept: "application/json, application/zip;q=0.9, */*;q=0.1" }, signal });
      } catch (err) {
        throw unreachable(err, what);
      }
      if (res.status !== 429 || attempt > maxWaits) return res;
      await res.body?.cancel().catch(() => undefined);
      const ms = Math.min(retryAfterMs(res.headers), maxWaitMs);
      opts.onWait?.({ seconds: Math.ceil(ms / 1000), attempt, of: maxWaits });
      try {
        await sleep(ms, opts.signal);
      } catch (err) {
        throw new SkillError("aborted", `stopped while waiting for registry ${site} (rate limited)`, { cause: err });
      }
    }
  };

  const unreachable = (err: unknown, what: string): SkillError => {
    if (opts.signal?.aborted) return new SkillError("aborted", `stopped while asking registry ${site} for ${what}`, { cause: err });
    const timedOut = (err as Error)?.name === "TimeoutError";
    const why = timedOut ? `no answer within ${Math.round(timeoutMs / 1000)} s` : toDisplayText((err as Error)?.message ?? String(err), 200);
    return new SkillError("network", `registry ${site} could not be reached for ${what}: ${why}. Fix: check the URL (skills.registry or PINCER_SKILLS_REGISTRY) and the network`, { cause: err });
  };

  const failure = async (res: Response, what: string, hints: Partial<Record<number, string>> = {}): Promise<SkillError> => {
    const body = await readErrorText(res);
    const hint = hints[res.status] ?? STATUS_HINTS[res.status] ?? (res.status >= 500 ? "the registry failed; try again later" : "unexpected answer");
    const message = `registry ${site} answered ${res.status} for ${what}: ${hint}${body ? ` (${body})` : ""}`;
    const code = res.status === 404 ? "not_found" : res.status === 429 ? "rate_limited" : "registry";
    return new SkillError(code, message, { status: res.status });
  };

  const readJson = async <T>(res: Response, schema: z.ZodType<T>, what: string): Promise<T> => {
    let data: unknown;
    try {
      const bytes = await readCapped(res, JSON_MAX_BYTES);
      if (!bytes) throw new Error(`the answer is larger than ${JSON_MAX_BYTES} bytes`);
      data = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      if ((err as Error).name === "TimeoutError" || opts.signal?.aborted) throw unreachable(err, what);
      throw new SkillError("registry", `registry ${site} sent an unreadable answer for ${what}: ${toDisplayText((err as Error).message, 200)}`);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SkillError("registry", `registry ${site} sent an unexpected answer for ${what}: ${issue?.path.join(".") || "body"} ${issue?.message ?? "is invalid"}`);
    }
    return parsed.data;
  };

  const api = async (path: string, query: Record<string, string>): Promise<string> => {
    apiBase ??= opts.discover === false ? Promise.resolve(site) : discoverApiBase();
    const base = await apiBase;
    const qs = new URLSearchParams(query).toString();
    return `${base}${path}${qs ? `?${qs}` : ""}`;
  };

  /** ClawHub's discovery (packages/clawhub/src/discovery.ts): `{ apiBase }` (or legacy `{ registry }`) from the
   * well-known document; a missing or unreadable document means the site serves the API itself. */
  const discoverApiBase = async (): Promise<string> => {
    for (const path of ["/.well-known/clawhub.json", "/.well-known/clawdhub.json"]) {
      const res = await get(`${site}${path}`, "its discovery document");
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        continue;
      }
      const doc = await readJson(res, wellKnown, "its discovery document").catch(() => undefined);
      if (!doc) return site;
      const base = "apiBase" in doc ? doc.apiBase : doc.registry;
      try {
        return checkRegistryUrl(base, `apiBase in ${site}${path}`);
      } catch {
        throw new SkillError("registry", `registry ${site} names an unusable API base in ${path}: "${toDisplayText(base, 200)}" (https, or http on loopback, expected)`);
      }
    }
    return site;
  };

  return {
    registry: site,

    async search(query, limit) {
      const what = `the search "${toDisplayText(query, 80)}"`;
      const res = await get(await api("/api/v1/search", { q: query, limit: String(limit) }), what);
      if (!res.ok) throw await failure(res, what);
      const data = await readJson(res, searchResponse, what);
      return data.results.map(toSearchResult).filter((r) => r !== undefined).slice(0, limit);
    },

    async getSkill(slug) {
      checkSlug(slug);
      const what = `skill "${slug}"`;
      const res = await get(await api(`/api/v1/skills/${slug}`, {}), what);
      if (!res.ok) throw await failure(res, what, { 404: "no such skill" });
      const data = await readJson(res, skillResponse, what);
      if (!data.skill) throw new SkillError("not_found", `registry ${site} has no skill "${slug}"`, { status: 200 });
      return toRegistrySkill(data, slug);
    },

    async download(slug, version) {
      checkSlug(slug);
      if (version !== undefined) checkVersion(version);
      const what = `the download of "${slug}"${version ? ` ${version}` : ""}`;
      const res = await get(await api("/api/v1/download", { slug, ...(version ? { version } : {}) }), what);
      if (res.status === 403) {
        const body = await readErrorText(res);
        throw new SkillError("malicious", `registry ${site} answered 403 for ${what}: the registry blocks this skill${body ? ` (${body})` : ""}`, { status: 403 });
      }
      if (!res.ok) throw await failure(res, what, { 404: version ? "no such skill or version" : "no such skill" });
      if (/^application\/json/i.test(res.headers.get("content-type") ?? "")) {
        await res.body?.cancel().catch(() => undefined);
        throw new SkillError("registry", `registry ${site} has no hosted bundle for "${slug}" (it points to a GitHub source); install it from its repository instead`);
      }
      const announced = Number(res.headers.get("content-length") ?? Number.NaN);
      const tooBig = new SkillError("invalid_bundle", `bundle refused: the download of "${slug}" is larger than ${Math.round(maxDownload / 1024 / 1024)} MiB`);
      if (announced > maxDownload) {
        await res.body?.cancel().catch(() => undefined);
        throw tooBig;
      }
      let bytes: Uint8Array | undefined;
      try {
        bytes = await readCapped(res, maxDownload);
      } catch (err) {
        throw unreachable(err, what);
      }
      if (!bytes) throw tooBig;
      return bytes;
    },

    async resolve(slug, hash) {
      checkSlug(slug);
      if (!SHA256_HEX.test(hash)) throw new SkillError("registry", `"${hash}" is not a sha256 fingerprint (64 lowercase hex digits)`);
      const what = `the fingerprint of "${slug}"`;
      const res = await get(await api("/api/v1/resolve", { slug, hash }), what);
      if (!res.ok) throw await failure(res, what, { 404: "no such skill" });
      const data = await readJson(res, resolveResponse, what);
      return { match: data.match?.version ?? null, latestVersion: data.latestVersion?.version ?? null };
    },
  };
}

const STATUS_HINTS: Partial<Record<number, string>> = {
  400: "the registry refused the request",
  401: "the registry wants a login (not supported)",
  403: "access refused",
  404: "not found",
  410: "removed from the registry",
  423: "pending the registry's security review; try again in a few minutes",
  429: "still rate limited after waiting; try again later",
};

/** Slugs go into URL paths: only ClawHub's shape passes. */
export function checkSlug(slug: string): void {
  if (!SLUG.test(slug)) throw new SkillError("not_found", `"${toDisplayText(slug, 100)}" is not a skill slug (lowercase letters, digits and single hyphens)`);
}

export function checkVersion(version: string): void {
  if (!VERSION.test(version)) throw new SkillError("not_found", `"${toDisplayText(version, 100)}" is not a version (like 1.2.3)`);
}

/** Retry-After in seconds or as an HTTP date; else RateLimit-Reset (seconds); else 1 s. */
export function retryAfterMs(headers: Headers, now = Date.now()): number {
  const after = headers.get("retry-after")?.trim();
  if (after && /^\d+$/.test(after)) return Number(after) * 1000;
  if (after) {
    const at = Date.parse(after);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = headers.get("ratelimit-reset")?.trim();
  if (reset && /^\d+$/.test(reset)) return Number(reset) * 1000;
  return 1000;
}

/** The registry's plain-text error (ClawHub answers errors as text/plain), first line, capped and made printable. */
async function readErrorText(res: Response): Promise<string> {
  try {
    const bytes = await readCapped(res, ERROR_TEXT_MAX_BYTES).catch(() => undefined);
    if (!bytes) {
      await res.body?.cancel().catch(() => undefined);
      return "";
    }
    return toDisplayText(new TextDecoder().decode(bytes).split("\n")[0], 200);
  } catch {
    return "";
  }
}
