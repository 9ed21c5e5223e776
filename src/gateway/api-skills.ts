// /api/v1/skills: the registry actions of `pincer skills …` for the Control UI — search the registry, install, update,
// remove, grant and revoke — through the same functions (src/skills), audited as done with the HTTP API. The skills
// code loads on the first request to one of these routes. Refusals are 4xx with the same messages as the CLI.
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { SkillError } from "../skills/skill-errors.ts";
import type { SkillActor } from "../skills/skill-staging.ts";
import type { SkillScanner } from "../skills/skill-types.ts";
import { parseJsonBody, parseQuery } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";

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

  api.get("/skills/registry/search", async (c) => {
    const q = parseQuery(c, searchQuery);
    if (!q.ok) return q.response;
    return answer(c, async () => {
      const registry = await client();
      return { registry: registry.registry, results: await registry.search(q.value.q, q.value.limit) };
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
