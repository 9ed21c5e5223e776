// System prompt assembly: a short base prompt plus the workspace's AGENTS.md, SOUL.md and USER.md when present.
// Kept small on purpose — every byte is paid on every turn; tool schemas travel separately.
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";

export const WORKSPACE_PROMPT_FILES = ["AGENTS.md", "SOUL.md", "USER.md"] as const;
/** Per file; longer files are cut with a note so one runaway file cannot blow the budget. */
export const MAX_PROMPT_FILE_CHARS = 12_000;

export interface PromptFile {
  name: string;
  text: string;
  truncated: boolean;
}

/** Reads the prompt files that exist in the workspace, in a fixed order. Missing files are skipped. */
export async function loadPromptFiles(workspace: string): Promise<PromptFile[]> {
  const files: PromptFile[] = [];
  // One readdir instead of a failed open per missing file: this runs on every turn.
  let present: Set<string>;
  try {
    present = new Set(await readdir(workspace));
  } catch {
    return files;
  }
  for (const name of WORKSPACE_PROMPT_FILES) {
    if (!present.has(name)) continue;
    const file = readPromptFile(workspace, name, () => undefined);
    if (file) files.push(file);
  }
  return files;
}

type CacheEntry = { mtimeMs: number; size: number; file: PromptFile | undefined };

/**
 * Reads one prompt file at the workspace root. O_NOFOLLOW: a symlink planted there (say to the state dir's
 * auth.json) is ignored, never followed into the prompt sent to the model; O_NONBLOCK: a FIFO cannot hang the turn.
 */
function readPromptFile(workspace: string, name: string, cached: (mtimeMs: number, size: number) => CacheEntry | undefined): PromptFile | undefined {
  let fd: number;
  try {
    fd = openSync(join(workspace, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return undefined;
    const hit = cached(info.mtimeMs, info.size);
    return hit ? hit.file : toPromptFile(name, readFileSync(fd, "utf8"));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * A loader that re-reads a prompt file only when its mtime or size changed. Sync stat calls on a handful of
 * small files cost microseconds; the async path costs a thread-pool round trip per file on every turn.
 */
export function createPromptFileLoader(): (workspace: string) => PromptFile[] {
  const cache = new Map<string, CacheEntry>();
  return (workspace) => {
    let present: Set<string>;
    try {
      present = new Set(readdirSync(workspace));
    } catch {
      return [];
    }
    const files: PromptFile[] = [];
    for (const name of WORKSPACE_PROMPT_FILES) {
      if (!present.has(name)) continue;
      const path = join(workspace, name);
      let seen: { mtimeMs: number; size: number } | undefined;
      const file = readPromptFile(workspace, name, (mtimeMs, size) => {
        seen = { mtimeMs, size };
        const entry = cache.get(path);
        return entry && entry.mtimeMs === mtimeMs && entry.size === size ? entry : undefined;
      });
      if (seen) cache.set(path, { ...seen, file });
      if (file) files.push(file);
    }
    return files;
  };
}

function toPromptFile(name: string, raw: string): PromptFile | undefined {
  const text = raw.trim();
  if (!text) return undefined;
  const truncated = text.length > MAX_PROMPT_FILE_CHARS;
  return { name, text: truncated ? text.slice(0, MAX_PROMPT_FILE_CHARS) : text, truncated };
}

export interface PromptInput {
  agentId: string;
  workspace: string;
  files: PromptFile[];
  /** Tool names the model may call this turn. */
  toolNames: string[];
  now: Date;
  /** The skills index block (src/skills/skills-prompt.ts); absent or "" adds nothing. */
  skills?: string | undefined;
  /** The memory block (src/memory/memory-prompt.ts), owner sessions only; absent or "" adds nothing. */
  memory?: string | undefined;
  /** A light context (heartbeats): the first line only; the turn's input carries the date and the tools come as specs. */
  light?: boolean;
}

export function renderSystemPrompt(input: PromptInput): string {
  if (input.light) return `You are Pincer agent "${input.agentId}", a personal assistant. Tool paths are relative to your workspace.`;
  const lines = [
    `You are Pincer agent "${input.agentId}", a personal assistant. Be concise and accurate.`,
    `Workspace: ${input.workspace} (tool paths are relative to it).`,
    `Date: ${input.now.toISOString().slice(0, 10)}.`,
  ];
  if (input.toolNames.length > 0) {
    lines.push(`Tools: ${input.toolNames.join(", ")}. Use them when they help; read before you edit; one exec command at a time.`);
  }
  for (const file of input.files) {
    lines.push("", `## ${file.name}`, file.text);
    if (file.truncated) lines.push(`[${file.name} truncated at ${MAX_PROMPT_FILE_CHARS} characters]`);
  }
  if (input.skills) lines.push("", input.skills);
  if (input.memory) lines.push("", input.memory);
  return lines.join("\n");
}
