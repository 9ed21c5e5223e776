// `pincer config validate|get|set|unset|schema`: read and change pincer.yaml without ever writing an invalid file.
import { defaultConfigPath, getConfigValue, redactConfig, renderConfigJsonSchema, resolveStateDir, setConfigValue, unsetConfigValue } from "../config/index.ts";
import { stringify } from "yaml";
import { CliFailure, printJson } from "./output.ts";
import { loadCliConfig, type GlobalOptions } from "./cli-app.ts";

function configPath(g: GlobalOptions): string {
  return g.config ?? defaultConfigPath(resolveStateDir(process.env));
}

export async function validateConfig(g: GlobalOptions): Promise<void> {
  const loaded = await loadCliConfig(g);
  const { config } = loaded;
  const summary = `${Object.keys(config.agents).length} agent(s), ${Object.keys(config.models.providers).length} provider(s), ${Object.keys(config.models.tiers).length} tier(s)`;
  process.stdout.write(loaded.exists ? `ok: ${loaded.file} is valid — ${summary}\n` : `ok: no config at ${loaded.file}; the defaults are in force (run 'pincer onboard' to create one)\n`);
}

export async function getConfig(g: GlobalOptions, key: string | undefined, opts: { json?: boolean }): Promise<void> {
  const { config } = await loadCliConfig(g);
  const redacted = redactConfig(config);
  const value = key ? getConfigValue(redacted, key) : redacted;
  if (value === undefined) throw new CliFailure(`${key}: not set (see 'pincer config schema' for valid keys)`);
  if (opts.json) return printJson(value);
  process.stdout.write(typeof value === "object" && value !== null ? stringify(value) : `${String(value)}\n`);
}

export async function setConfig(g: GlobalOptions, key: string, value: string): Promise<void> {
  const file = configPath(g);
  await setConfigValue(file, key, value, { env: process.env });
  process.stdout.write(`set ${key} in ${file}\n`);
}

export async function unsetConfig(g: GlobalOptions, key: string): Promise<void> {
  const file = configPath(g);
  const removed = await unsetConfigValue(file, key, { env: process.env });
  process.stdout.write(removed ? `removed ${key} from ${file}\n` : `${key} was not set in ${file}\n`);
}

export async function printSchema(): Promise<void> {
  printJson(renderConfigJsonSchema());
}
