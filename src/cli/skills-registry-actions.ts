// What `pincer skills search | install | update | remove | grant | revoke` do: build the registry client from the
// config (PINCER_SKILLS_REGISTRY already applied), act through src/skills with the store's audit repo, print progress
// on stderr and results on stdout (or JSON). Registry and install refusals become one-line errors (exit 1).
import type { App } from "../app.ts";
import type { RegistryClient } from "../skills/registry-client.ts";
import type { SkillActor } from "../skills/skill-staging.ts";
import type { SkillScanner } from "../skills/skill-types.ts";
import { loadCliConfig, withApp, type GlobalOptions } from "./cli-app.ts";
import { CliFailure, EXIT_USAGE, printJson, renderTable } from "./output.ts";

const say = (line: string): void => void process.stderr.write(`${line}\n`);

/** The registry client for the CLI: waits for 429s announced on stderr, stopped by Ctrl-C. */
async function openClient(registry: string): Promise<{ client: RegistryClient; done: () => void }> {
  const { createRegistryClient } = await import("../skills/registry-client.ts");
  const stop = new AbortController();
  const onInt = (): void => stop.abort();
  process.once("SIGINT", onInt);
  const client = createRegistryClient({
    registry,
    signal: stop.signal,
    onWait: (w) => say(`registry ${registry} is rate limiting; waiting ${w.seconds} s (${w.attempt} of ${w.of})`),
  });
  return { client, done: () => void process.off("SIGINT", onInt) };
}

async function loadScanner(): Promise<SkillScanner> {
  return (await import("../skills/skill-default-scanner.ts")).loadDefaultScanner();
}

/** The actor of one command; on a cluster node, the skills folder brought in line with the store first. */
async function actorFor(app: App, command: string, scan?: SkillScanner): Promise<SkillActor> {
  const actor: SkillActor = { stateDir: app.stateDir, audit: (r) => app.store.audit.write(r), repo: app.store.skills, via: `'pincer skills ${command}'`, now: Date.now, progress: say };
  if (app.runtime === "cluster") await (await import("../skills/skill-sync.ts")).syncBeforeChange(actor, scan ?? (await loadScanner()));
  return actor;
}

/** Runs `fn` with the app and a registry client; a SkillError becomes a one-line CLI error. */
async function withRegistry<T>(g: GlobalOptions, fn: (app: App, client: RegistryClient) => Promise<T>): Promise<T> {
  return withApp(g, async (app) => {
    const { client, done } = await openClient(app.config.skills.registry);
    try {
      return await fn(app, client);
    } catch (err) {
      throw await asCliFailure(err);
    } finally {
      done();
    }
  });
}

async function asCliFailure(err: unknown): Promise<unknown> {
  const { isSkillError } = await import("../skills/skill-errors.ts");
  return isSkillError(err) ? new CliFailure(err.message, 1) : err;
}

export async function searchCommand(g: GlobalOptions, query: string, opts: { limit: string; json?: boolean }): Promise<void> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new CliFailure(`--limit: expected a whole number from 1 to 200, got ${JSON.stringify(opts.limit)}`, EXIT_USAGE);
  const { config } = await loadCliConfig(g);
  const { client, done } = await openClient(config.skills.registry);
  try {
    const results = await client.search(query, limit);
    if (opts.json) return printJson({ registry: client.registry, results });
    if (results.length === 0) return void process.stdout.write(`no skills match "${query}" on ${client.registry}\n`);
    process.stdout.write(`${renderTable(["SLUG", "VERSION", "NAME", "SUMMARY"], results.map((r) => [r.slug, r.version ?? "-", r.displayName, clip(r.summary ?? "", 60)]))}\n`);
  } catch (err) {
    throw await asCliFailure(err);
  } finally {
    done();
  }
}

