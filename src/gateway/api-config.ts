// /api/v1/config/file and /api/v1/config/validate: the config editor's API. Reads pincer.yaml with its literal secrets
// replaced by placeholders, validates an edit exactly as a reload would (schema, references, env), and saves it —
// refused when the file changed since it was read — atomically (0600), then reloads and reports what changed and
// what waits for a restart. The effective config (GET /config) stays in api-routes.ts.
import { createHash } from "node:crypto";
import { readFile, realpath } from "node:fs/promises";
import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { diffConfig } from "../config/config-diff.ts";
import { ConfigIssuesError } from "../config/config-source.ts";
import { writeFileAtomic } from "../config/edit-config.ts";
import { redactConfig } from "../config/redact.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { ConfigError } from "../core/errors.ts";
import { parseJsonBody } from "./api-input.ts";
import type { GatewayContext } from "./gateway-context.ts";

/** Largest pincer.yaml the editor accepts, characters. */
export const MAX_CONFIG_CHARS = 200_000;

const yaml = z.string({ error: "must be the YAML text of pincer.yaml" }).max(MAX_CONFIG_CHARS, `must be at most ${MAX_CONFIG_CHARS} characters`);
const validateBody = z.object({ yaml });
const saveBody = z.object({ yaml, baseHash: z.string().regex(/^[0-9a-f]{64}$/, "must be the hash GET /api/v1/config/file returned (64 hex digits)") });

/** One problem of an edit, located. */
export interface ConfigProblem {
  keyPath: string | null;
  line: number | null;
  problem: string;
  fix: string | null;
  /** The whole message as the CLI prints it. */
  message: string;
}

/** One changed leaf of the effective config; secret values are shown as `***`. */
export interface ConfigChange {
  keyPath: string;
  before: unknown;
  after: unknown;
  /** The change takes effect only after the gateway restarts. */
  restart: boolean;
}

export const hashText = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

export function createConfigRoutes(opts: { ctx: GatewayContext; now: () => number }): Hono {
  const { ctx } = opts;
  const api = new Hono();
  const unavailable = (c: Context): Response =>
    c.json({ error: { type: "not_found", message: "this gateway has no config file to edit (it was started without one it can write)" } }, 404);

  api.get("/config/file", async (c) => {
    const file = ctx.configFile;
    if (!file) return unavailable(c);
    const current = await readConfigFile(file);
    const { hideConfigSecrets } = await import("../config/config-file-secrets.ts");
    const shown = hideConfigSecrets(current.text ?? "");
    return c.json({ path: file, exists: current.text !== undefined, hash: hashText(current.text ?? ""), text: shown.text, redacted: shown.secrets.length > 0, secrets: shown.secrets });
  });

  api.post("/config/validate", async (c) => {
    const body = await parseJsonBody(c, validateBody);
    if (!body.ok) return body.response;
    const file = ctx.configFile;
    if (!file || !ctx.checkConfigText) return unavailable(c);
    const checked = await checkEdit(ctx, file, body.value.yaml);
    if (!checked.ok) return c.json({ ok: false, problems: checked.problems });
    return c.json({ ok: true, changes: changesBetween(ctx.config, checked.config) });
  });

  api.put("/config/file", async (c) => {
    const body = await parseJsonBody(c, saveBody);
    if (!body.ok) return body.response;
    const file = ctx.configFile;
    if (!file || !ctx.checkConfigText || !ctx.reload) return unavailable(c);
    const target = await realpath(file).catch(() => file); // a symlinked config is written at its target
    const current = await readConfigFile(target);
    const currentHash = hashText(current.text ?? "");
    if (currentHash !== body.value.baseHash) {
      const message = "pincer.yaml changed since it was read (another edit, or someone saved the file). Fix: load it again, reapply your change, and save";
      return c.json({ error: { type: "conflict", message, param: "baseHash" }, hash: currentHash }, 409);
    }
    const checked = await checkEdit(ctx, file, body.value.yaml, current.text);
    if (!checked.ok) {
      return c.json({ error: { type: "invalid_config", message: checked.problems[0]?.message ?? "invalid config", param: "yaml" }, problems: checked.problems }, 400);
    }
    const before = ctx.config;
    const changes = changesBetween(before, checked.config);
    await writeFileAtomic(target, checked.text);
    await ctx.store.audit.write({
      at: opts.now(), kind: "config.edit", decision: "info", runId: undefined, sessionKey: undefined, tool: undefined,
      reason: "pincer.yaml saved through the HTTP API", detail: { changed: changes.map((ch) => ch.keyPath) },
    });
    const reload = await ctx.reload();
    return c.json({ saved: true, path: file, hash: hashText(checked.text), changes, restart: changes.filter((ch) => ch.restart).map((ch) => ch.keyPath), reload });
  });

  return api;
}

type Checked = { ok: true; config: PincerConfig; text: string } | { ok: false; problems: ConfigProblem[] };

/** Puts the secrets back, then validates as a reload would. Never throws for a user mistake. */
async function checkEdit(ctx: GatewayContext, file: string, edited: string, current?: string): Promise<Checked> {
  const { restoreConfigSecrets } = await import("../config/config-file-secrets.ts");
  try {
    const text = restoreConfigSecrets(edited, current ?? (await readConfigFile(file)).text, file);
    return { ok: true, config: await ctx.checkConfigText!(text), text };
  } catch (err) {
    if (err instanceof ConfigIssuesError) return { ok: false, problems: err.issues.map(toProblem) };
    if (err instanceof ConfigError) return { ok: false, problems: [toProblem(err)] };
    throw err;
  }
}

function toProblem(err: ConfigError): ConfigProblem {
  return { keyPath: err.keyPath ?? null, line: err.line ?? null, problem: err.problem, fix: err.fix ?? null, message: err.message };
}

/** Leaf changes from one validated config to the next, values redacted. */
export function changesBetween(before: PincerConfig, after: PincerConfig): ConfigChange[] {
  const diff = diffConfig(before, after);
  const [b, a] = [redactConfig(before), redactConfig(after)];
  return [
    ...diff.live.map((keyPath) => ({ keyPath, before: valueAt(b, keyPath), after: valueAt(a, keyPath), restart: false })),
    ...diff.restart.map((keyPath) => ({ keyPath, before: valueAt(b, keyPath), after: valueAt(a, keyPath), restart: true })),
  ];
}

/** The value at a dotted path of diffConfig; undefined (shown as null) when absent on that side. */
function valueAt(config: unknown, keyPath: string): unknown {
  let node = config;
  for (const key of keyPath.split(".")) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return null;
    node = (node as Record<string, unknown>)[key];
  }
  return node ?? null;
}

/** The file's text; undefined when it does not exist. Other read errors are bugs of the setup and reach the 500 path. */
async function readConfigFile(file: string): Promise<{ text: string | undefined }> {
  try {
    return { text: await readFile(file, "utf8") };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { text: undefined };
    throw err;
  }
}
