// `pincer config get/set/unset`: reads a value from a loaded config, or edits pincer.yaml in place keeping
// comments, validating the whole result before an atomic 0600 write. Never writes an invalid file. The YAML parser
// is imported by the edits, not with this module.
import { randomUUID } from "node:crypto";
import { chmod, mkdir, open, readFile, realpath, rename, rm } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { ConfigError } from "../core/errors.ts";
import { isPlainObject } from "./config-env.ts";
import { decodeConfigText } from "./config-source.ts";
import { validateConfigSource } from "./load-config.ts";
import type { Env } from "./paths.ts";
import { coerceRawValue } from "./schema-walk.ts";
import { toSetupError } from "./state-dir.ts";

export interface EditOptions {
  /** Env for `${env:X}` references while validating; unset variables are tolerated when editing. */
  env?: Env;
}

/**
 * Splits `agents.default.model`, `models.tiers.fast.fallbacks[0]` or `models.prices["openai/gpt-4.1"].input`.
 * Throws a ConfigError for an empty or malformed path.
 */
export function parseKeyPath(keyPath: string): (string | number)[] {
  const segments: (string | number)[] = [];
  let rest = keyPath;
  let valid = true;
  while (rest !== "" && valid) {
    if (segments.length > 0 && !rest.startsWith("[")) {
      valid = rest.startsWith(".");
      rest = rest.slice(1);
    }
    const match = KEY_SEGMENT.exec(rest);
    if (!match) {
      valid = false;
      break;
    }
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[3] !== undefined) segments.push(JSON.parse(`"${match[3]}"`) as string);
    else segments.push(match[1] ?? "");
    rest = rest.slice(match[0].length);
  }
  if (!valid || segments.length === 0) {
    throw new ConfigError({
      keyPath,
      problem: "invalid key path",
      fix: `write it like agents.default.model, models.tiers.fast.fallbacks[0] or models.prices["openai/gpt-4.1"].input`,
    });
  }
  return segments;
}

