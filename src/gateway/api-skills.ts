// /api/v1/skills: the skills one agent has, as its turns see them (the gateway's own catalog), and the registry actions
// of `pincer skills …` for the Control UI — search the registry, install, update, remove, grant and revoke — through
// the same functions (src/skills), audited as done with the HTTP API. The skills code loads on the first request to
// one of these routes. Refusals are 4xx with the same messages as the CLI.
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { SkillError } from "../skills/skill-errors.ts";
import type { SkillActor } from "../skills/skill-staging.ts";
import type { SkillScanner } from "../skills/skill-types.ts";
import type { SkillEntry } from "../skills/skill-catalog.ts";
import type { SkillInstallRecord } from "../skills/skill-lock.ts";
import { hasOwnEntry } from "../core/own-entry.ts";
import { parseJsonBody, parseQuery } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";
import { defaultAgentId } from "./openai-routes.ts";
import { toManifestJson, toSkillJson } from "./skill-json.ts";

/** Skill action bodies are tiny. */
const BODY_MAX_BYTES = 8 * 1024;
const slug = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,94}[a-z0-9])?$/, "must be a registry slug: lowercase letters, digits and hyphens");
const version = z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/, "must be a version like 1.2.3");
const flag = z.boolean({ error: "must be true or false" });
const names = (what: string, shape: RegExp) => z.array(z.string().regex(shape, `must be ${what}`)).max(64, "at most 64 entries");
const bins = names("binary names", /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/);
const env = names("env var names", /^[A-Za-z_][A-Za-z0-9_]{0,127}$/);

