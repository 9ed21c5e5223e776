// Memory for a process: one index per agent (created on first use), the memory part of each turn (prompt block and
// tools, owner sessions only), and the debounced file watchers the gateway starts. Loaded lazily (app.ts).
import { existsSync, watch, type FSWatcher } from "node:fs";
import { lstat, realpath } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Logger } from "pino";
import type { PincerConfig } from "../core/config-schema.ts";
import type { Run } from "../core/domain.ts";
import type { Store } from "../store/store.ts";
import type { Tool } from "../tools/tool.ts";
import { createEmbedder, type EmbedderOptions } from "./embeddings.ts";
import { MEMORY_DIR, MEMORY_FILE, type MemoryRoots } from "./memory-files.ts";
import { createMemoryIndex, type MemoryIndex } from "./memory-index.ts";
import { createMemoryFileReader, renderMemoryPrompt } from "./memory-prompt.ts";
import { createMemoryTools } from "./memory-tools.ts";
import { isOwnerSession } from "./owner-session.ts";

/** Quiet time after the last file event before re-indexing, ms. */
export const WATCH_DEBOUNCE_MS = 500;

/** What a turn gets from memory. */
export interface MemoryTurn {
  prompt: string;
  tools: Tool[];
}

export interface MemoryRuntime {
  /** The memory of one turn; undefined when memory is off or the session is not the owner's (see owner-session.ts). */
  prepareTurn(input: { agentId: string; workspace: string; run: Pick<Run, "sessionKey" | "origin"> }): Promise<MemoryTurn | undefined>;
  /** The index of an agent (for the CLI, the API and the tools). */
  indexFor(agentId: string, workspace: string): Promise<MemoryIndex>;
  /** The folders an agent's memory is read from. */
  rootsFor(workspace: string): Promise<MemoryRoots>;
  /** Indexes each agent's memory now and re-indexes on file changes until `close`. Agents without memory are skipped. */
  watch(agents: ReadonlyArray<{ agentId: string; workspace: string }>): Promise<void>;
  close(): void;
}

export interface MemoryRuntimeOptions {
  store: Store;
  config: () => PincerConfig;
  /** pincer.yaml: relative `memory.extra_paths` are resolved from its folder. */
  configFile: string;
  stateDir: string;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => number;
  log?: Logger;
  /** Reuse of a turn's look at the memory files by the next turns, as the skills runtime does (default: none). */
  reuse?: { listTtlMs: number; changes: () => number };
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}

