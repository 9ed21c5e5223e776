// `pincer memory status | index | search`: the index of one agent's memory files, read and updated from the terminal
// (the same store the gateway uses, so a running gateway sees the result).
import type { App } from "../app.ts";
import type { MemoryIndex, SyncProgress } from "../memory/memory-index.ts";
import { withApp, type GlobalOptions } from "./cli-app.ts";
import { CliFailure, EXIT_USAGE, formatTime, printJson, renderTable } from "./output.ts";

interface AgentOptions {
  agent: string;
  json?: boolean;
}

async function indexOf(app: App, agentId: string): Promise<MemoryIndex> {
  const workspace = app.workspaceFor(agentId);
  return (await app.memory()).indexFor(agentId, workspace);
}

function checkEnabled(app: App): void {
  if (!app.config.memory.enabled) throw new CliFailure(`memory is off (memory.enabled: false in ${app.configFile}); set it to true to use memory`, EXIT_USAGE);
}

const kib = (bytes: number): string => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);

export async function memoryStatusCommand(g: GlobalOptions, opts: AgentOptions): Promise<void> {
  await withApp(g, async (app) => {
    checkEnabled(app);
    const index = await indexOf(app, opts.agent);
    const files = await app.store.memory.files(opts.agent);
    const status = await index.status();
    if (opts.json) return printJson({ agent: opts.agent, ...status, embeddings: status.embeddings ?? null, lastIndexedAt: status.lastIndexedAt ?? null, files: files.map((f) => ({ path: f.path, size: f.size, modifiedAt: f.mtimeMs, indexedAt: f.indexedAt, chunks: f.chunks })) });
    if (files.length === 0) {
      process.stdout.write(`no memory indexed for agent "${opts.agent}"; the agent writes MEMORY.md and memory/YYYY-MM-DD.md in ${app.workspaceFor(opts.agent)} ('pincer memory index' indexes them now)\n`);
    } else {
      process.stdout.write(`${renderTable(["PATH", "SIZE", "MODIFIED", "CHUNKS"], files.map((f) => [f.path, kib(f.size), formatTime(f.mtimeMs), String(f.chunks)]))}\n\n`);
    }
    const embeddings = status.embeddings ? `${status.embeddings} (${status.embeddedChunks} of ${status.chunks} chunks embedded)` : "off (full-text search only)";
    process.stdout.write(`${status.files} files, ${status.chunks} chunks, last indexed ${status.lastIndexedAt ? formatTime(status.lastIndexedAt) : "never"}; embeddings: ${embeddings}\n`);
  });
}

export async function memoryIndexCommand(g: GlobalOptions, opts: AgentOptions & { force?: boolean }): Promise<void> {
  await withApp(g, async (app) => {
    checkEnabled(app);
    const index = await indexOf(app, opts.agent);
    const tty = process.stderr.isTTY && !opts.json;
    let last = "";
    const onProgress = (p: SyncProgress): void => {
      const line = p.type === "file" ? `indexing files ${p.done}/${p.total}` : `embedding chunks ${p.done}/${p.total}`;
      if (tty) process.stderr.write(`\r${line}\u001b[K`);
      else if (p.done === p.total && line !== last) process.stderr.write(`${line}\n`);
      last = line;
    };
    const started = Date.now();
    const report = await index.sync({ ...(opts.force ? { force: true } : {}), onProgress });
    if (tty) process.stderr.write("\r\u001b[K");
    if (opts.json) return printJson({ agent: opts.agent, ...report, ms: Date.now() - started });
    for (const s of report.skipped) process.stderr.write(`skipped ${s.path}: ${s.reason}\n`);
    process.stdout.write(`indexed ${report.indexed} of ${report.files} files (${report.removed} removed, ${report.embedded} chunks embedded) in ${Date.now() - started} ms\n`);
  });
}

export async function memorySearchCommand(g: GlobalOptions, query: string, opts: AgentOptions & { limit: string }): Promise<void> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new CliFailure(`--limit must be a whole number from 1 to 50, got "${opts.limit}"`, EXIT_USAGE);
  await withApp(g, async (app) => {
    checkEnabled(app);
    const hits = await (await indexOf(app, opts.agent)).search(query, limit);
    if (opts.json) return printJson({ agent: opts.agent, query, results: hits });
    if (hits.length === 0) return void process.stdout.write(`no memory matches "${query}"\n`);
    for (const h of hits) process.stdout.write(`${h.path}:${h.startLine}-${h.endLine}  score ${h.score}\n  ${h.snippet}\n`);
  });
}