const searchQuery = z.object({
  q: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  limit: z.coerce.number({ error: "must be an integer from 1 to 100" }).int("must be an integer from 1 to 100").min(1, "must be an integer from 1 to 100").max(100, "must be an integer from 1 to 100").default(20),
});
const agentQuery = z.object({ agent: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters").optional() });
const installBody = z.strictObject({ slug, version: version.optional(), grant: flag.optional(), force: flag.optional() });
const updateBody = z.strictObject({ force: flag.optional() });
const grantBody = z.strictObject({ bins: bins.optional(), env: env.optional() });

/** HTTP status of each SkillError code. */
const STATUS: Record<SkillError["code"], 404 | 409 | 422 | 502 | 503> = {
  not_found: 404, not_installed: 404,
  exists: 409, local_edits: 409, suspicious: 409, busy: 409,
  malicious: 422, invalid_bundle: 422, scan_blocked: 422, invalid_grant: 422,
  registry: 502, network: 502, rate_limited: 503, aborted: 503,
};

export function createSkillRoutes(opts: { ctx: GatewayContext; now: () => number }): Hono {
  const { ctx } = opts;
  const api = new Hono();
  // On a cluster node the skills folder is brought in line with the store first: the change may follow one made elsewhere.
  const actor = async (): Promise<SkillActor> => {
    if (!ctx.stateDir) throw new Error("the gateway context has no state dir");
    const acting: SkillActor = { stateDir: ctx.stateDir, audit: (r) => ctx.store.audit.write(r), repo: ctx.store.skills, via: "the HTTP API", now: opts.now };
    if (ctx.config.bus.url) await (await import("../skills/skill-sync.ts")).syncBeforeChange(acting, await scanner());
    return acting;
  };
  // Inside a request a rate-limited registry gets short waits.
  const client = async () => (await import("../skills/registry-client.ts")).createRegistryClient({ registry: ctx.config.skills.registry, maxWaitMs: 10_000 });
  const scanner = async (): Promise<SkillScanner> => (await import("../skills/skill-default-scanner.ts")).loadDefaultScanner();

  /** The catalog's listing for the `agent` of the query (default agent when absent), or the 4xx/503 to answer. */
  const listFor = async (c: Context): Promise<Listing | Response> => {
    const q = parseQuery(c, agentQuery);
    if (!q.ok) return q.response;
    const agentId = q.value.agent ?? defaultAgentId(ctx.config);
    if (!hasOwnEntry(ctx.config.agents, agentId)) {
      return c.json({ error: { type: "not_found", message: `unknown agent "${agentId.slice(0, 80)}"; agents: ${Object.keys(ctx.config.agents).join(", ")}`, param: "agent" } }, 404);
    }
    if (!ctx.skillCatalog || !ctx.stateDir) return c.json({ error: { type: "unavailable", message: "this process does not load skills" } }, 503);
    const catalog = await ctx.skillCatalog();
    const { entries, problems } = await catalog.list({ config: ctx.config, workspace: ctx.workspaceFor(agentId), agentId });
    const { readSkillLock } = await import("../skills/skill-lock.ts");
    // An unreadable lock file is reported, not fatal: the catalog lists the skills without grants then.
    const installs = await readSkillLock(ctx.stateDir).then((lock) => lock.installs, () => Object.create(null) as Record<string, SkillInstallRecord>);
    return { agentId, entries, problems, installs };
  };

  api.get("/skills", async (c) => {
    const listing = await listFor(c);
    if (listing instanceof Response) return listing;
    const { agentId, entries, problems, installs } = listing;
    return c.json({ agent: agentId, agents: Object.keys(ctx.config.agents), skills: entries.map((e) => toSkillJson(e, installs)), problems });
  });

  api.get("/skills/:name", async (c) => {
    const listing = await listFor(c);
    if (listing instanceof Response) return listing;
    const name = c.req.param("name");
    const [entry, ...others] = listing.entries.filter((e) => e.name === name);
    if (!entry) {
      return c.json({ error: { type: "not_found", message: `no skill named "${name.slice(0, 80)}" for agent "${listing.agentId}"; GET /api/v1/skills lists them` } }, 404);
    }
    const { loadSkillManifest } = await import("../skills/skill-manifest.ts");
    const parsed = await loadSkillManifest(entry.dir);
    return c.json({
      agent: listing.agentId,
      skill: {
        ...toSkillJson(entry, listing.installs),
        manifest: toManifestJson(entry.manifest),
        body: parsed.ok ? parsed.body : null,
        shadowed: others.map((o) => ({ source: o.source, dir: o.dir })),
      },
      problems: listing.problems,
    });
  });

  api.get("/skills/registry/search", async (c) => {
    const q = parseQuery(c, searchQuery);
    if (!q.ok) return q.response;
    return answer(c, async () => {
      const registry = await client();
      return { registry: registry.registry, results: await registry.search(q.value.q, q.value.limit) };
    });
  });

  // What the registry says of one skill before it is installed: latest version, owner and moderation flags.
  api.get("/skills/registry/skills/:slug", async (c) => {
    const parsed = slug.safeParse(c.req.param("slug"));
    if (!parsed.success) return c.json({ error: { type: "invalid_request", message: `slug: ${parsed.error.issues[0]?.message ?? "invalid"}`, param: "slug" } }, 400);
    return answer(c, async () => {
      const registry = await client();
      return { registry: registry.registry, skill: await registry.getSkill(parsed.data) };
    });
  });

  api.post("/skills/install", async (c) => {
    const body = await parseJsonBody(c, installBody, BODY_MAX_BYTES);
    if (!body.ok) return body.response;
    const { slug: s, version: v, grant, force } = body.value;
    return answer(c, async () => {
      const { installSkill } = await import("../skills/skill-install.ts");
      return { installed: await installSkill(await actor(), { client: await client(), scan: await scanner(), slug: s, ...(v ? { version: v } : {}), grant: grant === true, force: force === true }) };
    }, 201);
  });

  api.post("/skills/:name/update", async (c) => {
    const body = await parseJsonBody(c, updateBody, BODY_MAX_BYTES);
    if (!body.ok) return body.response;
    return answer(c, async () => {
      const { updateSkills } = await import("../skills/skill-update.ts");
      const [outcome] = await updateSkills(await actor(), { client: await client(), scan: await scanner(), target: c.req.param("name"), force: body.value.force === true });
      return { update: outcome };
    });
  });

  api.delete("/skills/:name", (c) =>
    answer(c, async () => {
      const { removeSkill } = await import("../skills/skill-install.ts");
      return { removed: await removeSkill(await actor(), c.req.param("name")) };
    }),
  );

  api.post("/skills/:name/grant", async (c) => {
    const body = await parseJsonBody(c, grantBody, BODY_MAX_BYTES);
    if (!body.ok) return body.response;
    return answer(c, async () => {
      const { grantSkill } = await import("../skills/skill-grants.ts");
      return { grant: await grantSkill(await actor(), { name: c.req.param("name"), ...pick(body.value) }) };
    });
  });

  api.post("/skills/:name/revoke", async (c) => {
    const body = await parseJsonBody(c, grantBody, BODY_MAX_BYTES);
    if (!body.ok) return body.response;
    return answer(c, async () => {
      const { revokeSkill } = await import("../skills/skill-grants.ts");
      return { grant: (await revokeSkill(await actor(), { name: c.req.param("name"), ...pick(body.value) })) ?? null };
    });
  });

  return api;
}

interface Listing {
  agentId: string;
  entries: SkillEntry[];
  problems: string[];
  installs: Record<string, SkillInstallRecord>;
}

/** Runs a skills action; a SkillError becomes a 4xx/5xx JSON error with its code as `type`, anything else rethrows. */
async function answer(c: Context, run: () => Promise<unknown>, status: 200 | 201 = 200): Promise<Response> {
  try {
    return c.json(await run(), status);
  } catch (err) {
    const { isSkillError } = await import("../skills/skill-errors.ts");
    if (!isSkillError(err)) throw err;
    return c.json({ error: { type: err.code, message: err.message } }, STATUS[err.code]);
  }
}

function pick(body: { bins?: string[] | undefined; env?: string[] | undefined }): { bins?: string[]; env?: string[] } {
  return { ...(body.bins ? { bins: body.bins } : {}), ...(body.env ? { env: body.env } : {}) };
}