export async function installCommand(g: GlobalOptions, spec: string, opts: { grant?: boolean; force?: boolean; json?: boolean }): Promise<void> {
  const at = spec.lastIndexOf("@");
  const slug = at > 0 ? spec.slice(0, at) : spec;
  const version = at > 0 ? spec.slice(at + 1) : undefined;
  const [{ installSkill }, { describe }, scan] = await Promise.all([import("../skills/skill-install.ts"), import("../skills/skill-grants.ts"), loadScanner()]);
  await withRegistry(g, async (app, client) => {
    const result = await installSkill(await actorFor(app, "install", scan), { client, scan, slug, ...(version ? { version } : {}), force: opts.force === true, grant: opts.grant === true });
    if (opts.json) return printJson(result);
    const declared = describe(result.declared);
    process.stdout.write(`installed ${result.name} ${result.install.version} (${result.install.slug}) in ${result.dir}\n`);
    if (result.grant) process.stdout.write(`granted ${describe(result.grant)}\n`);
    else if (declared !== "nothing") process.stdout.write(`it declares ${declared}; allow them with 'pincer skills grant ${result.name}'\n`);
  });
}

export async function updateCommand(g: GlobalOptions, target: string | undefined, opts: { all?: boolean; force?: boolean; json?: boolean }): Promise<void> {
  if (!target === !opts.all) throw new CliFailure("name one skill, or give --all (not both)", EXIT_USAGE);
  const [{ updateSkills }, { describe }, scan] = await Promise.all([import("../skills/skill-update.ts"), import("../skills/skill-grants.ts"), loadScanner()]);
  await withRegistry(g, async (app, client) => {
    const outcomes = await updateSkills(await actorFor(app, "update", scan), { client, scan, ...(target ? { target } : {}), all: opts.all === true, force: opts.force === true });
    if (opts.json) return printJson({ outcomes });
    if (outcomes.length === 0) return void process.stdout.write("no skills installed from a registry\n");
    for (const o of outcomes) {
      const line = o.status === "updated" ? `updated ${o.name}: ${o.from} → ${o.to}` : o.status === "up-to-date" ? `${o.name} is up to date (${o.from})` : `skipped ${o.name}: ${o.note ?? ""}`;
      process.stdout.write(`${line}\n`);
      if (o.ungranted) process.stdout.write(`  ${o.to} declares ${describe(o.ungranted)} not granted; allow them with 'pincer skills grant ${o.name}'\n`);
    }
  });
}

export async function removeCommand(g: GlobalOptions, name: string): Promise<void> {
  const { removeSkill } = await import("../skills/skill-install.ts");
  await withApp(g, async (app) => {
    const removed = await actorFor(app, "remove").then((actor) => removeSkill(actor, name)).catch(async (err: unknown) => Promise.reject(await asCliFailure(err)));
    process.stdout.write(`removed ${name}${removed.install ? ` (${removed.install.slug} ${removed.install.version})` : ""}${removed.grant ? " and its grants" : ""}\n`);
  });
}

export async function grantCommand(g: GlobalOptions, name: string, opts: { bin?: string[]; env?: string[] }): Promise<void> {
  const { grantSkill, describe } = await import("../skills/skill-grants.ts");
  await withApp(g, async (app) => {
    const grant = await actorFor(app, "grant").then((actor) => grantSkill(actor, { name, ...pick(opts) })).catch(async (err: unknown) => Promise.reject(await asCliFailure(err)));
    process.stdout.write(`${name} may now use ${describe(grant)}\n`);
  });
}

export async function revokeCommand(g: GlobalOptions, name: string, opts: { bin?: string[]; env?: string[] }): Promise<void> {
  const { revokeSkill, describe } = await import("../skills/skill-grants.ts");
  await withApp(g, async (app) => {
    const left = await actorFor(app, "revoke").then((actor) => revokeSkill(actor, { name, ...pick(opts) })).catch(async (err: unknown) => Promise.reject(await asCliFailure(err)));
    process.stdout.write(left ? `${name} keeps ${describe(left)}\n` : `${name} has no grants any more\n`);
  });
}

function pick(opts: { bin?: string[]; env?: string[] }): { bins?: string[]; env?: string[] } {
  return { ...(opts.bin ? { bins: opts.bin } : {}), ...(opts.env ? { env: opts.env } : {}) };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