export function createMemoryRuntime(opts: MemoryRuntimeOptions): MemoryRuntime {
  const indexes = new Map<string, Promise<MemoryIndex>>();
  const watchers: FSWatcher[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const readMemoryFile = createMemoryFileReader();

  // The memory files' presence and MEMORY.md's text cost file-system calls on each turn; within reuse.listTtlMs, and
  // with no file change made by this process since (reuse.changes), a turn takes what the previous one found.
  const prompts = new Map<string, { at: number; changes: number; config: PincerConfig; prompt: string; searchable: boolean }>();
  const now = opts.now ?? Date.now;
  const memoryPromptFor = async (workspace: string, config: PincerConfig): Promise<{ prompt: string; searchable: boolean }> => {
    const reuse = opts.reuse;
    const changes = reuse?.changes() ?? 0;
    const hit = prompts.get(workspace);
    if (reuse && hit && hit.config === config && hit.changes === changes && now() - hit.at < reuse.listTtlMs) return hit;
    const searchable = await hasMemory(workspace);
    const prompt = renderMemoryPrompt({ memoryText: readMemoryFile(workspace), maxChars: config.memory.prompt_max_chars, searchable });
    if (reuse) prompts.set(workspace, { at: now(), changes, config, prompt, searchable });
    return { prompt, searchable };
  };

  const rootsFor = async (workspace: string): Promise<MemoryRoots> => {
    const base = dirname(opts.configFile);
    const extra: string[] = [];
    for (const raw of opts.config().memory.extra_paths) {
      const expanded = raw === "~" || raw.startsWith("~/") ? join(homedir(), raw.slice(1)) : raw;
      const real = await realpath(isAbsolute(expanded) ? expanded : resolve(base, expanded)).catch(() => undefined);
      if (real && !extra.includes(real)) extra.push(real);
      else if (!real) opts.log?.warn({ path: raw }, "memory.extra_paths entry not found; skipped");
    }
    return { workspace, extra };
  };

  const indexFor = (agentId: string, workspace: string): Promise<MemoryIndex> => {
    const key = `${agentId}\0${workspace}`;
    let index = indexes.get(key);
    if (!index) {
      const embedderOpts: EmbedderOptions = {
        config: opts.config, stateDir: opts.stateDir, env: opts.env, agentId, recordUsage: (r) => opts.store.usage.record(r),
        ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.now ? { now: opts.now } : {}),
      };
      index = rootsFor(workspace).then((roots) =>
        createMemoryIndex({ repo: opts.store.memory, agentId, roots, config: () => opts.config().memory, embedder: createEmbedder(embedderOpts), ...(opts.now ? { now: opts.now } : {}) }));
      indexes.set(key, index);
    }
    return index;
  };

  const hasMemory = async (workspace: string): Promise<boolean> =>
    opts.config().memory.extra_paths.length > 0 || (await exists(join(workspace, MEMORY_FILE))) || (await exists(join(workspace, MEMORY_DIR)));

  /** Watches a folder; false when it cannot (then searches keep checking the files themselves). */
  const watchDir = (dir: string, recursive: boolean, onChange: (name: string | null) => void, onError: () => void): boolean => {
    try {
      const w = watch(dir, { recursive, persistent: false }, (_event, name) => onChange(name));
      w.on("error", (err) => {
        opts.log?.warn({ dir, err: err.message }, "memory watcher failed; searches check the files instead");
        onError();
      });
      watchers.push(w);
      return true;
    } catch (err) {
      opts.log?.warn({ dir, err: (err as Error).message }, "memory folder not watched; searches check the files instead");
      return false;
    }
  };

  return {
    rootsFor,
    indexFor,
    async prepareTurn({ agentId, workspace, run }) {
      const config = opts.config();
      if (!config.memory.enabled || !isOwnerSession(run, config)) return undefined;
      const { prompt, searchable } = await memoryPromptFor(workspace, config);
      return { prompt, tools: searchable ? createMemoryTools(await indexFor(agentId, workspace)) : [] };
    },
    async watch(agents) {
      if (!opts.config().memory.enabled) return;
      for (const { agentId, workspace } of agents) {
        if (!(await hasMemory(workspace))) continue;
        const index = await indexFor(agentId, workspace);
        const roots = await rootsFor(workspace);
        let timer: NodeJS.Timeout | undefined;
        const reindex = () => {
          index.markChanged();
          if (timer) {
            clearTimeout(timer);
            timers.delete(timer);
          }
          timer = setTimeout(() => {
            timers.delete(timer!);
            timer = undefined;
            index.sync().then(
              (r) => { if (r.indexed || r.removed) opts.log?.info({ agentId, indexed: r.indexed, removed: r.removed }, "memory re-indexed"); },
              (err: unknown) => opts.log?.warn({ agentId, err: (err as Error).message }, "memory re-index failed"),
            );
          }, WATCH_DEBOUNCE_MS);
          timer.unref();
          timers.add(timer);
        };
        if (opts.config().memory.watch) {
          const stopWatching = () => {
            index.watching = false;
          };
          let dirWatched = false;
          const watchMemoryDir = () => {
            dirWatched = watchDir(join(workspace, MEMORY_DIR), true, reindex, stopWatching);
            return dirWatched;
          };
          // The workspace itself non-recursively (it holds more than memory): MEMORY.md, and memory/ appearing later.
          let ok = watchDir(workspace, false, (name) => {
            if (name !== MEMORY_FILE && name !== MEMORY_DIR) return;
            if (name === MEMORY_DIR && !dirWatched && !watchMemoryDir() && existsSync(join(workspace, MEMORY_DIR))) stopWatching();
            reindex();
          }, stopWatching);
          if (await exists(join(workspace, MEMORY_DIR))) ok = watchMemoryDir() && ok;
          for (const dir of roots.extra) ok = watchDir(dir, true, reindex, stopWatching) && ok;
          index.watching = ok;
        }
        const report = await index.sync();
        opts.log?.info({ agentId, files: report.files, indexed: report.indexed, removed: report.removed, embedded: report.embedded }, "memory indexed");
      }
    },
    close() {
      for (const w of watchers.splice(0)) w.close();
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
