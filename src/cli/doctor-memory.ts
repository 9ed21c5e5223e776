// `pincer doctor` check of memory: per agent with memory files, whether the index exists and is current (files on
// disk vs indexed, by size and mtime), and with memory.embeddings a live one-text request to the embeddings endpoint.
import { join } from "node:path";
import { resolveWorkspace } from "../config/index.ts";
import type { Env } from "../config/paths.ts";
import type { PincerConfig } from "../core/config-schema.ts";
import { defaultPostgresSchema, isPostgresUrl, openPostgresStore, openSqliteStore } from "../store/index.ts";
import type { Store } from "../store/store.ts";
import type { Check } from "./doctor-command.ts";

async function openExistingStore(config: PincerConfig, stateDir: string): Promise<Store | undefined> {
  const url = config.store.url;
  if (url && isPostgresUrl(url)) return openPostgresStore({ url, schema: config.store.schema ?? defaultPostgresSchema(config.instance), migrate: false, poolMax: 1 });
  return openSqliteStore({ path: join(stateDir, "pincer.db"), migrate: false });
}

/** Never throws. Nothing to report (memory off, or no agent has memory files) is one ok line. */
export async function checkMemory(config: PincerConfig, configFile: string, stateDir: string, env: Env): Promise<Check[]> {
  if (!config.memory.enabled) return [{ name: "memory", status: "ok", detail: "off (memory.enabled: false)" }];
  const { createMemoryRuntime } = await import("../memory/memory-runtime.ts");
  const { listMemoryFiles } = await import("../memory/memory-files.ts");
  const checks: Check[] = [];
  let store: Store | undefined;
  try {
    store = await openExistingStore(config, stateDir);
    if (!store) return checks;
    if ((await store.pendingMigrations()).includes("008_memory")) {
      return [{ name: "memory", status: "warn", detail: "the memory index tables do not exist yet", fix: "run 'pincer memory index' (or start the gateway) to create and fill them" }];
    }
    const runtime = createMemoryRuntime({ store, config: () => config, configFile, stateDir, env });
    for (const agentId of Object.keys(config.agents)) {
      const workspace = resolveWorkspace(stateDir, agentId, config.agents[agentId]!.workspace, env);
      const onDisk = await listMemoryFiles(await runtime.rootsFor(workspace));
      if (onDisk.length === 0) continue;
      const indexed = new Map((await store.memory.files(agentId)).map((f) => [f.path, f]));
      const stale = onDisk.filter((f) => {
        const rec = indexed.get(f.path);
        return !rec || rec.size !== f.size || rec.mtimeMs !== f.mtimeMs;
      });
      const name = `memory (${agentId})`;
      if (indexed.size === 0) checks.push({ name, status: "warn", detail: `${onDisk.length} memory file(s), none indexed`, fix: `run 'pincer memory index --agent ${agentId}' (the gateway also indexes at start)` });
      else if (stale.length > 0) checks.push({ name, status: "warn", detail: `${stale.length} of ${onDisk.length} file(s) changed since indexed (e.g. ${stale[0]!.path})`, fix: `run 'pincer memory index --agent ${agentId}'; a running gateway re-indexes on change and before each search` });
      else checks.push({ name, status: "ok", detail: `${onDisk.length} file(s) indexed and current` });
    }
    if (checks.length === 0) checks.push({ name: "memory", status: "ok", detail: "no memory files yet (the agent writes MEMORY.md and memory/*.md)" });
    const settings = config.memory.embeddings;
    if (settings) {
      const { createEmbedder } = await import("../memory/embeddings.ts");
      try {
        await createEmbedder({ config: () => config, stateDir, env })!.embed(["pincer doctor"]);
        checks.push({ name: "memory embeddings", status: "ok", detail: `${settings.provider}/${settings.model} answers` });
      } catch (err) {
        checks.push({ name: "memory embeddings", status: "fail", detail: err instanceof Error ? err.message : String(err), fix: "check memory.embeddings (provider key of models.providers, model name) and that the server runs; without embeddings remove the key: search falls back to full text" });
      }
    }
  } catch (err) {
    checks.push({ name: "memory", status: "fail", detail: `cannot read the memory index: ${err instanceof Error ? err.message : String(err)}`, fix: "run 'pincer doctor' again after fixing the store check above" });
  } finally {
    await store?.close();
  }
  return checks;
}