// A plain segment, a list index `[0]`, or a quoted key `["openai/gpt-4.1"]`.
const KEY_SEGMENT = /^(?:([^.[\]"\s]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\])/;

/** The value at `keyPath` in a loaded config (defaults included), or undefined when absent. */
export function getConfigValue(config: unknown, keyPath: string): unknown {
  let node = config;
  for (const segment of parseKeyPath(keyPath)) {
    if (Array.isArray(node) && typeof segment === "number") node = node[segment];
    else if (isPlainObject(node) && Object.hasOwn(node, String(segment))) node = node[String(segment)];
    else return undefined;
  }
  return node;
}

/** One change to pincer.yaml: set a key to a raw value (typed by the schema), or remove it. */
export type ConfigEdit =
  | { keyPath: string; value: string }
  /** `prune`: also remove the maps this leaves empty (`accounts: {}`, then `telegram: {}`, `channels: {}`). */
  | { keyPath: string; unset: true; prune?: boolean };

/** Edits applied to the file's text in memory, validated, not yet written. */
export interface ConfigPlan {
  /** The file that would be written (a symlink's target). */
  file: string;
  /** The new text. */
  text: string;
  /** False when no edit changed anything (every unset key was absent). */
  changed: boolean;
  /** The text the plan was made from (undefined: no file), so a write can refuse a file changed meanwhile. */
  before: string | undefined;
}

/**
 * Applies `edits` in order to one parse of the file and validates the result as a whole.
 * Contract: throws a ConfigError (and touches nothing) when any edit or the result is invalid; never writes.
 */
export async function planConfigEdits(file: string, edits: readonly ConfigEdit[], opts: EditOptions = {}): Promise<ConfigPlan> {
  const target = await resolveTarget(file);
  const before = await readIfExists(target);
  const [{ parseConfigSource }, { isMap, isNode }] = await Promise.all([import("./config-yaml.ts"), import("yaml")]);
  const isEmptyMap = (node: unknown): boolean => isMap(node) && node.items.length === 0;
  const source = parseConfigSource(before ?? "", target);
  let changed = false;
  for (const edit of edits) {
    const path = parseKeyPath(edit.keyPath);
    if ("unset" in edit) {
      if (!source.doc.hasIn(path)) continue;
      source.doc.deleteIn(path);
      changed = true;
      for (let parent = path.slice(0, -1); edit.prune && parent.length > 0 && isEmptyMap(source.doc.getIn(parent)); parent = parent.slice(0, -1)) source.doc.deleteIn(parent);
      continue;
    }
    try {
      const node = source.doc.createNode(coerceRawValue(path, edit.value, source));
      const previous: unknown = source.doc.getIn(path, true);
      // Keep the comments written around the old value (`port: 9000 # the API port`).
      if (isNode(previous)) Object.assign(node, { comment: previous.comment, commentBefore: previous.commentBefore, spaceBefore: previous.spaceBefore });
      source.doc.setIn(path, node);
      changed = true;
    } catch (err) {
      throw new ConfigError({
        file: target,
        keyPath: edit.keyPath,
        problem: `cannot set the key: ${err instanceof Error ? err.message : String(err)}`,
        fix: "make sure every parent of the key is a map in the file",
        cause: err,
      });
    }
  }
  // Pruning may leave nothing: an empty file rather than `{}`.
  const empty = isEmptyMap(source.doc.contents) && !source.doc.commentBefore && !source.doc.comment;
  const text = empty ? "" : source.doc.toString(RENDER);
  // Re-parse the rendered text so error lines point into the file as it would be written.
  validateConfigSource(parseConfigSource(text, target), { env: opts.env ?? {}, applyOverrides: false, allowMissingEnv: true });
  return { file: target, text, changed, before };
}

/** Writes a plan (0600, atomically). Throws a ConfigError, writing nothing, when the file changed since the plan. */
export async function writeConfigPlan(plan: ConfigPlan): Promise<void> {
  if ((await readIfExists(plan.file)) !== plan.before) {
    throw new ConfigError({ file: plan.file, problem: "the file changed while this command ran; nothing was written", fix: "run the command again" });
  }
  await writeFileAtomic(plan.file, plan.text).catch((err: unknown) => {
    throw toSetupError(err, { dir: dirname(plan.file), path: plan.file, what: `the folder of ${basename(plan.file)}`, setting: "PINCER_HOME (or --config)" }) ?? err;
  });
}

/**
 * Sets `keyPath` to `rawValue` (typed by the schema: a string where a string is expected, else parsed as
 * YAML, so `8080`, `true` and `[a, b]` work). Creates the file (0600) and its folder (0700) when absent.
 * Contract: the file is rewritten only when the whole result validates; otherwise the ConfigError is
 * thrown and the file is left byte-identical.
 */
export async function setConfigValue(file: string, keyPath: string, rawValue: string, opts: EditOptions = {}): Promise<void> {
  await writeConfigPlan(await planConfigEdits(file, [{ keyPath, value: rawValue }], opts));
}

/** Removes `keyPath` from the file. Returns false (and writes nothing) when the key was not there. */
export async function unsetConfigValue(file: string, keyPath: string, opts: EditOptions = {}): Promise<boolean> {
  parseKeyPath(keyPath);
  if ((await readIfExists(await resolveTarget(file))) === undefined) return false;
  const plan = await planConfigEdits(file, [{ keyPath, unset: true }], opts);
  if (plan.changed) await writeConfigPlan(plan);
  return plan.changed;
}

const RENDER = { lineWidth: 0, flowCollectionPadding: false } as const;

/** Writes via a temp file in the same folder + rename, so readers never see half a file. Mode 0600. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Absolute path; a symlinked config is edited at its target so the link survives. */
async function resolveTarget(file: string): Promise<string> {
  const absolute = resolve(file);
  try {
    return await realpath(absolute);
  } catch {
    return absolute;
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return decodeConfigText(await readFile(file), file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError({ file, problem: `cannot read the config file (${(err as NodeJS.ErrnoException).code})`, fix: "check the file's permissions and owner", cause: err });
  }
}
